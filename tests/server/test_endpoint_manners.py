"""What the endpoint answers outside the operations, and a few wordings,
as DynamoDB's own endpoint does (dynalite's recordings of it): GET / with
DynamoDB's health line, a request id on every answer (404s and CORS
preflights included), 404 for OPTIONS without Origin, a preflight that
echoes the method asked for, application/json on errors of requests that
name no content type, "true"/"false" strings taken as booleans in
AttributeValues, and DeleteTable/CreateTable/BatchWriteItem messages."""
import json
import re

from tests.server.test_server import raw, start, stop

import pytest

RID = re.compile(rb"^[0-9A-Z]{52}$")


@pytest.fixture(scope="module")
def port():
    p, port = start("--temporary")
    yield port
    stop(p)


def call(port, target, body):
    status, headers, data = raw(port, json.dumps(body).encode(), target)
    return status, json.loads(data)


def test_get_root_and_unknown_paths(port):
    status, h, body = raw(port, None, None, None, method="GET")
    assert status == 200 and body == b"healthy: dynamodb.us-east-1.amazonaws.com "
    assert RID.match(h["x-amzn-requestid"].encode()) and h["x-amz-crc32"].isdigit()
    status, h, body = raw(port, None, None, None, method="PUT")
    assert status == 404 and body == b"<UnknownOperationException/>\n"
    assert h["x-amz-crc32"] == "3552371480" and RID.match(h["x-amzn-requestid"].encode())
    status, h, body = raw(port, None, None, None, method="OPTIONS")   # no Origin
    assert status == 404 and RID.match(h["x-amzn-requestid"].encode())


def test_cors_preflight(port):
    status, h, body = raw(port, None, None, None, method="OPTIONS", headers={
        "Origin": "https://app.example", "Access-Control-Request-Headers": "a, b, c",
        "Access-Control-Request-Method": "d"})
    assert status == 200 and body == b""
    assert h["access-control-allow-origin"] == "*"
    assert h["access-control-allow-headers"] == "a, b, c"
    assert h["access-control-allow-methods"] == "d"
    assert h["access-control-max-age"] == "172800"
    assert RID.match(h["x-amzn-requestid"].encode())


def test_error_content_type_follows_the_request(port):
    status, h, body = raw(port, b"", "Nope", None)
    assert status == 400 and h["content-type"] == "application/json"
    assert json.loads(body)["__type"] == "com.amazon.coral.service#UnknownOperationException"
    status, h, body = raw(port, b"{}", "Nope", "application/x-amz-json-1.0")
    assert h["content-type"] == "application/x-amz-json-1.0"


def test_wordings(port):
    status, out = call(port, "CreateTable", {
        "TableName": "manners", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "byG", "Projection": {},
                                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]})
    assert status == 400 and out["message"] == \
        "One or more parameter values were invalid: Unknown ProjectionType: null"
    status, out = call(port, "DeleteTable", {"TableName": "manners"})
    assert status == 400 and out["message"] == \
        "Requested resource not found: Table: manners not found"
    call(port, "CreateTable", {
        "TableName": "manners", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    status, out = call(port, "BatchWriteItem", {"RequestItems": {"manners": [
        {"PutRequest": {"Item": {"x": {"S": "no key"}}}}]}})
    assert status == 400 and out["message"] == \
        "The provided key element does not match the schema"
    # "true" / "false" strings are booleans in the JSON protocol
    status, out = call(port, "PutItem", {"TableName": "manners", "Item": {
        "pk": {"S": "b"}, "f": {"BOOL": "false"}, "t": {"BOOL": "TRUE"}, "n": {"NULL": "true"}}})
    assert status == 200
    status, out = call(port, "GetItem", {"TableName": "manners", "Key": {"pk": {"S": "b"}}})
    assert out["Item"] == {"pk": {"S": "b"}, "f": {"BOOL": False}, "t": {"BOOL": True},
                           "n": {"NULL": True}}
