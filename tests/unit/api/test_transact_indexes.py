"""TransactWriteItems on tables with secondary indexes: ConsumedCapacity
with index arms (DynamoDB doubles the table's share of a transaction, not
its indexes'), the same entry sizing as single writes (an entry changed in
place costs its larger image, a moved one each image), the answer to a
repeated ClientRequestToken, ItemCollectionMetrics, and cancellation
reasons for an index out of write capacity and an item collection past its
limit. Figures are DynamoDB's, as published captures of its answers for
the same requests give them."""
import pytest

import dyncore
from tests.unit.clocked import T0, clock, db  # noqa: F401 - fixtures

T = "txidx"
OTHER = "txidx_b"


def create(c, name=T):
    c.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("pk", "sk", "gsiPk", "lsiSk")],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "gsi-inc",
                                 "KeySchema": [{"AttributeName": "gsiPk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE",
                                                "NonKeyAttributes": ["proj"]}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi-all",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "lsiSk", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}])


@pytest.fixture
def c(db):
    client = db.client(config={"retries": {"max_attempts": 0}})
    create(client)
    return client


def it(pk, **attrs):
    out = {"pk": {"S": pk}, "sk": {"S": "1"}}
    out.update({k: {"S": v} for k, v in attrs.items()})
    return out


def key(pk):
    return {"pk": {"S": pk}, "sk": {"S": "1"}}


def tx(c, *actions, mode="INDEXES", **kw):
    return c.transact_write_items(TransactItems=list(actions), ReturnConsumedCapacity=mode,
                                  **kw)


def arms(cc):
    """(total, table, gsi, lsi) of one table's ConsumedCapacity."""
    return (cc["CapacityUnits"], cc["Table"]["CapacityUnits"],
            cc.get("GlobalSecondaryIndexes", {}).get("gsi-inc", {}).get("CapacityUnits"),
            cc.get("LocalSecondaryIndexes", {}).get("lsi-all", {}).get("CapacityUnits"))


def put(item, table=T):
    return {"Put": {"TableName": table, "Item": item}}


def update(pk, expr, values=None):
    u = {"TableName": T, "Key": key(pk), "UpdateExpression": expr}
    if values:
        u["ExpressionAttributeValues"] = {k: {"S": v} for k, v in values.items()}
    return {"Update": u}


@pytest.mark.parametrize("seed,action,want", [
    (None, put(it("a1", gsiPk="g1")), (3.0, 2.0, 1.0, None)),
    (None, put(it("a2", other="o")), (2.0, 2.0, None, None)),
    (None, put(it("a3", gsiPk="g1", lsiSk="L1", proj="p")), (4.0, 2.0, 1.0, 1.0)),
    (it("a4", gsiPk="g1", lsiSk="L1"), put(it("a4", gsiPk="g1", lsiSk="L1")),
     (2.0, 2.0, None, None)),                       # an identical overwrite
    (it("a5", gsiPk="g1", lsiSk="L1", misc="o"), update("a5", "SET misc = :v", {":v": "o2"}),
     (3.0, 2.0, None, 1.0)),                        # not projected by the GSI
    (it("a7", gsiPk="g1", lsiSk="L1"), update("a7", "SET gsiPk = :v", {":v": "g2"}),
     (5.0, 2.0, 2.0, 1.0)),                         # a move: delete and put
    (it("a10", gsiPk="g1", lsiSk="L1"), {"Delete": {"TableName": T, "Key": key("a10")}},
     (4.0, 2.0, 1.0, 1.0)),
    (it("a12", gsiPk="g1", lsiSk="L1"),
     {"ConditionCheck": {"TableName": T, "Key": key("a12"),
                         "ConditionExpression": "attribute_exists(pk)"}},
     (2.0, 2.0, None, None)),
    (it("b7", gsiPk="g1", proj="x" * 1500), update("b7", "SET gsiPk = :v", {":v": "g9"}),
     (8.0, 4.0, 4.0, None)),                        # 2 x 2 table; 2 + 2 index
    (it("j3", gsiPk="g1", proj="x" * 3000), update("j3", "SET proj = :v", {":v": "p"}),
     (9.0, 6.0, 3.0, None)),                        # in place: the larger image
    (None, update("f4", "SET gsiPk = :g, lsiSk = :l", {":g": "g1", ":l": "L1"}),
     (4.0, 2.0, 1.0, 1.0)),                         # an update that creates the item
])
def test_index_arms_are_not_doubled(c, seed, action, want):
    if seed is not None:
        c.put_item(TableName=T, Item=seed)
    [cc] = tx(c, action)["ConsumedCapacity"]
    assert cc["TableName"] == T
    assert arms(cc) == want
    assert cc["WriteCapacityUnits"] == want[0]


def test_two_actions_and_two_tables(c):
    create(c, OTHER)
    [cc] = tx(c, put(it("a13", gsiPk="g1", lsiSk="L1")),
              put(it("a14", gsiPk="g1", lsiSk="L1")))["ConsumedCapacity"]
    assert arms(cc) == (8.0, 4.0, 2.0, 2.0)
    first, second = tx(c, put(it("g1", gsiPk="g1", lsiSk="L1")),
                       put(it("g1", gsiPk="g1"), OTHER))["ConsumedCapacity"]
    assert (first["TableName"], second["TableName"]) == (T, OTHER)
    assert arms(first) == (4.0, 2.0, 1.0, 1.0)
    assert arms(second) == (3.0, 2.0, 1.0, None)


def test_total_folds_the_index_units_in(c):
    [cc] = tx(c, put(it("t1", gsiPk="g1", lsiSk="L1")), mode="TOTAL")["ConsumedCapacity"]
    assert cc == {"TableName": T, "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}


def test_single_writes_size_an_entry_changed_in_place_by_its_larger_image(c):
    c.put_item(TableName=T, Item=it("s2", gsiPk="g", proj="x" * 3000))
    out = c.update_item(TableName=T, Key=key("s2"), UpdateExpression="SET proj = :v",
                        ExpressionAttributeValues={":v": {"S": "p"}},
                        ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["GlobalSecondaryIndexes"]["gsi-inc"]["CapacityUnits"] == 3.0
    c.put_item(TableName=T, Item=it("s3", gsiPk="g", proj="p"))
    out = c.update_item(TableName=T, Key=key("s3"), UpdateExpression="SET proj = :v",
                        ExpressionAttributeValues={":v": {"S": "x" * 3000}},
                        ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["GlobalSecondaryIndexes"]["gsi-inc"]["CapacityUnits"] == 3.0
    c.put_item(TableName=T, Item=it("r2", gsiPk="g", proj="x" * 1500))
    out = c.update_item(TableName=T, Key=key("r2"), UpdateExpression="SET proj = :v",
                        ExpressionAttributeValues={":v": {"S": "y" * 1500}},
                        ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["GlobalSecondaryIndexes"]["gsi-inc"]["CapacityUnits"] == 2.0


@pytest.mark.parametrize("seed,actions,first,replay", [
    (it("s1", proj="x" * 9000), [put(it("s1"))], 18.0, 6.0),
    (it("s2", other="o"), [put(it("s2", proj="x" * 9000))], 18.0, 6.0),
    (it("r1", proj="x" * 9000), [{"Delete": {"TableName": T, "Key": key("r1")}}], 18.0, 6.0),
    (it("s3", proj="x" * 9000), [{"Delete": {"TableName": T, "Key": key("s3")}},
                                 put(it("s4", other="o"))], 20.0, 8.0),
])
def test_a_repeated_token_answers_with_read_units(c, seed, actions, first, replay):
    c.put_item(TableName=T, Item=seed)
    a = tx(c, *actions, mode="TOTAL", ClientRequestToken="tok-" + seed["pk"]["S"])
    b = tx(c, *actions, mode="TOTAL", ClientRequestToken="tok-" + seed["pk"]["S"])
    assert a["ConsumedCapacity"][0]["CapacityUnits"] == first
    assert b["ConsumedCapacity"][0]["CapacityUnits"] == replay
    assert b["ConsumedCapacity"][0]["ReadCapacityUnits"] == replay


def test_the_replay_answer_survives_a_reopen(tmp_path):
    db = dyncore.open(tmp_path / "d", sync="none")
    c = db.client()
    create(c)
    action = put(it("p", proj="x" * 9000))
    assert tx(c, action, mode="TOTAL", ClientRequestToken="t")["ConsumedCapacity"][0][
        "CapacityUnits"] == 18.0
    db.close()
    db = dyncore.open(tmp_path / "d", sync="none")
    try:
        c = db.client()
        assert tx(c, action, mode="TOTAL", ClientRequestToken="t")["ConsumedCapacity"][0][
            "CapacityUnits"] == 6.0
    finally:
        db.close()


def test_item_collection_metrics(c):
    c.put_item(TableName=T, Item=it("m2", lsiSk="L"))
    out = c.transact_write_items(
        TransactItems=[put(it("m1", lsiSk="L1")),
                       {"ConditionCheck": {"TableName": T, "Key": key("m1x"),
                                           "ConditionExpression": "attribute_not_exists(pk)"}},
                       {"Delete": {"TableName": T, "Key": key("m2")}}],
        ReturnItemCollectionMetrics="SIZE")
    assert out["ItemCollectionMetrics"] == {T: [
        {"ItemCollectionKey": {"pk": {"S": "m1"}}, "SizeEstimateRangeGB": [0.0, 1.0]},
        {"ItemCollectionKey": {"pk": {"S": "m2"}}, "SizeEstimateRangeGB": [0.0, 1.0]}]}
    assert "ItemCollectionMetrics" not in c.transact_write_items(
        TransactItems=[put(it("m3"))])


def test_an_index_out_of_write_capacity_cancels_at_its_action(db):
    c = db.client(config={"retries": {"max_attempts": 0}})
    c.create_table(
        TableName="prov", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1000, "WriteCapacityUnits": 1000},
        GlobalSecondaryIndexes=[{
            "IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}])
    for i in range(300):    # the index's 300 s of burst
        c.put_item(TableName="prov", Item={"pk": {"S": f"k{i}"}, "g": {"S": "g"}})
    with pytest.raises(c.exceptions.TransactionCanceledException) as e:
        c.transact_write_items(TransactItems=[
            {"Put": {"TableName": "prov", "Item": {"pk": {"S": "sparse"}}}},
            {"Put": {"TableName": "prov", "Item": {"pk": {"S": "x"}, "g": {"S": "g"}}}}])
    reasons = e.value.response["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ProvisionedThroughputExceeded"
    for k in ("sparse", "x"):    # nothing written
        assert "Item" not in c.get_item(TableName="prov", Key={"pk": {"S": k}})
