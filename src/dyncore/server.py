"""`dyncore serve`: DynamoDB's JSON 1.0 protocol over HTTP.

    POST /   X-Amz-Target: DynamoDB_20120810.<Operation>
             Content-Type: application/x-amz-json-1.0
             body: the operation's input as JSON

The server is a thin translation: the body goes to `Service.call(operation,
params, FORM_JSON)` (the same code the embedded client runs), the result
comes back as JSON with `x-amzn-RequestId` and `x-amz-crc32` (CRC-32 of the
body as sent, which botocore checks). Errors use DynamoDB's envelope,
`{"__type": "<namespace>#<Name>", "message": "..."}`, with its status.

Request pipeline (`App.begin`; an auth stage slots in after the target is
known): method and path -> content type and X-Amz-Target -> `identity`
(SigV4 credential scope; verification slots in here) -> JSON (gzip) ->
Service.call -> _answer (gzip when asked, CORS headers when the request has
an Origin). GET /metrics: Prometheus text (dyncore.metrics). HTTP itself,
with the 16 MB body limit, is dyncore.httpd.

Single-item reads and writes run on the event loop (microseconds of work;
writes go to the pool when every write is synced); everything else runs in
a thread pool, so one slow request (a big Scan, a transaction) does not
stall the loop, and the engine releases the GIL for its I/O.
"""
from __future__ import annotations

import concurrent.futures
import gzip
import logging
import os
import time
import zlib

import orjson

from dyncore import _core
from dyncore.api.service import HANDLERS, Service
from dyncore.errors import (DynamoDBError, InternalServerError, SerializationException,
                            UnknownOperationException)
from dyncore.httpd import MAX_BODY_BYTES
from dyncore.metrics import Metrics

__all__ = ["App", "TARGET_PREFIX", "identity"]

_log = logging.getLogger("dyncore.server")

TARGET_PREFIX = "DynamoDB_20120810."
GZIP_MIN_BYTES = 1024   # smaller answers are sent as they are
_WRITES = frozenset(("PutItem", "UpdateItem", "DeleteItem"))   # see Service.write
_PAGED = frozenset(("Query", "Scan"))
INLINE_LIMIT = 25          # Query/Scan Limit up to which a request runs on the loop
INLINE_BODY = 64 << 10     # request bodies up to which a request may run on the loop
_AMZ_JSON = b"application/x-amz-json-1.0"
CONTENT_TYPES = (_AMZ_JSON, b"application/json")
_JSON = _core.FORM_JSON


def _error_body(err: DynamoDBError) -> bytes:
    return orjson.dumps(err.body())


_JSON_HEAD = b"Content-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: "
_PLAIN_JSON_HEAD = b"Content-Type: application/json\r\nx-amzn-RequestId: "
# DynamoDB's answer to a request that is not POST / with a JSON content type
_UNKNOWN_OPERATION = b"<UnknownOperationException/>\n"
_TEXT_HEAD = b"Content-Type: text/plain\r\n"
_HEALTHY = b"healthy: dynamodb.us-east-1.amazonaws.com "   # (sic: DynamoDB's, space and all)
_TOO_LARGE = (413, _TEXT_HEAD, b"Request Entity Too Large\n")


class App:
    """The request pipeline of one Database (the HTTP side is dyncore.httpd).

    `begin(method, path, headers, body)` returns an answer, (status, header
    lines, body), or a job for the worker pool that returns one."""

    def __init__(self, db, *, workers: int | None = None):
        self.db = db
        self.service = Service(db)
        self.metrics = Metrics()
        # Bounded requests take microseconds of Python and do not wait on the
        # disk (unless every write is synced): they run on the event loop,
        # which saves a thread hand-off (30-60 µs here) per request. They are
        # single-item operations, BatchWriteItem, and Query and Scan with a
        # Limit of at most INLINE_LIMIT, each with a body of at most
        # INLINE_BODY bytes. Everything else (unbounded queries and scans,
        # BatchGetItem, transactions, tables) runs in the pool.
        inline = {"GetItem"}
        if db.sync != "commit":
            inline |= {"PutItem", "DeleteItem", "UpdateItem", "BatchWriteItem"}
        self.inline = frozenset(inline)
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers or min(32, (os.cpu_count() or 2) * 4),
            thread_name_prefix="dyncore-req")
        # X-Amz-Target -> operation, for every operation served
        self._targets = {(TARGET_PREFIX + op).encode(): op
                         for op in (*HANDLERS, "DescribeEndpoints")}
        # request ids: a random prefix per process and a counter, the length
        # and alphabet of DynamoDB's (52 characters, A-Z and 0-9)
        self._rid_prefix = "".join(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[b % 36] for b in os.urandom(36)).encode()
        self._rid = 0
        self._scopes: dict[bytes, tuple[str, str] | None] = {}

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def _request_id(self) -> bytes:
        self._rid += 1
        return self._rid_prefix + b"%016X" % self._rid

    # -- the pipeline --------------------------------------------------------

    def begin(self, method: bytes, path: bytes, headers: dict, body: bytes):
        if method == b"POST" and path == b"/":
            return self._operation(headers, body)
        cors = b"origin" in headers
        rid = b"x-amzn-RequestId: %s\r\n" % self._request_id()
        if method == b"OPTIONS" and cors:   # a browser's CORS preflight
            return 200, rid + _cors_preflight(headers), b""
        if method == b"GET" and path == b"/metrics":
            return lambda: (200, b"Content-Type: text/plain; version=0.0.4\r\n",
                            self.metrics.render(self.db).encode())
        if method == b"GET" and path in (b"/", b"/health"):
            # GET / answers as DynamoDB's endpoint does; /health, dyncore's line
            body = _HEALTHY if path == b"/" else b"healthy: dyncore\n"
            return 200, b"%s%sx-amz-crc32: %d\r\n%s" % (
                _TEXT_HEAD, rid, zlib.crc32(body), _CORS if cors else b""), body
        return 404, b"%sx-amz-crc32: %d\r\n%s" % (
            rid, zlib.crc32(_UNKNOWN_OPERATION), _CORS if cors else b""), _UNKNOWN_OPERATION

    def _operation(self, headers: dict, raw: bytes):
        # DynamoDB's order of checks (as dynalite recorded it): content type
        # (only when there is a body), JSON, target, authentication, an
        # empty body, then the operation's own validation.
        request_id = self._request_id()
        cors = b"origin" in headers
        ctype = headers.get(b"content-type", b"")
        if ctype != _AMZ_JSON:
            ctype = ctype.split(b";")[0].strip().lower()
            if raw and ctype not in CONTENT_TYPES:
                # a missing or wrong content type: 404 and this body
                return 404, b"x-amzn-RequestId: %s\r\nx-amz-crc32: %d\r\n%s" % (
                    request_id, zlib.crc32(_UNKNOWN_OPERATION), _CORS if cors else b""), \
                    _UNKNOWN_OPERATION
        # the answer's content type: application/x-amz-json-1.0 when the
        # request says so, else application/json (also with none)
        head = _JSON_HEAD if ctype == _AMZ_JSON else _PLAIN_JSON_HEAD
        params = None
        if raw:
            try:
                params = self._json(raw, headers)
            except _TooLarge:
                return _TOO_LARGE
            except DynamoDBError as e:
                return self._error(head, request_id, e, cors)
        operation = self._targets.get(headers.get(b"x-amz-target", b""))
        if operation is None:
            return self._error(head, request_id, UnknownOperationException(""), cors)
        # the authentication stage: the credential scope is parsed and
        # recorded; verifying the signature comes with the security issue
        self.metrics.caller(self._identity(headers))
        if params is None:
            return self._error(head, request_id, SerializationException(""), cors)
        gz = b"gzip" in headers.get(b"accept-encoding", b"")
        if operation == "DescribeEndpoints":
            host = headers.get(b"host", b"127.0.0.1").decode("latin-1")
            return self._answer(head, request_id, {"Endpoints": [
                {"Address": host, "CachePeriodInMinutes": 1440}]}, cors, gz)
        if (operation in self.inline or (operation in _PAGED and type(params.get("Limit")) is int
                                         and params["Limit"] <= INLINE_LIMIT)) \
                and len(raw) <= INLINE_BODY and not self.db.transactions_running:
            # (while a transaction holds item locks, a single-item operation
            # might wait for it: not on the event loop)
            return self._execute(head, request_id, operation, params, cors, gz)
        return lambda: self._execute(head, request_id, operation, params, cors, gz)

    def _execute(self, head: bytes, request_id: bytes, operation: str, params: dict,
                 cors: bool, gz: bool):
        started = time.perf_counter()
        try:
            if operation == "GetItem":
                out = self.service.get_item(params, _JSON)
            elif operation in _WRITES:
                out = self.service.write(operation, params, _JSON)
            else:
                out = self.service.call(operation, params, _JSON, "json")
        except DynamoDBError as e:
            self.metrics.observe(operation, time.perf_counter() - started, e.code)
            return self._error(head, request_id, e, cors)
        except Exception:  # noqa: BLE001 - a bug must not take the server down
            _log.exception("%s failed", operation)
            self.metrics.observe(operation, time.perf_counter() - started, "InternalServerError")
            return self._error(head, request_id, InternalServerError("Internal server error"),
                               cors)
        self.metrics.observe(operation, time.perf_counter() - started, None)
        return self._answer(head, request_id, out, cors, gz)

    def _identity(self, headers: dict) -> tuple[str, str] | None:
        auth = headers.get(b"authorization")
        if auth is None:
            return None
        # the credential scope repeats from request to request; the
        # signature does not: cache by the scope alone
        i = auth.find(b"Credential=")
        key = auth[i:auth.find(b",", i)] if i >= 0 else auth
        try:
            return self._scopes[key]
        except KeyError:
            found = identity(headers)
            if len(self._scopes) < 1000:
                self._scopes[key] = found
            return found

    @staticmethod
    def _json(raw: bytes, headers: dict) -> dict:
        encoding = headers.get(b"content-encoding")
        if encoding is not None and encoding.strip().lower() == b"gzip":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                raise SerializationException("Unable to decompress the request body") from None
            if len(raw) > MAX_BODY_BYTES:
                raise _TooLarge
        try:
            params = orjson.loads(raw)
        except orjson.JSONDecodeError:
            # DynamoDB names no cause for a body that is not JSON
            raise SerializationException("") from None
        if not isinstance(params, dict):
            raise SerializationException("Start of list found where not expected"
                                         if isinstance(params, list) else
                                         "Expected map or null")  # [verify]
        return params

    @staticmethod
    def _answer(head: bytes, request_id: bytes, result: dict, cors: bool, gz: bool):
        body = orjson.dumps(result)
        if gz and len(body) >= GZIP_MIN_BYTES:
            body = gzip.compress(body, compresslevel=1)
            extra = b"Content-Encoding: gzip\r\n"
        else:
            extra = b""
        # the CRC-32 of the body as sent (compressed, if it is)
        return 200, b"%s%s\r\n%sx-amz-crc32: %d\r\n%s" % (
            head, request_id, extra, zlib.crc32(body), _CORS if cors else b""), body

    @staticmethod
    def _error(head: bytes, request_id: bytes, err: DynamoDBError, cors: bool):
        body = _error_body(err)
        return err.status, b"%s%s\r\nx-amz-crc32: %d\r\n%s" % (
            head, request_id, zlib.crc32(body), _CORS if cors else b""), body


class _TooLarge(Exception):
    """A gzip body that inflates past the limit."""


# -- CORS, so a browser SDK can call the endpoint --------------------------------

_CORS = (b"Access-Control-Allow-Origin: *\r\n"
         b"Access-Control-Expose-Headers: x-amzn-RequestId, x-amz-crc32, x-amz-id-2\r\n")


def _cors_preflight(headers: dict) -> bytes:
    asked = headers.get(b"access-control-request-headers", b"")
    if b"\r" in asked or b"\n" in asked:
        asked = b""
    method = headers.get(b"access-control-request-method", b"")
    if b"\r" in method or b"\n" in method:
        method = b""
    return _CORS + (b"Access-Control-Allow-Methods: %s\r\n"
                    b"Access-Control-Allow-Headers: %s\r\n"
                    b"Access-Control-Max-Age: 172800\r\n"
                    % (method or b"POST, GET, OPTIONS", asked or b"*"))


# -- authentication (parsed; verification comes with the security issue) -----


def identity(headers: dict) -> tuple[str, str] | None:
    """(access key id, region) from a SigV4 Authorization header, or None
    when the request is unsigned or the header is not SigV4.

    Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/
    aws4_request, SignedHeaders=..., Signature=..."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return None
    for part in auth[17:].split(","):
        part = part.strip()
        if part.startswith("Credential="):
            scope = part[11:].split("/")
            if len(scope) >= 3:
                return scope[0], scope[2]
    return None
