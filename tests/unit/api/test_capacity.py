"""Capacity through the embedded client: ReturnConsumedCapacity (TOTAL and
INDEXES) on every operation that has it, checked item by item against
DynamoDB's published examples; throttling (provisioned buckets with burst, a
hot partition key, the on-demand maximum, partial batches, transactions)
on a manual clock; UpdateTable's billing modes and throughput rules;
DescribeLimits; the capacity series of /metrics."""
import pytest

import dyncore
from dyncore import _core
from dyncore.metrics import Metrics
from tests.unit.clocked import T0, clock, db  # noqa: F401 - fixtures

KB = 1024
NO_RETRY = {"retries": {"max_attempts": 0}}   # as botocore's Config(retries=...)



@pytest.fixture
def client(db):
    return db.client(config=NO_RETRY)


def table(client, name="tbl", sk=False, **extra):
    ks = [{"AttributeName": "pk", "KeyType": "HASH"}]
    ad = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sk:
        ks.append({"AttributeName": "sk", "KeyType": "RANGE"})
        ad.append({"AttributeName": "sk", "AttributeType": "N"})
    params = dict(TableName=name, KeySchema=ks, AttributeDefinitions=ad)
    if "ProvisionedThroughput" not in extra:
        params["BillingMode"] = "PAY_PER_REQUEST"
    params.update(extra)
    client.create_table(**params)


def provisioned(client, name="tbl", rcu=1, wcu=1, **kw):
    table(client, name, BillingMode="PROVISIONED",
          ProvisionedThroughput={"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}, **kw)


def item(db, size, pk="a", sk=None, name="tbl"):
    """An item of exactly `size` bytes by DynamoDB's rules."""
    it = {"pk": {"S": pk}, "d": {"S": ""}}
    if sk is not None:
        it["sk"] = {"N": str(sk)}
    base = db.table(name).schema.encode_item(it, _core.FORM_CLIENT)[3]
    it["d"] = {"S": "x" * (size - base)}
    assert db.table(name).schema.encode_item(it, _core.FORM_CLIENT)[3] == size
    return it


def cc(out, kind="WriteCapacityUnits"):
    c = out["ConsumedCapacity"]
    assert kind not in c    # only transactions split units into read and write
    return c["CapacityUnits"]


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


# -- ReturnConsumedCapacity, item by item --------------------------------------------

def test_get_item_units(db, client):
    table(client)
    client.put_item(TableName="tbl", Item=item(db, 3500))                 # 3,500 bytes
    client.put_item(TableName="tbl", Item=item(db, 10 * KB, pk="b"))      # 10 KB
    get = lambda pk, **kw: client.get_item(TableName="tbl", Key={"pk": {"S": pk}},  # noqa
                                           ReturnConsumedCapacity="TOTAL", **kw)
    assert cc(get("a", ConsistentRead=True), "ReadCapacityUnits") == 1.0
    assert cc(get("a"), "ReadCapacityUnits") == 0.5
    assert cc(get("b", ConsistentRead=True), "ReadCapacityUnits") == 3.0   # 12 KB
    assert cc(get("b"), "ReadCapacityUnits") == 1.5
    assert cc(get("nope"), "ReadCapacityUnits") == 0.5                     # still the minimum
    assert cc(get("nope", ConsistentRead=True), "ReadCapacityUnits") == 1.0
    # projections do not reduce the units
    assert cc(get("b", ConsistentRead=True, ProjectionExpression="pk"),
              "ReadCapacityUnits") == 3.0


def test_shapes_total_indexes_none(db, client):
    table(client)
    out = client.put_item(TableName="tbl", Item=item(db, 500), ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "tbl", "CapacityUnits": 1.0}
    out = client.put_item(TableName="tbl", Item=item(db, 500), ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": "tbl", "CapacityUnits": 1.0,
                                       "Table": {"CapacityUnits": 1.0}}
    for rcc in ({}, {"ReturnConsumedCapacity": "NONE"}):
        assert "ConsumedCapacity" not in client.put_item(TableName="tbl",
                                                         Item=item(db, 500), **rcc)
        assert "ConsumedCapacity" not in client.get_item(TableName="tbl",
                                                         Key={"pk": {"S": "a"}}, **rcc)
    out = client.get_item(TableName="tbl", Key={"pk": {"S": "a"}},
                          ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": "tbl", "CapacityUnits": 0.5,
                                       "Table": {"CapacityUnits": 0.5}}


_K = {"pk": {"S": "a"}}
_SHAPES = [   # operation, request, units, kind, answered in a list (one entry per table)
    ("put_item", dict(TableName="tbl", Item={"pk": {"S": "a"}}), 1.0, "Write", False),
    ("get_item", dict(TableName="tbl", Key=_K), 0.5, "Read", False),
    ("update_item", dict(TableName="tbl", Key=_K, UpdateExpression="SET v = :v",
                         ExpressionAttributeValues={":v": {"N": "1"}}), 1.0, "Write", False),
    ("delete_item", dict(TableName="tbl", Key=_K), 1.0, "Write", False),
    ("query", dict(TableName="tbl", KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": {"S": "a"}}), 0.5, "Read", False),
    ("scan", dict(TableName="tbl"), 0.5, "Read", False),
    ("batch_get_item", dict(RequestItems={"tbl": {"Keys": [_K]}}), 0.5, "Read", True),
    ("batch_write_item", dict(RequestItems={"tbl": [{"PutRequest": {"Item": _K}}]}), 1.0,
     "Write", True),
    ("transact_write_items", dict(TransactItems=[{"Put": {"TableName": "tbl", "Item": _K}}]),
     2.0, "Write", True),
    ("transact_get_items", dict(TransactItems=[{"Get": {"TableName": "tbl", "Key": _K}}]),
     2.0, "Read", True),
]


@pytest.mark.parametrize("method, request_, units, kind, listed", _SHAPES,
                         ids=[s[0] for s in _SHAPES])
@pytest.mark.parametrize("mode", ["TOTAL", "INDEXES", "NONE", None])
def test_consumed_capacity_shape(client, method, request_, units, kind, listed, mode):
    table(client)
    client.put_item(TableName="tbl", Item=_K)
    params = dict(request_)
    if mode is not None:
        params["ReturnConsumedCapacity"] = mode
    out = getattr(client, method)(**params)
    if mode in ("NONE", None):
        assert "ConsumedCapacity" not in out
        return
    # the read/write member only in transactions' answers
    split = {f"{kind}CapacityUnits": units} if method.startswith("transact") else {}
    want = {"TableName": "tbl", "CapacityUnits": units, **split}
    if mode == "INDEXES":
        want["Table"] = {"CapacityUnits": units, **split}
    assert out["ConsumedCapacity"] == ([want] if listed else want)


def test_single_item_writes(db, client):
    table(client)
    put = lambda it, **kw: client.put_item(TableName="tbl", Item=it,  # noqa: E731
                                           ReturnConsumedCapacity="TOTAL", **kw)
    assert cc(put(item(db, 500))) == 1.0                     # a 500-byte item: 1 WCU
    assert cc(put(item(db, int(3.5 * KB)))) == 4.0           # 3.5 KB: 4
    assert cc(put(item(db, 500))) == 4.0                     # replacing it: the larger size
    assert cc(put(item(db, 500))) == 1.0
    # UpdateItem: the larger of the item before and after
    upd = dict(TableName="tbl", Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL",
               UpdateExpression="SET d = :d")
    out = client.update_item(**upd, ExpressionAttributeValues={":d": {"S": "x" * 2500}})
    assert cc(out) == 3.0                                     # grew to about 2.5 KB
    out = client.update_item(**upd, ExpressionAttributeValues={":d": {"S": "x"}})
    assert cc(out) == 3.0                                     # shrank from 2.5 KB
    out = client.update_item(TableName="tbl", Key={"pk": {"S": "new"}},
                             UpdateExpression="SET v = :v",
                             ExpressionAttributeValues={":v": {"N": "1"}},
                             ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["Table"] == {"CapacityUnits": 1.0}
    # DeleteItem: the size of the deleted item; a missing one costs 1
    put(item(db, int(3.5 * KB), pk="big"))
    out = client.delete_item(TableName="tbl", Key={"pk": {"S": "big"}},
                             ReturnConsumedCapacity="TOTAL")
    assert cc(out) == 4.0
    out = client.delete_item(TableName="tbl", Key={"pk": {"S": "big"}},
                             ReturnConsumedCapacity="TOTAL")
    assert cc(out) == 1.0


def test_failed_conditional_write_consumes(db, client):
    table(client)
    client.put_item(TableName="tbl", Item=item(db, int(3.5 * KB)))
    before = db.capacity_stats("tbl")["consumed"][1]
    for call in (
        lambda: client.put_item(TableName="tbl", Item=item(db, 500),
                                ConditionExpression="attribute_not_exists(pk)"),
        lambda: client.update_item(TableName="tbl", Key={"pk": {"S": "a"}},
                                   UpdateExpression="SET v = :v",
                                   ConditionExpression="attribute_not_exists(pk)",
                                   ExpressionAttributeValues={":v": {"N": "1"}}),
        lambda: client.delete_item(TableName="tbl", Key={"pk": {"S": "a"}},
                                   ConditionExpression="attribute_not_exists(pk)"),
    ):
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            call()
    # each failed write consumed the units of the 3.5 KB item it was checked against
    assert db.capacity_stats("tbl")["consumed"][1] - before == 12.0


def test_query_and_scan_sum_then_round(db, client):
    table(client, sk=True)
    # a 1.5 KB and a 6.5 KB item: one Query page reads 8 KB
    client.put_item(TableName="tbl", Item=item(db, int(1.5 * KB), pk="q", sk=1))
    client.put_item(TableName="tbl", Item=item(db, int(6.5 * KB), pk="q", sk=2))
    q = dict(TableName="tbl", KeyConditionExpression="pk = :p",
             ExpressionAttributeValues={":p": {"S": "q"}}, ReturnConsumedCapacity="TOTAL")
    assert cc(client.query(**q, ConsistentRead=True), "ReadCapacityUnits") == 2.0
    assert cc(client.query(**q), "ReadCapacityUnits") == 1.0
    # a filter that keeps nothing and a projection do not lower the units
    out = client.query(**q, ConsistentRead=True, FilterExpression="attribute_exists(nope)",
                       ProjectionExpression="pk")
    assert out["Count"] == 0 and cc(out, "ReadCapacityUnits") == 2.0
    out = client.query(**q, Select="COUNT", ConsistentRead=True)
    assert cc(out, "ReadCapacityUnits") == 2.0
    # nothing found: the minimum
    q2 = dict(q, ExpressionAttributeValues={":p": {"S": "none"}})
    assert cc(client.query(**q2, ConsistentRead=True), "ReadCapacityUnits") == 1.0
    assert cc(client.query(**q2), "ReadCapacityUnits") == 0.5
    # ten items of 40.8 KB in all: 44 KB, 11 units
    for i in range(10):
        client.put_item(TableName="tbl", Item=item(db, 4178, pk="r", sk=i))
    q3 = dict(q, ExpressionAttributeValues={":p": {"S": "r"}})
    assert cc(client.query(**q3, ConsistentRead=True), "ReadCapacityUnits") == 11.0
    assert cc(client.query(**q3), "ReadCapacityUnits") == 5.5
    # Scan: the whole table (8 KB + 41,780 bytes = 49,972 bytes: 13 units)
    out = client.scan(TableName="tbl", ReturnConsumedCapacity="INDEXES", ConsistentRead=True)
    assert out["ConsumedCapacity"] == {"TableName": "tbl", "CapacityUnits": 13.0,
                                       "Table": {"CapacityUnits": 13.0}}
    out = client.scan(TableName="tbl", ReturnConsumedCapacity="TOTAL", Limit=1)
    assert cc(out, "ReadCapacityUnits") == 0.5


def test_batch_get_rounds_each_item(db, client):
    table(client)
    table(client, "other")
    client.put_item(TableName="tbl", Item=item(db, int(1.5 * KB), pk="a"))
    client.put_item(TableName="tbl", Item=item(db, int(6.5 * KB), pk="b"))
    client.put_item(TableName="other", Item=item(db, 500, name="other"))
    out = client.batch_get_item(RequestItems={
        "tbl": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}], "ConsistentRead": True},
        "other": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "missing"}}]},
    }, ReturnConsumedCapacity="TOTAL")
    # 4 KB + 8 KB = 12 KB, not 8; the other table: 0.5 + 0.5 (a missing key too)
    assert out["ConsumedCapacity"] == [
        {"TableName": "tbl", "CapacityUnits": 3.0},
        {"TableName": "other", "CapacityUnits": 1.0}]
    out = client.batch_get_item(RequestItems={"tbl": {"Keys": [{"pk": {"S": "a"}}]}},
                                ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == [{"TableName": "tbl", "CapacityUnits": 0.5,
                                        "Table": {"CapacityUnits": 0.5}}]


def test_batch_write_units(db, client):
    table(client)
    client.put_item(TableName="tbl", Item=item(db, int(3.5 * KB), pk="old"))
    out = client.batch_write_item(RequestItems={"tbl": [
        {"PutRequest": {"Item": item(db, 500, pk="a")}},
        {"PutRequest": {"Item": item(db, int(3.5 * KB), pk="b")}},
    ]}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [{"TableName": "tbl", "CapacityUnits": 5.0}]
    out = client.batch_write_item(RequestItems={"tbl": [
        {"DeleteRequest": {"Key": {"pk": {"S": "old"}}}},       # 3.5 KB deleted: 4
        {"DeleteRequest": {"Key": {"pk": {"S": "missing"}}}},   # nothing there: 1
        {"PutRequest": {"Item": item(db, 500, pk="b")}},         # replaces 3.5 KB: 4
    ]}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == [{"TableName": "tbl", "CapacityUnits": 9.0,
                                        "Table": {"CapacityUnits": 9.0}}]
    assert out["UnprocessedItems"] == {}


def test_transactions_cost_twice(db, client):
    table(client)
    table(client, "other")
    client.put_item(TableName="tbl", Item=item(db, int(3.5 * KB), pk="c"))
    out = client.transact_write_items(TransactItems=[
        {"Put": {"TableName": "tbl", "Item": item(db, 500, pk="a")}},           # 2 x 1
        {"ConditionCheck": {"TableName": "tbl", "Key": {"pk": {"S": "c"}},        # 2 x 4
                            "ConditionExpression": "attribute_exists(pk)"}},
        {"Put": {"TableName": "other", "Item": item(db, 1500, name="other")}},  # 2 x 2
    ], ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [   # (transactions give the write member too)
        {"TableName": "tbl", "CapacityUnits": 10.0, "WriteCapacityUnits": 10.0},
        {"TableName": "other", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}]
    out = client.transact_write_items(TransactItems=[
        {"Update": {"TableName": "tbl", "Key": {"pk": {"S": "c"}},
                    "UpdateExpression": "REMOVE d"}},                             # 2 x 4
        {"Delete": {"TableName": "tbl", "Key": {"pk": {"S": "a"}}}},              # 2 x 1
    ], ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == [{"TableName": "tbl", "CapacityUnits": 10.0,
                                        "WriteCapacityUnits": 10.0,
                                        "Table": {"CapacityUnits": 10.0,
                                                  "WriteCapacityUnits": 10.0}}]
    client.put_item(TableName="tbl", Item=item(db, 8 * KB, pk="e"))
    out = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": "tbl", "Key": {"pk": {"S": "e"}}}},                 # 2 x 2
        {"Get": {"TableName": "tbl", "Key": {"pk": {"S": "missing"}}}},           # 2 x 1
        {"Get": {"TableName": "other", "Key": {"pk": {"S": "a"}}}},               # 2 x 1
    ], ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [
        {"TableName": "tbl", "CapacityUnits": 6.0, "ReadCapacityUnits": 6.0},
        {"TableName": "other", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}]


# -- throttling -------------------------------------------------------------------

def test_provisioned_table_throttles_after_its_burst(db, client, clock):
    provisioned(client, rcu=1, wcu=1)
    for i in range(300):                          # 300 s of 1 WCU saved up
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException) as e:
        client.put_item(TableName="tbl", Item={"pk": {"S": "one-more"}})
    assert err(e) == ("ProvisionedThroughputExceededException",
                      "The level of configured provisioned throughput for the table was "
                      "exceeded. Consider increasing your provisioning level with the "
                      "UpdateTable API.")
    assert e.value.response["ThrottlingReasons"] == [
        {"reason": "TableWriteProvisionedThroughputExceeded",
         "resource": "arn:aws:dynamodb:local:000000000000:table/tbl"}]
    assert e.value.operation_name == "PutItem"
    assert client.get_item(TableName="tbl", Key={"pk": {"S": "one-more"}}) \
        .get("Item") is None                     # nothing written
    clock.advance(2)
    client.put_item(TableName="tbl", Item={"pk": {"S": "one-more"}})
    # reads have their own bucket: 600 eventually consistent reads of 0.5
    for i in range(600):
        client.get_item(TableName="tbl", Key={"pk": {"S": f"k{i % 300}"}})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException) as e:
        client.get_item(TableName="tbl", Key={"pk": {"S": "k0"}})
    assert e.value.response["ThrottlingReasons"][0]["reason"] == \
        "TableReadProvisionedThroughputExceeded"
    for op, kw in (("query", dict(KeyConditionExpression="pk = :p",
                                  ExpressionAttributeValues={":p": {"S": "k1"}})),
                   ("scan", {})):
        with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
            getattr(client, op)(TableName="tbl", **kw)
    st = db.capacity_stats("tbl")
    assert st["throttled"] == {"TableWriteProvisionedThroughputExceeded": 1,
                               "TableReadProvisionedThroughputExceeded": 3}


def test_hot_partition_throttles_spread_load_does_not(db, client, clock):
    table(client, sk=True)                        # on demand: no table bucket
    # a spread load: 3,000 keys in one clock second
    for i in range(3000):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "sk": {"N": "1"}})
    # a hot partition key: 1,000 WCU a second
    for i in range(1000):
        client.put_item(TableName="tbl", Item={"pk": {"S": "hot"}, "sk": {"N": str(i)}})
    with pytest.raises(client.exceptions.ThrottlingException) as e:
        client.put_item(TableName="tbl", Item={"pk": {"S": "hot"}, "sk": {"N": "-1"}})
    assert err(e)[1].startswith("Throughput exceeds the current capacity of your table or "
                                "index.")
    assert e.value.response["throttlingReasons"][0]["reason"] == \
        "TableWriteKeyRangeThroughputExceeded"
    client.put_item(TableName="tbl", Item={"pk": {"S": "cold"}, "sk": {"N": "1"}})
    st = db.capacity_stats("tbl")
    assert st["throttled"] == {"TableWriteKeyRangeThroughputExceeded": 1}
    assert st["consumed"][1] == 4001.0
    clock.advance(1)
    client.put_item(TableName="tbl", Item={"pk": {"S": "hot"}, "sk": {"N": "-1"}})


def test_hot_partition_on_a_provisioned_table(db, client):
    provisioned(client, rcu=10_000, wcu=10_000)
    for i in range(1000):
        client.update_item(TableName="tbl", Key={"pk": {"S": "hot"}},
                           UpdateExpression="ADD n :one",
                           ExpressionAttributeValues={":one": {"N": "1"}})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException) as e:
        client.update_item(TableName="tbl", Key={"pk": {"S": "hot"}},
                           UpdateExpression="ADD n :one",
                           ExpressionAttributeValues={":one": {"N": "1"}})
    assert e.value.response["ThrottlingReasons"][0]["reason"] == \
        "TableWriteKeyRangeThroughputExceeded"
    assert client.get_item(TableName="tbl", Key={"pk": {"S": "hot"}})["Item"]["n"] == \
        {"N": "1000"}


def test_the_client_retries_like_boto3(db, clock):
    """The default client retries a throttled request (botocore's legacy
    backoff, 50 ms doubling); on a manual clock the waits move the clock."""
    c = db.client()
    table(c)
    for _ in range(1000):
        c.put_item(TableName="tbl", Item={"pk": {"S": "hot"}})
    t = clock.now()
    out = c.put_item(TableName="tbl", Item={"pk": {"S": "hot"}})
    assert out["ResponseMetadata"]["RetryAttempts"] >= 1
    assert clock.now() > t
    # the resource Table too
    tbl = db.Table("tbl")
    for _ in range(1000):
        tbl.put_item(Item={"pk": "hot2"})
    out = tbl.put_item(Item={"pk": "hot2"})
    assert out["ResponseMetadata"]["RetryAttempts"] >= 1
    # retries exhausted: the error, with RetryAttempts
    c1 = db.client(config={"retries": {"mode": "standard", "max_attempts": 2}})
    provisioned(c1, "prov", rcu=1, wcu=1)
    c1.put_item(TableName="prov", Item={"pk": {"S": "x"}, "d": {"S": "x" * 350_000}})
    with pytest.raises(c1.exceptions.ProvisionedThroughputExceededException) as e:
        c1.put_item(TableName="prov", Item={"pk": {"S": "y"}})
    assert e.value.response["ResponseMetadata"]["RetryAttempts"] == 2   # as botocore counts


def test_on_demand_maximum(db, client, clock):
    table(client, OnDemandThroughput={"MaxWriteRequestUnits": 5})
    desc = client.describe_table(TableName="tbl")["Table"]
    assert desc["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 5}
    for i in range(5):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})
    with pytest.raises(client.exceptions.ThrottlingException) as e:
        client.put_item(TableName="tbl", Item={"pk": {"S": "k9"}})
    assert e.value.response["throttlingReasons"][0]["reason"] == \
        "TableWriteMaxOnDemandThroughputExceeded"
    clock.advance(1)
    client.put_item(TableName="tbl", Item={"pk": {"S": "k9"}})
    client.update_table(TableName="tbl", OnDemandThroughput={"MaxWriteRequestUnits": -1})
    assert "OnDemandThroughput" not in client.describe_table(TableName="tbl")["Table"]
    for i in range(50):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})


def test_batches_return_throttled_requests_unprocessed(db, client):
    table(client, sk=True)
    for i in range(990):
        client.put_item(TableName="tbl", Item={"pk": {"S": "hot"}, "sk": {"N": str(i)}})
    reqs = [{"PutRequest": {"Item": {"pk": {"S": "hot"}, "sk": {"N": str(1000 + i)}}}}
            for i in range(24)] + [{"PutRequest": {"Item": {"pk": {"S": "cold"},
                                                            "sk": {"N": "1"}}}}]
    out = client.batch_write_item(RequestItems={"tbl": reqs}, ReturnConsumedCapacity="TOTAL")
    assert out["UnprocessedItems"] == {"tbl": reqs[10:24]}     # 10 admitted, 14 refused
    assert out["ConsumedCapacity"][0]["CapacityUnits"] == 11.0
    assert client.get_item(TableName="tbl", Key={"pk": {"S": "cold"}, "sk": {"N": "1"}})["Item"]
    # every request refused: the throttling error, nothing written
    with pytest.raises(client.exceptions.ThrottlingException):
        client.batch_write_item(RequestItems={"tbl": reqs[10:24]})
    # BatchGetItem: 3,000 read units of the hot key, then UnprocessedKeys
    keys = [{"pk": {"S": "hot"}, "sk": {"N": str(i)}} for i in range(99)]
    got = 0
    while True:
        out = client.batch_get_item(RequestItems={"tbl": {"Keys": keys,
                                                          "ConsistentRead": True}})
        got += len(out["Responses"]["tbl"])
        if out["UnprocessedKeys"]:
            break
    assert got == 3000
    assert out["UnprocessedKeys"]["tbl"]["ConsistentRead"] is True
    assert len(out["Responses"]["tbl"]) == 30
    assert out["UnprocessedKeys"]["tbl"]["Keys"] == keys[30:]
    with pytest.raises(client.exceptions.ThrottlingException):
        client.batch_get_item(RequestItems={"tbl": {"Keys": keys}})


def test_transactions_are_cancelled_when_throttled(db, client):
    provisioned(client, rcu=1, wcu=1)
    table(client, "free")
    client.put_item(TableName="tbl", Item={"pk": {"S": "x"}, "d": {"S": "x" * 350_000}})
    with pytest.raises(client.exceptions.TransactionCanceledException) as e:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "free", "Item": {"pk": {"S": "a"}}}},
            {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "a"}}}},
        ])
    assert e.value.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ProvisionedThroughputExceeded",
         "Message": "The level of configured provisioned throughput for the table was "
                    "exceeded. Consider increasing your provisioning level with the "
                    "UpdateTable API."}]
    assert err(e)[1].endswith("[None, ProvisionedThroughputExceeded]")
    assert "Item" not in client.get_item(TableName="free", Key={"pk": {"S": "a"}})
    for _ in range(600):
        client.get_item(TableName="tbl", Key={"pk": {"S": "none"}})
    with pytest.raises(client.exceptions.TransactionCanceledException) as e:
        client.transact_get_items(TransactItems=[
            {"Get": {"TableName": "tbl", "Key": {"pk": {"S": "a"}}}}])
    assert e.value.response["CancellationReasons"][0]["Code"] == "ProvisionedThroughputExceeded"


def test_throttling_off_counts_only(tmp_path, clock):
    with dyncore.open(tmp_path / "d", sync="none", clock=clock, throttling=False,
                      ttl_sweep_interval=None) as db:
        c = db.client(config=NO_RETRY)
        provisioned(c, rcu=1, wcu=1)
        for _ in range(2000):
            c.put_item(TableName="tbl", Item={"pk": {"S": "hot"}})
        assert db.capacity_stats("tbl")["consumed"] == [0.0, 2000.0]


# -- UpdateTable and DescribeTable ---------------------------------------------------------

def test_update_table_switches_modes_and_throughput(db, client, clock):
    provisioned(client, rcu=1, wcu=1)
    c = client
    pt = lambda r, w: {"ReadCapacityUnits": r, "WriteCapacityUnits": w}  # noqa: E731
    out = c.update_table(TableName="tbl", ProvisionedThroughput=pt(2, 2))["TableDescription"]
    assert out["ProvisionedThroughput"]["LastIncreaseDateTime"].timestamp() == T0
    assert out["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0
    assert [b[2] for b in db.capacity_stats("tbl")["buckets"]] == [2.0, 2.0]
    # to on-demand: no table bucket any more
    c.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")
    assert db.capacity_stats("tbl")["buckets"] == [None, None]
    for i in range(2000):
        c.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})
    # back to provisioned: a bucket again (starting full)
    desc = c.update_table(TableName="tbl", BillingMode="PROVISIONED",
                          ProvisionedThroughput=pt(1, 1))["TableDescription"]
    assert "BillingModeSummary" not in desc or \
        desc["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    for i in range(300):
        c.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})
    with pytest.raises(c.exceptions.ProvisionedThroughputExceededException):
        c.put_item(TableName="tbl", Item={"pk": {"S": "k"}})
    # OnDemandThroughput needs on-demand
    with pytest.raises(c.exceptions.ValidationException):
        c.update_table(TableName="tbl", OnDemandThroughput={"MaxReadRequestUnits": 10})


def test_decreases_per_day(db, client, clock):
    clock.set(86400 * 19700 + 3600)               # 01:00 UTC
    provisioned(client, rcu=100, wcu=100)
    pt = lambda r: {"ReadCapacityUnits": r, "WriteCapacityUnits": 100}  # noqa: E731
    for n in range(4):                            # four decreases at any time
        d = client.update_table(TableName="tbl", ProvisionedThroughput=pt(90 - n))
        assert d["TableDescription"]["ProvisionedThroughput"]["NumberOfDecreasesToday"] == n + 1
        clock.advance(60)
    with pytest.raises(client.exceptions.LimitExceededException) as e:
        client.update_table(TableName="tbl", ProvisionedThroughput=pt(50))
    assert err(e)[1].startswith("Subscriber limit exceeded: Provisioned throughput decreases "
                                "are limited within a given UTC day.")
    assert "Number of decreases today: 4." in err(e)[1]
    client.update_table(TableName="tbl", ProvisionedThroughput=pt(200))   # increases: any time
    clock.advance(3600)                           # an hour without a decrease: one more
    client.update_table(TableName="tbl", ProvisionedThroughput=pt(50))
    with pytest.raises(client.exceptions.LimitExceededException):
        client.update_table(TableName="tbl", ProvisionedThroughput=pt(40))
    desc = client.describe_table(TableName="tbl")["Table"]["ProvisionedThroughput"]
    assert desc["NumberOfDecreasesToday"] == 5
    assert desc["LastDecreaseDateTime"].timestamp() == clock.now()
    clock.advance(86400)                          # a new UTC day
    assert client.describe_table(TableName="tbl")["Table"]["ProvisionedThroughput"][
        "NumberOfDecreasesToday"] == 0
    client.update_table(TableName="tbl", ProvisionedThroughput=pt(40))


def test_switches_to_on_demand_per_day(db, client, clock):
    provisioned(client)
    pt = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    for _ in range(4):
        client.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")
        client.update_table(TableName="tbl", BillingMode="PROVISIONED", ProvisionedThroughput=pt)
        clock.advance(3600)
    with pytest.raises(client.exceptions.LimitExceededException) as e:
        client.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")
    assert "PayPerRequest" in err(e)[1]
    clock.advance(86400 - 3 * 3600)               # the first switch left the 24 hours
    out = client.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")
    assert out["TableDescription"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_describe_limits(client):
    out = client.describe_limits()
    out.pop("ResponseMetadata")
    assert out == {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                   "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}


# -- metrics ------------------------------------------------------------------------

def test_metrics_per_table_and_partition(db, client):
    table(client)
    for i in range(200):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "d": {"S": "x" * 1500}})
    assert db.split_partition("tbl")
    for i in range(200):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})
        client.get_item(TableName="tbl", Key={"pk": {"S": f"k{i}"}}, ConsistentRead=True)
    for _ in range(1001):
        try:
            client.put_item(TableName="tbl", Item={"pk": {"S": "hot"}})
        except client.exceptions.ThrottlingException:
            pass
    text = Metrics().render(db)
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert lines['dyncore_consumed_capacity_units_total{table="tbl",index="",kind="write"}'] \
        == "1600"
    assert lines['dyncore_consumed_capacity_units_total{table="tbl",index="",kind="read"}'] \
        == "200"
    assert lines['dyncore_throttled_requests_total{table="tbl",'
                 'reason="TableWriteKeyRangeThroughputExceeded"}'] == "1"
    parts = [p["PartitionId"] for p in db.partitions("tbl")]
    assert len(parts) == 2

    def series(what, kind):
        return [float(lines.get(f'dyncore_partition_{what}_capacity_units_total{{table="tbl",'
                                f'partition="{pid}",kind="{kind}"}}', 0)) for pid in parts]
    # the 200 reads, after the split, land in the two children, by key
    assert sum(series("consumed", "read")) == 200 and all(series("consumed", "read"))
    assert sum(series("throttled", "write")) == 1.0
    assert "dyncore_provisioned_capacity_units" in text
