"""Global secondary indexes through `dyncore serve` with boto3: CreateTable
with an index, writes on the server's fast paths, Query and Scan on the
index with pages, DescribeTable's GlobalSecondaryIndexes, DynamoDB's
errors as botocore parses them, and an index added and deleted by
UpdateTable."""
import time

import pytest
from botocore.exceptions import ClientError

from tests.server.test_server import client, start, stop


def test_gsi_over_http():
    p, port = start("--temporary")
    try:
        c = client(port)
        c.create_table(
            TableName="gsisrv", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"},
                                  {"AttributeName": "n", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[{
                "IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                              {"AttributeName": "n", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
        for i in range(12):
            c.put_item(TableName="gsisrv", Item={"pk": {"S": f"k{i}"}, "g": {"S": "a"},
                                                 "n": {"N": str(12 - i)}, "x": {"S": "y"}})
        c.batch_write_item(RequestItems={"gsisrv": [
            {"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
        c.update_item(TableName="gsisrv", Key={"pk": {"S": "k1"}}, UpdateExpression="REMOVE g")
        items, esk = [], None
        while True:
            kw = {"ExclusiveStartKey": esk} if esk else {}
            r = c.query(TableName="gsisrv", IndexName="byG", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "a"}}, Limit=4, **kw)
            items += r["Items"]
            esk = r.get("LastEvaluatedKey")
            if not esk:
                break
        assert [int(i["n"]["N"]) for i in items] == list(range(1, 11))
        assert all(set(i) == {"pk", "g", "n"} for i in items)
        assert c.scan(TableName="gsisrv", IndexName="byG")["Count"] == 10
        g = c.describe_table(TableName="gsisrv")["Table"]["GlobalSecondaryIndexes"][0]
        assert g["IndexName"] == "byG" and g["ItemCount"] == 10
        with pytest.raises(ClientError) as e:
            c.put_item(TableName="gsisrv", Item={"pk": {"S": "bad"}, "g": {"N": "1"}})
        assert e.value.response["Error"]["Code"] == "ValidationException"
        assert "Type mismatch for Index Key g" in e.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as e:
            c.query(TableName="gsisrv", IndexName="byG", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "a"}}, ConsistentRead=True)
        assert e.value.response["Error"]["Message"] == (
            "Consistent reads are not supported on global secondary indexes")
        c.update_table(TableName="gsisrv",
                       AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "S"}],
                       GlobalSecondaryIndexUpdates=[{"Create": {
                           "IndexName": "byX",
                           "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                           "Projection": {"ProjectionType": "ALL"}}}])
        waiter = time.monotonic() + 30
        while True:
            gs = c.describe_table(TableName="gsisrv")["Table"]["GlobalSecondaryIndexes"]
            if all(g["IndexStatus"] == "ACTIVE" for g in gs):
                break
            assert time.monotonic() < waiter
            time.sleep(0.02)
        assert c.query(TableName="gsisrv", IndexName="byX", KeyConditionExpression="x = :x",
                       ExpressionAttributeValues={":x": {"S": "y"}})["Count"] == 11
        c.update_table(TableName="gsisrv",
                       GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byX"}}])
        while len(c.describe_table(TableName="gsisrv")["Table"]["GlobalSecondaryIndexes"]) > 1:
            assert time.monotonic() < waiter
            time.sleep(0.02)
    finally:
        stop(p)
