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


def test_multi_attribute_keys_through_boto3_resource():
    """A GSI keyed on two partition key and two sort key attributes, queried
    with boto3's resource API and its Key conditions."""
    import boto3
    from boto3.dynamodb.conditions import Key
    p, port = start("--temporary")
    try:
        res = boto3.resource("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                             region_name="us-east-1", aws_access_key_id="k",
                             aws_secret_access_key="s")
        table = res.create_table(
            TableName="matches", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in
                                  (("id", "S"), ("tour", "S"), ("region", "S"),
                                   ("round", "N"), ("bracket", "S"))],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[{
                "IndexName": "byTourRegion",
                "KeySchema": [{"AttributeName": "tour", "KeyType": "HASH"},
                              {"AttributeName": "region", "KeyType": "HASH"},
                              {"AttributeName": "round", "KeyType": "RANGE"},
                              {"AttributeName": "bracket", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}])
        for i, (rnd, br) in enumerate([(2, "upper"), (1, "upper"), (2, "lower"), (3, "x")]):
            table.put_item(Item={"id": f"m{i}", "tour": "W24", "region": "NA",
                                 "round": rnd, "bracket": br})
        table.put_item(Item={"id": "other", "tour": "W24", "region": "EU", "round": 1,
                             "bracket": "upper"})
        got = table.query(IndexName="byTourRegion",
                          KeyConditionExpression=Key("tour").eq("W24") & Key("region").eq("NA")
                          & Key("round").eq(2))["Items"]
        assert [(int(i["round"]), i["bracket"]) for i in got] == [(2, "lower"), (2, "upper")]
        got = table.query(IndexName="byTourRegion", ScanIndexForward=False,
                          KeyConditionExpression=Key("tour").eq("W24") & Key("region").eq("NA")
                          & Key("round").gte(2))["Items"]
        assert [i["id"] for i in got] == ["m3", "m0", "m2"]
        with pytest.raises(ClientError) as e:
            table.query(IndexName="byTourRegion", KeyConditionExpression=Key("tour").eq("W24"))
        assert e.value.response["Error"]["Message"] == \
            "Query condition missed key schema element: region"
        ks = table.meta.client.describe_table(TableName="matches")["Table"][
            "GlobalSecondaryIndexes"][0]["KeySchema"]
        assert [k["KeyType"] for k in ks] == ["HASH", "HASH", "RANGE", "RANGE"]
    finally:
        stop(p)
