"""Throttling through `dyncore serve` as boto3 sees it: a provisioned table
past its capacity answers 400 ProvisionedThroughputExceededException
(DynamoDB's __type, message and ThrottlingReasons), which botocore parses
into its modeled exception and would retry; ReturnConsumedCapacity,
DescribeLimits and the capacity series of /metrics over HTTP."""
import json

import boto3
import pytest
from botocore.config import Config

from tests.server.test_server import raw, start, stop


@pytest.fixture(scope="module")
def port():
    p, port = start("--temporary")
    yield port
    stop(p)


def client(port, **config):
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                        region_name="us-east-1", aws_access_key_id="k",
                        aws_secret_access_key="s", config=Config(**config))


def test_boto3_sees_provisioned_throughput_exceeded(port):
    c = client(port, retries={"total_max_attempts": 1})   # no retries
    c.create_table(TableName="cap", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    # one item of 350 KB takes the table's 300 units of burst (and more)
    out = c.put_item(TableName="cap", Item={"pk": {"S": "big"}, "d": {"S": "x" * 350_000}},
                     ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 342.0}
    with pytest.raises(c.exceptions.ProvisionedThroughputExceededException) as e:
        c.put_item(TableName="cap", Item={"pk": {"S": "small"}})
    r = e.value.response
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert r["Error"]["Message"].startswith("The level of configured provisioned throughput "
                                            "for the table was exceeded.")
    assert r["ThrottlingReasons"] == [{"reason": "TableWriteProvisionedThroughputExceeded",
                                       "resource": "arn:aws:dynamodb:local:000000000000:"
                                                   "table/cap"}]
    # the wire: DynamoDB's __type, which botocore's retry handler recognises
    status, _, body = raw(port, json.dumps({"TableName": "cap",
                                            "Item": {"pk": {"S": "s"}}}).encode(), "PutItem")
    assert status == 400
    assert json.loads(body)["__type"] == \
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
    # reads have their own bucket
    got = c.get_item(TableName="cap", Key={"pk": {"S": "big"}}, ReturnConsumedCapacity="TOTAL")
    assert got["ConsumedCapacity"]["CapacityUnits"] == 43.0     # 342 KB eventually consistent
    limits = c.describe_limits()
    assert limits["TableMaxWriteCapacityUnits"] == 40000
    status, _, text = raw(port, method="GET", path="/metrics", target=None, ctype=None, body=None)
    assert b'dyncore_throttled_requests_total{table="cap",' \
           b'reason="TableWriteProvisionedThroughputExceeded"} 2' in text
    assert b'dyncore_consumed_capacity_units_total{table="cap",index="",kind="write"} 342' \
        in text


def test_boto3_retries_a_hot_key(port):
    """An on-demand hot key answers ThrottlingException; boto3's own retries
    get the write through once the key's second is over. Legacy mode, whose
    DynamoDB delays are fixed (0.05 s doubling, ten attempts): they pass the
    second for certain. Standard mode's full jitter (up to 1 s, then 2 s,
    over three attempts) can spend all its retries inside the same second,
    which made this test fail now and then."""
    once = client(port, retries={"total_max_attempts": 1})
    c = client(port, retries={"mode": "legacy"})
    c.create_table(TableName="hot", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
    item = {"pk": {"S": "k"}, "d": {"S": "x" * 380_000}}       # 372 WCU each
    seen = None
    for _ in range(20):   # three fill the key's 1,000 WCU unless a second ends between
        try:
            for _ in range(4):
                once.put_item(TableName="hot", Item=item)
        except once.exceptions.ThrottlingException as e:
            seen = e.response
            break
    assert seen is not None
    assert seen["throttlingReasons"][0]["reason"] == "TableWriteKeyRangeThroughputExceeded"
    out = c.put_item(TableName="hot", Item=item)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_serve_with_throttling_off_counts_but_refuses_nothing():
    p, port = start("--temporary", "--throttling", "off")
    try:
        c = client(port, retries={"total_max_attempts": 1})
        c.create_table(TableName="off", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
        for _ in range(2):   # 684 units against a bucket of 300
            out = c.put_item(TableName="off", Item={"pk": {"S": "big"}, "d": {"S": "x" * 350_000}},
                             ReturnConsumedCapacity="TOTAL")
            assert out["ConsumedCapacity"]["CapacityUnits"] == 342.0
    finally:
        stop(p)
