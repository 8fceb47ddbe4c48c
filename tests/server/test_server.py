"""`dyncore serve` through real HTTP: boto3's client and resource against a
server started on a free port, the protocol's edges (content type, unknown
target, malformed JSON, huge bodies, CRC-32 header, health), and the
process's life: SIGTERM closes cleanly, SIGKILL then restart recovers."""
import gzip
import http.client
import json
import os
import signal
import subprocess
import sys
import zlib
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = "DynamoDB_20120810."


def start(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    p = subprocess.Popen([sys.executable, "-m", "dyncore", "serve", "--port", "0",
                          "--log-level", "warning", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    line = p.stdout.readline().decode()
    assert "serving DynamoDB on http://" in line, (line, p.stderr.read())
    port = int(line.split("http://")[1].split(" ")[0].rsplit(":", 1)[1])
    p.data_dir = line.split("(data: ")[1].split(",")[0]
    return p, port


def stop(p, sig=signal.SIGTERM):
    p.send_signal(sig)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise


@pytest.fixture(scope="module")
def server():
    p, port = start("--temporary")
    yield port
    stop(p)
    assert p.returncode == 0


def client(port):
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                        region_name="us-east-1", aws_access_key_id="k",
                        aws_secret_access_key="s")


def raw(port, body=b"{}", target="ListTables", ctype="application/x-amz-json-1.0",
        method="POST", path="/", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Content-Type": ctype} if ctype else {}
    if target:
        h["X-Amz-Target"] = TARGET + target
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def test_boto3_round_trip(server):
    c = client(server)
    c.create_table(TableName="srv", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"}],
                   BillingMode="PAY_PER_REQUEST")
    c.get_waiter("table_exists").wait(TableName="srv")
    for i in range(5):
        c.put_item(TableName="srv", Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                          "b": {"B": bytes([i, 255])}, "n": {"N": "1.50"}})
    got = c.get_item(TableName="srv", Key={"pk": {"S": "p"}, "sk": {"N": "3"}})["Item"]
    assert got == {"pk": {"S": "p"}, "sk": {"N": "3"}, "b": {"B": bytes([3, 255])},
                   "n": {"N": "1.5"}}
    out = c.query(TableName="srv", KeyConditionExpression="pk = :p AND sk > :s",
                  FilterExpression="n = :n", ProjectionExpression="sk",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "1"},
                                             ":n": {"N": "1.5"}})
    assert [i["sk"]["N"] for i in out["Items"]] == ["2", "3", "4"]
    out = c.update_item(TableName="srv", Key={"pk": {"S": "p"}, "sk": {"N": "0"}},
                        UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}},
                        ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"n": {"N": "2.5"}}
    pages = list(c.get_paginator("scan").paginate(TableName="srv",
                                                  PaginationConfig={"PageSize": 2}))
    assert sum(p["Count"] for p in pages) == 5
    t = boto3.resource("dynamodb", endpoint_url=f"http://127.0.0.1:{server}",
                       region_name="us-east-1", aws_access_key_id="k",
                       aws_secret_access_key="s").Table("srv")
    t.put_item(Item={"pk": "r", "sk": 1, "tags": {"a", "b"}})
    assert t.get_item(Key={"pk": "r", "sk": 1})["Item"]["tags"] == {"a", "b"}


def test_errors_as_botocore_sees_them(server):
    c = client(server)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_item(TableName="nope", Key={"pk": {"S": "a"}})
    with pytest.raises(c.exceptions.ClientError) as e:
        c.put_item(TableName="srv", Item={"pk": {"S": "a"}, "sk": {"N": "x"}})
    assert e.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "The parameter cannot be converted to a numeric value: x"}
    c.put_item(TableName="srv", Item={"pk": {"S": "t"}, "sk": {"N": "1"}, "v": {"N": "1"}})
    with pytest.raises(c.exceptions.TransactionCanceledException) as e:
        c.transact_write_items(TransactItems=[
            {"Put": {"TableName": "srv", "Item": {"pk": {"S": "t"}, "sk": {"N": "2"}}}},
            {"ConditionCheck": {"TableName": "srv", "Key": {"pk": {"S": "t"}, "sk": {"N": "1"}},
                                "ConditionExpression": "v = :x",
                                "ExpressionAttributeValues": {":x": {"N": "2"}}}}])
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == \
        ["None", "ConditionalCheckFailed"]
    with pytest.raises(c.exceptions.ConditionalCheckFailedException) as e:
        c.put_item(TableName="srv", Item={"pk": {"S": "t"}, "sk": {"N": "1"}},
                   ConditionExpression="attribute_not_exists(pk)",
                   ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"]["v"] == {"N": "1"}


def test_protocol_edges(server):
    status, headers, body = raw(server)
    assert status == 200 and "TableNames" in json.loads(body)
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert int(headers["content-length"]) == len(body)
    assert headers["x-amzn-requestid"]
    # DynamoDB's answers, in its order of checks: a body with a missing or
    # wrong content type is 404 with an XML-ish body; then JSON, then target
    status, _, body = raw(server, ctype=None)
    assert status == 404 and body == b"<UnknownOperationException/>\n"
    status, _, body = raw(server, ctype="text/plain", body=b"{not json", target="Nope")
    assert status == 404
    status, headers, body = raw(server, ctype="application/json")   # accepted
    assert status == 200 and headers["content-type"] == "application/json"
    status, _, body = raw(server, target="NoSuchOperation")
    assert status == 400 and json.loads(body) == {
        "__type": "com.amazon.coral.service#UnknownOperationException"}
    status, _, body = raw(server, body=b"{not json", target="NoSuchOperation")
    assert status == 400 and json.loads(body) == {
        "__type": "com.amazon.coral.service#SerializationException"}
    status, _, body = raw(server, body=b"")
    assert status == 400 and json.loads(body) == {
        "__type": "com.amazon.coral.service#SerializationException"}
    status, _, body = raw(server, body=b"", ctype=None, target="NoSuchOperation")
    assert status == 400 and json.loads(body)["__type"].endswith("#UnknownOperationException")
    status, _, body = raw(server, body=b"[1, 2]")
    assert status == 400 and json.loads(body)["__type"].endswith("#SerializationException")
    status, _, body = raw(server, body=b'{"TableName": 5}', target="DescribeTable")
    assert status == 400 and b"SerializationException" in body
    status, _, body = raw(server, body=gzip.compress(b'{"Limit": 1}'),
                          headers={"Content-Encoding": "gzip"})
    assert status == 200 and "TableNames" in json.loads(body)
    status, _, _ = raw(server, body=b"x" * ((16 << 20) + 1))
    assert status == 413
    status, _, body = raw(server, method="GET", target=None, ctype=None)
    assert status == 200 and b"healthy" in body
    # the server is still fine
    assert raw(server)[0] == 200


def test_sigterm_closes_and_sigkill_recovers(tmp_path):
    data = tmp_path / "data"
    p, port = start("--data-dir", str(data), "--sync", "commit")
    c = client(port)
    c.create_table(TableName="dur", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
    for i in range(50):
        c.put_item(TableName="dur", Item={"pk": {"S": f"k{i}"}})
    stop(p, signal.SIGKILL)
    p, port = start("--data-dir", str(data))        # the lock died with the process
    c = client(port)
    assert c.scan(TableName="dur", Select="COUNT")["Count"] == 50
    stop(p)
    assert p.returncode == 0
    # a second server on the same directory is refused while one runs
    p, port = start("--data-dir", str(data))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    q = subprocess.run([sys.executable, "-m", "dyncore", "serve", "--port", "0",
                        "--data-dir", str(data)], capture_output=True, env=env, timeout=60)
    assert q.returncode != 0
    stop(p)


def test_temporary_directory_is_removed_at_exit():
    p, port = start("--temporary")
    assert raw(port)[0] == 200
    assert os.path.isdir(p.data_dir)
    stop(p)
    assert p.returncode == 0
    assert not os.path.exists(p.data_dir)


def test_cors_gzip_endpoints_and_identity(server):
    status, headers, _ = raw(server, method="OPTIONS", target=None, ctype=None,
                             headers={"Origin": "http://x", "Access-Control-Request-Method": "POST",
                                      "Access-Control-Request-Headers": "content-type,x-amz-target"})
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert "x-amz-target" in headers["access-control-allow-headers"]
    status, headers, body = raw(server, headers={"Origin": "http://x"})
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    c = client(server)
    c.create_table(TableName="gzt", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
    c.put_item(TableName="gzt", Item={"pk": {"S": "a"}, "big": {"S": "x" * 5000}})
    status, headers, body = raw(server, body=b'{"TableName": "gzt"}', target="Scan",
                                headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)   # over the bytes as sent
    assert json.loads(gzip.decompress(body))["Items"][0]["big"]["S"] == "x" * 5000
    out = c.describe_endpoints()
    assert out["Endpoints"][0]["Address"] == f"127.0.0.1:{server}"


def test_identity_parsing():
    from dyncore.server import identity
    h = {b"authorization": b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/dynamodb/"
                           b"aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"}
    assert identity(h) == ("AKIDEXAMPLE", "eu-west-1")
    assert identity({}) is None
    assert identity({b"authorization": b"Basic xyz"}) is None


def test_metrics(server):
    c = client(server)
    c.list_tables()
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.describe_table(TableName="missing-table")
    status, headers, body = raw(server, method="GET", path="/metrics", target=None, ctype=None)
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = body.decode()
    lines = dict(ln.rsplit(" ", 1) for ln in text.splitlines() if ln and not ln.startswith("#"))
    assert int(lines['dyncore_requests_total{operation="ListTables"}']) >= 1
    assert int(lines['dyncore_errors_total{operation="DescribeTable",'
                     'code="ResourceNotFoundException"}']) >= 1
    assert 'dyncore_request_seconds_bucket{operation="ListTables",le="+Inf"}' in lines
    assert any(k.startswith("dyncore_table_items{") for k in lines)
    assert "dyncore_block_cache_hits_total" in lines
    # boto3 signs with the client's key and region: recorded
    assert int(lines['dyncore_requests_by_credential_total{access_key_id="k",'
                     'region="us-east-1"}']) >= 2


def test_bad_values_are_refused_and_change_nothing(server):
    c = client(server)
    c.create_table(TableName="bad", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
    c.put_item(TableName="bad", Item={"pk": {"S": "k"}, "v": {"S": "before"}})
    put = b'{"TableName": "bad", "Item": {"pk": {"S": "k"}, "v": {"S": "%s"}}}'
    # invalid UTF-8, and a lone surrogate: never stored as replacement characters
    for text in (b"\xff\xfe", b"a\xc3", b"\\ud800"):
        status, _, body = raw(server, body=put % text, target="PutItem")
        assert status == 400 and json.loads(body)["__type"].endswith("#SerializationException")
    # a value nested deeper than 32 levels
    deep = {"S": "x"}
    for _ in range(33):
        deep = {"M": {"a": deep}}
    status, _, body = raw(server, body=json.dumps(
        {"TableName": "bad", "Item": {"pk": {"S": "k"}, "v": deep}}).encode(), target="PutItem")
    assert status == 400 and json.loads(body)["__type"].endswith("#ValidationException")
    # an expression over 4 KB
    status, _, body = raw(server, body=json.dumps(
        {"TableName": "bad", "Key": {"pk": {"S": "k"}},
         "UpdateExpression": "SET v = :v" + " " * 4100,
         "ExpressionAttributeValues": {":v": {"S": "after"}}}).encode(), target="UpdateItem")
    assert status == 400 and json.loads(body)["__type"].endswith("#ValidationException")
    assert c.get_item(TableName="bad", Key={"pk": {"S": "k"}})["Item"]["v"] == {"S": "before"}
