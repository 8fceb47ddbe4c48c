"""Bad input against a live server: random and mutated bodies, targets,
content types and encodings. Every answer must be one of DynamoDB's (200,
400 with a JSON error body naming its __type, 404, 413) -- never a 500, a
hang or a dropped server -- and a table the requests never name is intact
afterwards. FUZZ_HTTP_EXAMPLES sets the number of requests (default 300)."""
import gzip
import http.client
import json
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.server.test_server import client, start, stop

TARGETS = ["PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
           "BatchWriteItem", "TransactWriteItems", "TransactGetItems", "CreateTable",
           "DescribeTable", "ListTables", "UpdateTable", "TagResource", "NoSuchOp", ""]
NAMES = ["fuzz", "nosuch", "", "x" * 300, "a b"]   # never "guard"

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False), st.text(max_size=8),
                    st.sampled_from(NAMES + ["SET a = :v", "a = :v", "#n", ":v", "S", "N",
                                             "HASH", "PAY_PER_REQUEST", "ALL_NEW", "1"]))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(
            ["TableName", "Item", "Key", "S", "N", "B", "L", "M", "SS", "pk", "a",
             "ConditionExpression", "UpdateExpression", "ExpressionAttributeValues",
             "ExpressionAttributeNames", ":v", "#n", "TransactItems", "Put", "RequestItems",
             "KeySchema", "AttributeDefinitions", "Limit", "Select", "ReturnValues"]),
            inner, max_size=4)),
    max_leaves=12)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["TableName", "Item", "Key", "Limit"]), json_values,
                    max_size=3).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),                                     # not JSON, not UTF-8
    st.sampled_from([b"", b"{", b'{"TableName": "fuzz"', b'{"TableName": "\xff\xfe"}',
                     b'{"a": 1e999999}', b"[" * 5000, b'{"TableName": "fuzz", "Key": ' +
                     b'{"pk": {"S": "' + b"\xed\xa0\x80" + b'"}}}']))


@pytest.fixture(scope="module")
def live():
    p, port = start("--temporary")
    c = client(port)
    for name in ("guard", "fuzz"):
        c.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
    for i in range(20):
        c.put_item(TableName="guard", Item={"pk": {"S": f"g{i}"}, "v": {"N": str(i)}})
    before = c.scan(TableName="guard")["Items"]
    yield port
    after = c.scan(TableName="guard")["Items"]
    assert sorted(after, key=str) == sorted(before, key=str), "the guard table changed"
    stop(p)
    assert p.returncode == 0


@settings(max_examples=int(os.environ.get("FUZZ_HTTP_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(TARGETS), body=bodies,
       ctype=st.sampled_from(["application/x-amz-json-1.0", "application/x-amz-json-1.1",
                              "application/json", "", "text/plain; charset=utf-8"]),
       gz=st.booleans())
def test_fuzz_live_server(live, target, body, ctype, gz):
    headers = {"X-Amz-Target": "DynamoDB_20120810." + target}
    if ctype:
        headers["Content-Type"] = ctype
    if gz:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    conn = http.client.HTTPConnection("127.0.0.1", live, timeout=30)
    conn.request("POST", "/", body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    assert r.status in (200, 400, 404, 413), (r.status, data[:300])
    if r.status == 400:
        err = json.loads(data)
        assert err["__type"].split("#")[1] in (
            "ValidationException", "SerializationException", "UnknownOperationException",
            "ResourceNotFoundException", "ResourceInUseException",
            "ConditionalCheckFailedException", "TransactionCanceledException",
            "LimitExceededException"), err
