"""dyncore.httpd at the HTTP level, over raw sockets: pipelining, Expect,
chunked bodies, the body limit, broken framing, HTTP/1.0, slow and idle
clients, clients that do not read, and a graceful shutdown that finishes the
request in flight."""
import json
import socket
import threading
import time

import pytest

import dyncore
from dyncore import httpd
from dyncore.server import TARGET_PREFIX
from tests.server.inproc import Running


@pytest.fixture
def srv(tmp_path):
    # (HTTP-level tests pipeline thousands of reads of one key: no throttling)
    db = dyncore.open(tmp_path / "d", sync="none", throttling=False)
    c = db.client()
    c.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
    for i in range(20):
        c.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
    s = Running(db)
    s.db = db
    yield s
    s.close()
    db.close()


def request(op, body, extra=b"", version=b"1.1") -> bytes:
    data = json.dumps(body).encode()
    return (b"POST / HTTP/%s\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: %s\r\n%sContent-Length: %d\r\n\r\n"
            % (version, (TARGET_PREFIX + op).encode(), extra, len(data))) + data


class Reader:
    """Reads HTTP responses off a socket, one at a time."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(1 << 16)
        self.buf += data
        return bool(data)

    def response(self):
        """(status, headers, body), or None when the server closed first."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
        n = int(headers.get("content-length", 0))
        while len(self.buf) < n:
            if not self._fill():
                return None
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def closed(self, timeout=10) -> bool:
        self.sock.settimeout(timeout)
        try:
            while self._fill():
                pass
            return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def connect(srv) -> tuple[socket.socket, Reader]:
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    return s, Reader(s)


def test_pipelined_requests_are_answered_in_order(srv):
    s, r = connect(srv)
    reqs, want = [], []
    for i in range(300):
        if i % 50 == 25:   # a pool operation among loop ones
            reqs.append(request("Scan", {"TableName": "tbl", "Select": "COUNT"}))
            want.append(("count", None))
        elif i % 3 == 0:
            reqs.append(request("PutItem", {"TableName": "tbl",
                                            "Item": {"pk": {"S": f"p{i}"}, "v": {"N": str(i)}}}))
            want.append(("put", None))
        else:
            k = i % 20
            reqs.append(request("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": f"k{k}"}}}))
            want.append(("get", str(k)))
    s.sendall(b"".join(reqs))
    puts = 0
    for kind, value in want:
        status, _, body = r.response()
        assert status == 200, body
        out = json.loads(body)
        if kind == "get":
            assert out["Item"]["v"] == {"N": value}
        elif kind == "put":
            assert out == {}
            puts += 1
        else:
            # every put sent before this Scan was applied before it ran,
            # and none sent after it
            assert out["Count"] == 20 + puts
    s.close()


def test_expect_continue_and_chunked_bodies(srv):
    s, r = connect(srv)
    body = json.dumps({"TableName": "tbl", "Key": {"pk": {"S": "k3"}}}).encode()
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
              b"X-Amz-Target: " + (TARGET_PREFIX + "GetItem").encode() +
              b"\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
    assert r.response()[0] == 100          # "HTTP/1.1 100 Continue", no body
    s.sendall(body)
    status, _, out = r.response()
    assert status == 200 and json.loads(out)["Item"]["v"] == {"N": "3"}
    # the same body in three chunks
    parts = [body[:10], body[10:20], body[20:]]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
              b"X-Amz-Target: " + (TARGET_PREFIX + "GetItem").encode() +
              b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    status, _, out = r.response()
    assert status == 200 and json.loads(out)["Item"]["v"] == {"N": "3"}
    s.close()


def test_body_limit_by_length_and_by_chunks(srv):
    s, r = connect(srv)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
              b"X-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: %d\r\n\r\n{"
              % ((16 << 20) + 1))
    status, headers, _ = r.response()
    assert status == 413 and headers["connection"] == "close"
    assert r.closed()
    s, r = connect(srv)
    chunk = b"x" * (1 << 20)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
              b"X-Amz-Target: DynamoDB_20120810.PutItem\r\nTransfer-Encoding: chunked\r\n\r\n")
    try:
        for _ in range(17):
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        s.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass    # the server may close before the last chunk
    status, _, _ = r.response()
    assert status == 413
    assert r.closed()
    # nothing was written and the server still answers
    assert srv.call("Scan", {"TableName": "tbl", "Select": "COUNT"})[1]["Count"] == 20


@pytest.mark.parametrize("garbage", [
    b"HELLO\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_broken_framing_gets_400_and_a_close(srv, garbage):
    s, r = connect(srv)
    s.sendall(garbage)
    status, headers, _ = r.response()
    assert status == 400 and headers["connection"] == "close"
    assert r.closed()
    assert srv.call("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "k1"}}})[0] == 200


def test_headers_over_64k_get_431_and_a_close(srv):
    # many headers
    s, r = connect(srv)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n" +
              b"".join(b"X-Pad-%d: %s\r\n" % (i, b"b" * 100) for i in range(700)))
    status, headers, _ = r.response()
    assert status == 431 and headers["connection"] == "close"
    assert r.closed()
    # one header that never ends, arriving in pieces
    s, r = connect(srv)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Pad: ")
    try:
        for _ in range(10):
            time.sleep(0.05)
            s.sendall(b"a" * 20000)
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, headers, _ = r.response()
    assert status == 431 and headers["connection"] == "close"
    assert r.closed()


def test_an_upgrade_is_answered_as_http_then_closed(srv):
    s, r = connect(srv)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
              b"Upgrade: websocket\r\n\r\n")
    status, _, body = r.response()
    assert status == 200 and b"healthy" in body
    assert r.closed()


def test_http10_and_connection_close(srv):
    for version, extra in ((b"1.0", b""), (b"1.1", b"Connection: close\r\n")):
        s, r = connect(srv)
        s.sendall(request("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "k2"}}},
                          extra, version))
        status, headers, body = r.response()
        assert status == 200 and json.loads(body)["Item"]["v"] == {"N": "2"}
        assert headers["connection"] == "close"
        assert r.closed()
    # HTTP/1.0 asking to be kept alive is kept alive
    s, r = connect(srv)
    for _ in range(2):
        s.sendall(request("ListTables", {}, b"Connection: keep-alive\r\n", b"1.0"))
        assert r.response()[0] == 200
    s.close()


def test_slow_and_idle_clients_are_closed(srv, monkeypatch):
    monkeypatch.setattr(httpd, "REQUEST_TIMEOUT", 1.0)
    monkeypatch.setattr(httpd, "KEEPALIVE_TIMEOUT", 1.5)
    slow, rs = connect(srv)
    whole = request("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "k1"}}})
    slow.sendall(whole[:-5])            # a body shorter than its Content-Length
    idle, ri = connect(srv)
    idle.sendall(request("ListTables", {}))
    assert ri.response()[0] == 200
    # others are served meanwhile
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.5:
        assert srv.call("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "k4"}}})[0] == 200
    assert rs.closed(timeout=10)        # after about REQUEST_TIMEOUT
    assert ri.closed(timeout=10)        # after about KEEPALIVE_TIMEOUT
    assert time.monotonic() - t0 >= 0.9


def test_a_client_that_does_not_read_is_not_read(srv):
    s, r = connect(srv)
    one = request("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "k5"}}})
    n = 30000
    sender = threading.Thread(target=s.sendall, args=(one * n,), daemon=True)
    sender.start()
    t0 = time.monotonic()
    while not any(c.read_paused for c in list(srv.server.connections)):
        assert time.monotonic() - t0 < 20, "the server kept reading a client that does not read"
        time.sleep(0.05)
    # the server stopped reading this client (its answers are not being read)
    # but answers everyone else
    assert srv.call("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "k6"}}})[0] == 200
    for _ in range(n):
        status, _, body = r.response()
        assert status == 200 and b'"v":{"N":"5"}' in body
    sender.join(30)
    assert not sender.is_alive()
    s.close()


def test_shutdown_finishes_the_request_in_flight(tmp_path):
    db = dyncore.open(tmp_path / "d", sync="none")
    c = db.client()
    for t in ("tba", "tbb"):
        c.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
    srv = Running(db)
    in_commit, release = threading.Event(), threading.Event()

    def hook(step):
        if step == "logged":
            in_commit.set()
            release.wait(30)
    db.txlog.hooks = hook
    s, r = connect(srv)
    idle, ri = connect(srv)
    s.sendall(request("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "tba", "Item": {"pk": {"S": "k"}}}},
        {"Put": {"TableName": "tbb", "Item": {"pk": {"S": "k"}}}}]}))
    assert in_commit.wait(20)
    closing = threading.Thread(target=srv.close, daemon=True)
    closing.start()
    assert ri.closed(timeout=10)         # an idle connection is closed at once
    with pytest.raises(OSError):         # no new connections
        for _ in range(50):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
            time.sleep(0.05)
    release.set()
    status, headers, body = r.response()  # the request in flight is answered
    assert status == 200 and headers["connection"] == "close"
    assert r.closed()
    closing.join(20)
    assert not closing.is_alive()
    assert c.get_item(TableName="tbb", Key={"pk": {"S": "k"}})["Item"] == {"pk": {"S": "k"}}
    db.close()
