"""Global secondary indexes defined at CreateTable: DynamoDB's validation
messages, DescribeTable, sparse entries, Query and Scan on the index,
write refusals for bad index keys, ConsumedCapacity, and the replay of a
maintenance intent left by a crash."""
import pytest

import dyncore
from dyncore.errors import ValidationException

ATTRS = [("pk", "S"), ("sk", "N"), ("g", "S"), ("gs", "N")]


def gsi(name="byG", keys=(("g", "HASH"), ("gs", "RANGE")), projection=None, **extra):
    d = {"IndexName": name,
         "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in keys],
         "Projection": projection or {"ProjectionType": "ALL"}}
    d.update(extra)
    return d


def create(client, gsis, attrs=ATTRS, name="tbl", **extra):
    params = dict(TableName=name,
                  KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                             {"AttributeName": "sk", "KeyType": "RANGE"}],
                  AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                                        for n, t in attrs],
                  BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=gsis)
    params.update(extra)
    return client.create_table(**params)


def refused(client, message, gsis, **kw):
    with pytest.raises(ValidationException) as e:
        create(client, gsis, **kw)
    assert e.value.message == message


P = "One or more parameter values were invalid: "


def test_validation_messages(client):
    refused(client, P + "Some index key attributes are not defined in AttributeDefinitions. "
            "Keys: [zz], AttributeDefinitions: [pk, sk, g, gs]",
            [gsi(keys=(("zz", "HASH"),))])
    refused(client, P + "Some AttributeDefinitions are not used. AttributeDefinitions: "
            "[pk, sk, g, gs], keys used: [pk, sk, g]", [gsi(keys=(("g", "HASH"),))])
    refused(client, P + "Duplicate index name: byG", [gsi(), gsi()])
    refused(client, P + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
            [gsi(projection={"ProjectionType": "INCLUDE"})])
    refused(client, P + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified",
            [gsi(projection={"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]})])
    refused(client, P + "ProjectionType is ALL, but NonKeyAttributes is specified",
            [gsi(projection={"ProjectionType": "ALL", "NonKeyAttributes": ["a"]})])
    refused(client, P + "ProvisionedThroughput must be specified for index: byG", [gsi()],
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    many = [gsi(f"i{i:02}", projection={"ProjectionType": "INCLUDE",
                                        "NonKeyAttributes": [f"a{i}-{j}" for j in range(20)]})
            for i in range(6)]
    with pytest.raises(ValidationException, match="limit of 100"):
        create(client, many)
    with pytest.raises(ValidationException, match="limit of 20"):
        create(client, [gsi(f"i{i:02}") for i in range(21)])
    assert client.list_tables()["TableNames"] == []


def test_describe_and_provisioned(client):
    d = create(client, [gsi(ProvisionedThroughput={"ReadCapacityUnits": 3,
                                                   "WriteCapacityUnits": 4})],
               BillingMode="PROVISIONED",
               ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    g = d["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert g["IndexName"] == "byG" and g["IndexStatus"] == "ACTIVE"
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert g["IndexArn"].endswith(":table/tbl/index/byG")
    client.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"},
                                           "g": {"S": "x"}, "gs": {"N": "2"}})
    client.put_item(TableName="tbl", Item={"pk": {"S": "b"}, "sk": {"N": "1"}})
    g = client.describe_table(TableName="tbl")["Table"]["GlobalSecondaryIndexes"][0]
    assert g["ItemCount"] == 1 and g["IndexSizeBytes"] > 0


def _put(client, pk, sk, **attrs):
    item = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    for k, v in attrs.items():
        item[k] = {"N": str(v)} if isinstance(v, int) else {"S": v}
    client.put_item(TableName="tbl", Item=item)


def _q(client, g, **kw):
    kw.setdefault("KeyConditionExpression", "g = :g")
    values = dict(kw.pop("values", {}), **{":g": {"S": g}})
    return client.query(TableName="tbl", IndexName="byG",
                        ExpressionAttributeValues=values, **kw)


def test_sparse_query_and_pagination(client):
    create(client, [gsi(projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["o"]})])
    for i in range(20):
        _put(client, f"p{i % 4}", i, g="x" if i % 2 else "y", gs=i % 5, o="keep", z="drop")
    _put(client, "sparse", 1, g="x")            # no gs: not in the index
    _put(client, "sparse", 2, gs=3)             # no g
    got = _q(client, "x")["Items"]
    assert len(got) == 10
    assert [int(i["gs"]["N"]) for i in got] == sorted(int(i["gs"]["N"]) for i in got)
    assert all(set(i) == {"pk", "sk", "g", "gs", "o"} for i in got)
    rev = _q(client, "x", ScanIndexForward=False)["Items"]
    assert rev == got[::-1]
    # pages of 3 give the same items, each LastEvaluatedKey holding index and table keys
    pages, esk = [], None
    while True:
        kw = {"Limit": 3}
        if esk:
            kw["ExclusiveStartKey"] = esk
        r = _q(client, "x", **kw)
        pages += r["Items"]
        esk = r.get("LastEvaluatedKey")
        if not esk:
            break
        assert set(esk) == {"g", "gs", "pk", "sk"}
    assert pages == got
    between = _q(client, "x", KeyConditionExpression="g = :g AND gs BETWEEN :a AND :b",
                 values={":a": {"N": "1"}, ":b": {"N": "2"}})["Items"]
    assert {int(i["gs"]["N"]) for i in between} == {1, 2}
    assert len(between) == len([i for i in got if i["gs"]["N"] in ("1", "2")])
    flt = _q(client, "x", FilterExpression="o = :o", values={":o": {"S": "keep"}})
    assert flt["Count"] == 10
    with pytest.raises(ValidationException, match="non-primary key attributes"):
        _q(client, "x", FilterExpression="gs = :o", values={":o": {"N": "1"}})
    sel = _q(client, "x", Select="ALL_PROJECTED_ATTRIBUTES")["Items"]
    assert sel == got
    spec = _q(client, "x", Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="o")["Items"]
    assert spec == [{"o": {"S": "keep"}}] * 10
    # Scan, parallel segments, counts
    scan = client.scan(TableName="tbl", IndexName="byG")
    assert scan["Count"] == 20
    seg = [client.scan(TableName="tbl", IndexName="byG", Segment=s, TotalSegments=3)["Count"]
           for s in range(3)]
    assert sum(seg) == 20
    items, esk = [], None
    while True:
        kw = {"Limit": 7}
        if esk:
            kw["ExclusiveStartKey"] = esk
        r = client.scan(TableName="tbl", IndexName="byG", **kw)
        items += r["Items"]
        esk = r.get("LastEvaluatedKey")
        if not esk:
            break
    assert sorted(map(repr, items)) == sorted(map(repr, scan["Items"]))


def test_string_sort_key_order_and_begins_with(client):
    attrs = [("pk", "S"), ("sk", "N"), ("g", "S"), ("t", "S")]
    create(client, [gsi(keys=(("g", "HASH"), ("t", "RANGE")))], attrs=attrs)
    values = ["a", "a\x00", "a\x00b", "ab", "abc", "b", "", "\x00"][:6]
    for i, v in enumerate(values):
        _put(client, f"k{i}", i, g="x", t=v)
        _put(client, f"k{i}", i + 100, g="x", t=v)   # equal index keys: both kept
    got = client.query(TableName="tbl", IndexName="byG", KeyConditionExpression="g = :g",
                       ExpressionAttributeValues={":g": {"S": "x"}})["Items"]
    assert [i["t"]["S"] for i in got] == sorted(values * 2)
    bw = client.query(TableName="tbl", IndexName="byG",
                      KeyConditionExpression="g = :g AND begins_with(t, :p)",
                      ExpressionAttributeValues={":g": {"S": "x"}, ":p": {"S": "a"}})["Items"]
    assert sorted(i["t"]["S"] for i in bw) == sorted([v for v in values if v.startswith("a")] * 2)
    for op, pred in (("<", lambda v: v < "ab"), ("<=", lambda v: v <= "ab"),
                     (">", lambda v: v > "ab"), (">=", lambda v: v >= "ab"),
                     ("=", lambda v: v == "ab")):
        r = client.query(TableName="tbl", IndexName="byG",
                         KeyConditionExpression=f"g = :g AND t {op} :p",
                         ExpressionAttributeValues={":g": {"S": "x"}, ":p": {"S": "ab"}})
        assert [i["t"]["S"] for i in r["Items"]] == sorted([v for v in values if pred(v)] * 2)


def test_refusals(client):
    create(client, [gsi(projection={"ProjectionType": "KEYS_ONLY"})])
    with pytest.raises(ValidationException) as e:
        _put(client, "a", 1, g=5)
    assert e.value.message == (P + "Type mismatch for Index Key g Expected: S Actual: N "
                               "IndexName: byG")
    with pytest.raises(ValidationException) as e:
        _put(client, "a", 1, g="")
    assert e.value.message == (
        "One or more parameter values are not valid. A value specified for a secondary index "
        "key is not supported. The AttributeValue for a key attribute cannot contain an empty "
        "string value. IndexName: byG, IndexKey: g")
    _put(client, "a", 1, g="x", gs=1)
    with pytest.raises(ValidationException, match="attempted to update the secondary index "
                       "key to unsupported type"):   # an update's wording
        client.update_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                           UpdateExpression="SET gs = :v",
                           ExpressionAttributeValues={":v": {"S": "no"}})
    with pytest.raises(ValidationException, match="Type mismatch"):
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "t"}, "sk": {"N": "1"},
                                                  "g": {"N": "1"}}}}])
    with pytest.raises(ValidationException, match="Type mismatch"):
        client.batch_write_item(RequestItems={"tbl": [
            {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}, "g": {"S": "y"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "c"}, "sk": {"N": "1"}, "g": {"N": "1"}}}}]})
    assert client.scan(TableName="tbl")["Count"] == 1
    assert client.scan(TableName="tbl", IndexName="byG")["Count"] == 1
    with pytest.raises(ValidationException) as e:
        _q(client, "x", ConsistentRead=True)
    assert e.value.message == "Consistent reads are not supported on global secondary indexes"
    with pytest.raises(ValidationException) as e:
        _q(client, "x", ProjectionExpression="zzq")
    assert e.value.message == P + "Global secondary index byG does not project [zzq]"
    with pytest.raises(ValidationException, match="Select type ALL_ATTRIBUTES is not supported"):
        _q(client, "x", Select="ALL_ATTRIBUTES")
    with pytest.raises(ValidationException, match="does not have the specified index: nope"):
        client.query(TableName="tbl", IndexName="nope", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "x"}})


def test_update_moves_entry_and_capacity(client):
    create(client, [gsi()])
    _put(client, "a", 1, g="x", gs=1)
    r = client.update_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                           UpdateExpression="SET g = :v",
                           ExpressionAttributeValues={":v": {"S": "y"}},
                           ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 2.0   # delete + put
    assert cc["Table"]["CapacityUnits"] == 1.0 and cc["CapacityUnits"] == 3.0
    assert _q(client, "x")["Count"] == 0
    assert _q(client, "y")["Items"][0]["pk"] == {"S": "a"}
    r = client.update_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                           UpdateExpression="REMOVE gs", ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 1.0
    assert _q(client, "y")["Count"] == 0
    client.update_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                       UpdateExpression="SET gs = :v",
                       ExpressionAttributeValues={":v": {"N": "4"}})
    client.delete_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert client.scan(TableName="tbl", IndexName="byG")["Count"] == 0
    r = client.batch_write_item(RequestItems={"tbl": [
        {"PutRequest": {"Item": {"pk": {"S": f"b{i}"}, "sk": {"N": "1"}, "g": {"S": "x"},
                                 "gs": {"N": "1"}}}} for i in range(3)]},
        ReturnConsumedCapacity="INDEXES")
    [cc] = r["ConsumedCapacity"]
    assert cc["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 3.0
    assert cc["Table"]["CapacityUnits"] == 3.0 and cc["CapacityUnits"] == 6.0
    q = _q(client, "x", ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert q["Table"]["CapacityUnits"] == 0.0
    assert q["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 0.5


def test_intent_replayed_after_crash(tmp_path):
    path = tmp_path / "data"
    db = dyncore.open(path, sync="none")
    c = db.client()
    create(c, [gsi()])
    _put(c, "a", 1, g="x", gs=1)
    idx = db.table("tbl").indexes["byG"]

    def boom(*a, **k):
        raise RuntimeError("crash between the base write and the index write")
    idx.store._write = idx.store.write_many_locked = boom
    with pytest.raises(RuntimeError):
        _put(c, "a", 1, g="y", gs=2)
    db.close()   # the intent stays behind, the index is stale
    with dyncore.open(path, sync="none") as db:
        c = db.client()
        assert db.intents.pending() == []
        assert _q(c, "x")["Count"] == 0
        assert [i["gs"] for i in _q(c, "y")["Items"]] == [{"N": "2"}]


def test_reverse_pages(client):
    attrs = [("pk", "S"), ("sk", "N"), ("g", "S"), ("t", "S")]
    create(client, [gsi(keys=(("g", "HASH"), ("t", "RANGE")),
                        projection={"ProjectionType": "KEYS_ONLY"})], attrs=attrs)
    for i in range(30):
        _put(client, f"k{i}", i, g="x", t=f"s{i % 7}")
    kc = dict(TableName="tbl", IndexName="byG", ScanIndexForward=False,
              KeyConditionExpression="g = :g AND t > :a",
              ExpressionAttributeValues={":g": {"S": "x"}, ":a": {"S": "s"}})
    full = client.query(**kc)["Items"]
    assert [i["t"]["S"] for i in full] == sorted((f"s{i % 7}" for i in range(30)), reverse=True)
    got, esk = [], None
    while True:
        r = client.query(Limit=4, **kc, **({"ExclusiveStartKey": esk} if esk else {}))
        got += r["Items"]
        esk = r.get("LastEvaluatedKey")
        if not esk:
            break
    assert got == full


def test_intents_are_synced_when_writes_sync_at_commit(tmp_path):
    """With sync="commit" an index intent is synced before its base write
    (a power cut then keeps the intent or every write it announces); with
    other modes it is not."""
    for mode, want in (("commit", "commit"), ("interval", "none")):
        db = dyncore.open(tmp_path / mode, sync=mode)
        try:
            c = db.client()
            create(c, [gsi()])
            seen = []

            class Spy:
                def __init__(self, engine):
                    self.engine = engine

                def write_batch(self, ops, sync=None):
                    seen.append((ops[0][0][:4], sync))
                    return self.engine.write_batch(ops, sync=sync)

            db.intents.engine = Spy(db.intents.engine)
            c.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"},
                                              "g": {"S": "x"}, "gs": {"N": "2"}})
            assert seen[0] == (b"gsi/", want)      # the intent, before the write
            db.intents.engine = db.intents.engine.engine
        finally:
            db.close()


def test_ended_intents_are_deleted_in_batches_and_stale_ones_replay_harmlessly(tmp_path):
    """Intents are deleted in batches after their writes; those a crash
    leaves behind (here: not deleted at close) are replayed at open and
    leave the index exactly as the table implies, even for items changed
    again since."""
    from dyncore.table.index import Intents
    path = tmp_path / "data"
    db = dyncore.open(path, sync="none")
    c = db.client()
    create(c, [gsi()])
    for i in range(300):
        _put(c, f"k{i % 40}", 1, g=f"g{i % 3}", gs=i)
    # every intent has ended; at most one batch waits for its deletion
    assert db.intents.pending() == []
    assert 0 < len(db.intents._ended) < Intents.ENDS_PER_BATCH
    db.intents._ended = []          # as if the process died here
    assert len(db.intents.pending()) > 0
    db.close()
    with dyncore.open(path, sync="none") as db:
        c = db.client()
        assert db.intents.pending() == []
        rows = sorted((i["pk"]["S"], i["g"]["S"], i["gs"]["N"])
                      for i in c.scan(TableName="tbl", IndexName="byG")["Items"])
        want = sorted((f"k{k}", f"g{i % 3}", str(i))
                      for k, i in {i % 40: i for i in range(300)}.items())
        assert rows == want


def one_past_the_limit(client, item, attr, limit, message):
    """A string index key attribute of limit + 1 bytes is refused with
    message; one of limit bytes is written (its value then "y" * limit)."""
    with pytest.raises(ValidationException) as e:
        client.put_item(TableName="tbl", Item=dict(item, **{attr: {"S": "y" * (limit + 1)}}))
    assert e.value.message == message
    client.put_item(TableName="tbl", Item=dict(item, **{attr: {"S": "y" * limit}}))


def test_index_key_size_limits_and_empty_index_lists(client):
    create(client, [gsi()], attrs=[("pk", "S"), ("sk", "N"), ("g", "S"), ("gs", "N")])
    ok = {"pk": {"S": "a"}, "sk": {"N": "1"}, "gs": {"N": "1"}}
    one_past_the_limit(client, ok, "g", 2048,
                       P + "Size of hashkey has exceeded the maximum size limit of2048 bytes")
    # an empty index list is refused rather than ignored
    for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        with pytest.raises(ValidationException) as e:
            client.create_table(
                TableName="empty", BillingMode="PAY_PER_REQUEST", **{member: []},
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                           {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "N"}])
        assert e.value.message == P + f"List of {member} is empty"


def test_index_sort_key_limit_and_update_wording(client):
    attrs = [("pk", "S"), ("sk", "N"), ("g", "S"), ("t", "S")]
    create(client, [gsi(keys=(("g", "HASH"), ("t", "RANGE")))], attrs=attrs)
    item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}}
    one_past_the_limit(client, item, "t", 1024, P + "Aggregated size of all range keys has "
                       "exceeded the size limit of 1024 bytes")
    with pytest.raises(ValidationException) as e:
        client.update_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                           UpdateExpression="SET t = :e",
                           ExpressionAttributeValues={":e": {"S": ""}})
    assert e.value.message == (
        "One or more parameter values are not valid. The update expression attempted to "
        "update a secondary index key to a value that is not supported. The AttributeValue "
        "for a key attribute cannot contain an empty string value.")
    got = client.get_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"]
    assert got["t"] == {"S": "y" * 1024}


def test_warm_throughput(client):
    create(client, [gsi(WarmThroughput={"ReadUnitsPerSecond": 15000})],
           WarmThroughput={"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000})
    d = client.describe_table(TableName="tbl")["Table"]
    assert d["WarmThroughput"] == {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000,
                                   "Status": "ACTIVE"}
    assert d["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    client.update_table(TableName="tbl", WarmThroughput={"WriteUnitsPerSecond": 6000})
    assert client.describe_table(TableName="tbl")["Table"]["WarmThroughput"][
        "WriteUnitsPerSecond"] == 6000
    for where in ("table", "index"):
        kw = {"WarmThroughput": {"WriteUnitsPerSecond": 3000}}
        with pytest.raises(ValidationException, match="lower than initial throughput"):
            if where == "table":
                create(client, [gsi()], name="cold", **kw)
            else:
                create(client, [gsi(**kw)], name="cold")
    assert "cold" not in client.list_tables()["TableNames"]
