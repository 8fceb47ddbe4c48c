"""The server is a thin translation: a scripted session of every operation,
errors included, gives the same answers through HTTP (boto3 against `dyncore
serve`) as through the embedded client (botocore's ClientError on both
sides), apart from what differs by nature (ids, times, request ids)."""
import pytest

import dyncore
from tests.server.test_server import client, start, stop

KS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
AD = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
K = lambda pk, sk: {"pk": {"S": pk}, "sk": {"N": str(sk)}}  # noqa: E731

SESSION = [
    ("create_table", dict(TableName="same", KeySchema=KS, AttributeDefinitions=AD,
                          BillingMode="PAY_PER_REQUEST")),
    ("create_table", dict(TableName="same", KeySchema=KS, AttributeDefinitions=AD,
                          BillingMode="PAY_PER_REQUEST")),
    ("create_table", dict(TableName="other", KeySchema=KS[:1], AttributeDefinitions=AD[:1],
                          BillingMode="PROVISIONED",
                          ProvisionedThroughput={"ReadCapacityUnits": 5,
                                                 "WriteCapacityUnits": 5})),
    ("list_tables", {}),
    ("list_tables", dict(Limit=1)),
    ("describe_table", dict(TableName="nope")),
    ("put_item", dict(TableName="same", Item={**K("a", 1), "n": {"N": "1.50"},
                                              "b": {"B": b"\x00\xff"}, "s": {"SS": ["x", "y"]},
                                              "m": {"M": {"l": {"L": [{"NULL": True}]}}}})),
    ("put_item", dict(TableName="same", Item={**K("a", 2), "n": {"N": "x"}})),
    ("put_item", dict(TableName="same", Item={"pk": {"S": "a"}})),
    ("put_item", dict(TableName="same", Item=K("a", 3), ConditionExpression="attribute_exists(pk)")),
    ("put_item", dict(TableName="same", Item=K("a", 1), ConditionExpression="n = :v",
                      ExpressionAttributeValues={":v": {"N": "2"}},
                      ReturnValuesOnConditionCheckFailure="ALL_OLD")),
    ("get_item", dict(TableName="same", Key=K("a", 1))),
    ("get_item", dict(TableName="same", Key=K("a", 1), ProjectionExpression="m.l[0], s")),
    ("get_item", dict(TableName="same", Key={"pk": {"S": "a"}})),
    ("update_item", dict(TableName="same", Key=K("a", 1), UpdateExpression="SET n = n + :d "
                         "ADD s :s REMOVE m.l[0]", ExpressionAttributeValues={
                             ":d": {"N": "0.5"}, ":s": {"SS": ["z"]}}, ReturnValues="ALL_NEW")),
    ("update_item", dict(TableName="same", Key=K("a", 1), UpdateExpression="SET pk = :v",
                         ExpressionAttributeValues={":v": {"S": "b"}})),
    ("update_item", dict(TableName="same", Key=K("a", 1), UpdateExpression="SET a = :v, a.b = :v",
                         ExpressionAttributeValues={":v": {"S": "b"}})),
    ("update_item", dict(TableName="same", Key=K("a", 9), UpdateExpression="SET status = :v",
                         ExpressionAttributeValues={":v": {"S": "b"}})),
    ("batch_write_item", dict(RequestItems={"same": [{"PutRequest": {"Item": K("q", i)}}
                                                     for i in range(10)]})),
    ("batch_write_item", dict(RequestItems={"same": [{"PutRequest": {"Item": K("q", 1)}},
                                                     {"DeleteRequest": {"Key": K("q", 1)}}]})),
    ("batch_get_item", dict(RequestItems={"same": {"Keys": [K("q", 1), K("q", 2), K("z", 1)],
                                                   "ProjectionExpression": "sk"}})),
    ("query", dict(TableName="same", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                   ExpressionAttributeValues={":p": {"S": "q"}, ":a": {"N": "2"},
                                              ":b": {"N": "7"}}, Limit=3,
                   ScanIndexForward=False)),
    ("query", dict(TableName="same", KeyConditionExpression="sk = :s",
                   ExpressionAttributeValues={":s": {"N": "1"}})),
    ("query", dict(TableName="same", KeyConditions={"pk": {"ComparisonOperator": "EQ",
                                                           "AttributeValueList": [{"S": "q"}]}},
                   QueryFilter={"sk": {"ComparisonOperator": "GT",
                                       "AttributeValueList": [{"N": "5"}]}})),
    ("scan", dict(TableName="same", FilterExpression="sk > :s", Select="COUNT",
                  ExpressionAttributeValues={":s": {"N": "4"}})),
    ("scan", dict(TableName="same", Segment=1, TotalSegments=3, ReturnConsumedCapacity="TOTAL")),
    ("transact_write_items", dict(TransactItems=[
        {"Put": {"TableName": "same", "Item": K("t", 1)}},
        {"Update": {"TableName": "other", "Key": {"pk": {"S": "c"}},
                    "UpdateExpression": "ADD v :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}}])),
    ("transact_write_items", dict(TransactItems=[
        {"Put": {"TableName": "same", "Item": K("t", 2)}},
        {"ConditionCheck": {"TableName": "other", "Key": {"pk": {"S": "c"}},
                            "ConditionExpression": "v = :x",
                            "ExpressionAttributeValues": {":x": {"N": "7"}}}}])),
    ("transact_get_items", dict(TransactItems=[
        {"Get": {"TableName": "same", "Key": K("t", 1)}},
        {"Get": {"TableName": "other", "Key": {"pk": {"S": "c"}}}}])),
    ("delete_item", dict(TableName="same", Key=K("q", 3), ReturnValues="ALL_OLD")),
    ("delete_item", dict(TableName="same", Key=K("q", 4), ConditionExpression="attribute_not_exists(pk)")),
    ("update_table", dict(TableName="other", ProvisionedThroughput={"ReadCapacityUnits": 7,
                                                                    "WriteCapacityUnits": 7})),
    ("tag_resource", dict(ResourceArn="arn:aws:dynamodb:local:000000000000:table/same",
                          Tags=[{"Key": "k", "Value": "v"}])),
    ("list_tags_of_resource", dict(ResourceArn="arn:aws:dynamodb:local:000000000000:table/same")),
    ("delete_table", dict(TableName="other")),
    ("describe_table", dict(TableName="same")),
]

VOLATILE = {"ResponseMetadata", "TableId", "CreationDateTime", "LastUpdateToPayPerRequestDateTime",
            "LastIncreaseDateTime", "LastDecreaseDateTime", "RequestId", "HostId",
            "HTTPHeaders", "HTTPStatusCode", "RetryAttempts"}


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


def _run(c):
    out = []
    for method, params in SESSION:
        try:
            out.append(("ok", _clean(getattr(c, method)(**params))))
        except c.exceptions.ClientError as e:
            out.append(("error", _clean(e.response)))
    return out


def test_http_answers_equal_embedded_answers(tmp_path):
    with dyncore.open(tmp_path / "embedded") as db:
        embedded = _run(db.client())
    p, port = start("--temporary")
    try:
        http = _run(client(port))
    finally:
        stop(p)
    assert len(http) == len(embedded) == len(SESSION)
    for (method, params), a, b in zip(SESSION, embedded, http):
        assert a == b, (method, params)
    # the session did reach its interesting answers
    kinds = [k for k, _ in http]
    assert kinds.count("error") >= 10 and kinds.count("ok") >= 20
