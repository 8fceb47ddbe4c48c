"""Local secondary indexes (CreateTable): DynamoDB's validation messages,
DescribeTable, consistent Query, non-projected attributes read from the
table at the extra cost, ReturnItemCollectionMetrics SIZE and the item
collection size limit (a Database option, tiny here)."""
import pytest

import dyncore
from dyncore.errors import (ItemCollectionSizeLimitExceededException, TransactionCanceledException,
                            ValidationException)

P = "One or more parameter values were invalid: "


def lsi(name="byL", keys=(("pk", "HASH"), ("l", "RANGE")), ptype="KEYS_ONLY"):
    return {"IndexName": name, "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in keys],
            "Projection": {"ProjectionType": ptype}}


def create(c, lsis, sk=True, attrs=(("l", "S"),)):
    ks = [{"AttributeName": "pk", "KeyType": "HASH"}]
    ad = [("pk", "S")]
    if sk:
        ks.append({"AttributeName": "sk", "KeyType": "RANGE"})
        ad.append(("sk", "N"))
    ad += list(attrs)
    return c.create_table(TableName="lsi", KeySchema=ks, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                                                for n, t in ad],
                          LocalSecondaryIndexes=lsis)


def refused(c, message, lsis, **kw):
    with pytest.raises(ValidationException) as e:
        create(c, lsis, **kw)
    assert e.value.message == message


def test_validation(client):
    refused(client, P + "Table KeySchema does not have a range key, which is required when "
            "specifying a LocalSecondaryIndex", [lsi()], sk=False)
    refused(client, P + "Index KeySchema does not have the same leading hash key as table "
            "KeySchema for index: byL. index hash key: l, table hash key: pk",
            [lsi(keys=(("l", "HASH"), ("sk", "RANGE")))])
    refused(client, P + "Index KeySchema does not have a range key for index: byL",
            [lsi(keys=(("pk", "HASH"),))], attrs=())
    refused(client, P + "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
            [lsi(f"idx{i}") for i in range(6)])
    refused(client, P + "Duplicate index name: byL", [lsi(), lsi()])
    assert client.list_tables()["TableNames"] == []


def _put(c, sk, l, **kw):
    item = {"pk": {"S": "a"}, "sk": {"N": str(sk)}, "l": {"S": l}, "big": {"S": "x" * 300}}
    return c.put_item(TableName="lsi", Item=item, **kw)


def test_query_fetch_metrics_and_limit(tmp_path):
    with dyncore.open(tmp_path / "d", sync="none", item_collection_limit=4000) as db:
        c = db.client()
        d = create(c, [lsi()])["TableDescription"]["LocalSecondaryIndexes"][0]
        assert d["IndexName"] == "byL" and "IndexStatus" not in d
        for i in range(5):
            r = _put(c, i, f"z{5 - i}", ReturnItemCollectionMetrics="SIZE",
                     ReturnConsumedCapacity="INDEXES")
        assert r["ItemCollectionMetrics"] == {"ItemCollectionKey": {"pk": {"S": "a"}},
                                              "SizeEstimateRangeGB": [0.0, 1.0]}
        assert r["ConsumedCapacity"]["LocalSecondaryIndexes"]["byL"]["CapacityUnits"] == 1.0
        kc = dict(TableName="lsi", IndexName="byL", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "a"}}, ReturnConsumedCapacity="INDEXES")
        q = c.query(ConsistentRead=True, **kc)
        assert [i["l"]["S"] for i in q["Items"]] == ["z1", "z2", "z3", "z4", "z5"]
        assert all(set(i) == {"pk", "sk", "l"} for i in q["Items"])
        cheap = q["ConsumedCapacity"]["LocalSecondaryIndexes"]["byL"]["CapacityUnits"]
        q = c.query(Select="ALL_ATTRIBUTES", Limit=2, **kc)
        assert [set(i) for i in q["Items"]] == [{"pk", "sk", "l", "big"}] * 2
        assert q["LastEvaluatedKey"] == {"pk": {"S": "a"}, "l": {"S": "z2"}, "sk": {"N": "3"}}
        assert q["ConsumedCapacity"]["LocalSecondaryIndexes"]["byL"]["CapacityUnits"] > cheap / 2
        q = c.query(ProjectionExpression="big", **kc)
        assert q["Items"][0] == {"big": {"S": "x" * 300}}
        with pytest.raises(ItemCollectionSizeLimitExceededException):
            for i in range(5, 30):
                _put(c, i, "q")
        n = c.query(TableName="lsi", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "a"}})["Count"]
        with pytest.raises(TransactionCanceledException) as e:   # a reason, at its action
            c.transact_write_items(TransactItems=[
                {"Put": {"TableName": "lsi", "Item": {"pk": {"S": "z"}, "sk": {"N": "1"}}}},
                {"Put": {"TableName": "lsi", "Item": {
                    "pk": {"S": "a"}, "sk": {"N": "99"}, "big": {"S": "y" * 900}}}}])
        assert e.value.response["CancellationReasons"] == [
            {"Code": "None"},
            {"Code": "ItemCollectionSizeLimitExceeded", "Message": "Collection size exceeded."}]
        with pytest.raises(ItemCollectionSizeLimitExceededException):
            c.batch_write_item(RequestItems={"lsi": [{"PutRequest": {"Item": {
                "pk": {"S": "a"}, "sk": {"N": "98"}, "big": {"S": "y" * 900}}}}]})
        # nothing of the refused writes was written; shrinking is always allowed
        assert c.query(TableName="lsi", KeyConditionExpression="pk = :p",
                       ExpressionAttributeValues={":p": {"S": "a"}})["Count"] == n
        c.delete_item(TableName="lsi", Key={"pk": {"S": "a"}, "sk": {"N": "0"}})
        r = c.batch_write_item(RequestItems={"lsi": [{"PutRequest": {"Item": {
            "pk": {"S": "b"}, "sk": {"N": "1"}, "l": {"S": "k"}}}}]},
            ReturnItemCollectionMetrics="SIZE")
        assert r["ItemCollectionMetrics"]["lsi"][0]["ItemCollectionKey"] == {"pk": {"S": "b"}}


def test_collection_sizes_kept_by_writes_match_the_collection(tmp_path):
    """The sizes a write learns from the cache (no read of the collection)
    equal what reading the collection gives, after random puts, updates,
    deletes and batches across several collections."""
    import random

    from dyncore.table.index import collection_bytes
    rnd = random.Random(7)
    with dyncore.open(tmp_path / "d", sync="none", throttling=False) as db:
        c = db.client()
        create(c, [lsi(ptype="ALL")])
        store = db.table("lsi").store
        local = [i for i in store.indexes if i.local][0]
        for step in range(400):
            pk = f"c{rnd.randrange(4)}"
            sk = {"N": str(rnd.randrange(12))}
            op = rnd.random()
            if op < 0.5:
                item = {"pk": {"S": pk}, "sk": sk, "big": {"S": "x" * rnd.randrange(500)}}
                if rnd.random() < 0.7:
                    item["l"] = {"S": str(rnd.randrange(5))}
                c.put_item(TableName="lsi", Item=item)
            elif op < 0.7:
                c.update_item(TableName="lsi", Key={"pk": {"S": pk}, "sk": sk},
                              UpdateExpression="SET l = :l, big = :b",
                              ExpressionAttributeValues={":l": {"S": "u"},
                                                         ":b": {"S": "y" * rnd.randrange(300)}})
            elif op < 0.85:
                c.delete_item(TableName="lsi", Key={"pk": {"S": pk}, "sk": sk})
            else:
                c.batch_write_item(RequestItems={"lsi": [
                    {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"N": str(100 + j)},
                                             "l": {"S": "b"}, "big": {"S": "z" * 50}}}}
                    for j in range(rnd.randrange(1, 4))]})
        assert store.collection_cache, "the writes learned no collection sizes"
        for prefix, size in store.collection_cache.items():
            assert size == collection_bytes(store, prefix)
        assert {local.key_prefix(({"S": f"c{i}"},), dyncore._core.FORM_CLIENT)
                for i in range(4)} >= set(store.collection_cache)
