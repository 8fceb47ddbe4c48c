"""`dyncore serve`: DynamoDB's JSON 1.0 protocol over HTTP.

    POST /   X-Amz-Target: DynamoDB_20120810.<Operation>
             Content-Type: application/x-amz-json-1.0
             body: the operation's input as JSON

The server is a thin translation: the body goes to `Service.call(operation,
params, FORM_JSON)` (the same code the embedded client runs), the result
comes back as JSON with `x-amzn-RequestId` and `x-amz-crc32` (CRC-32 of the
body as sent, which botocore checks). Errors use DynamoDB's envelope,
`{"__type": "<namespace>#<Name>", "message": "..."}`, with its status.

Request pipeline (`App._handle`; an auth stage slots in after the target
is known): method and path -> body (16 MB limit) -> content type and
X-Amz-Target -> `identity` (SigV4 credential scope; verification slots in
here) -> JSON (gzip) -> Service.call in a worker thread -> _respond (gzip when
asked, CORS headers when the request has an Origin). GET /metrics: Prometheus
text (dyncore.metrics).

The ASGI app runs under uvicorn with httptools. Single-item reads and
writes run on the event loop (microseconds of work; writes go to the pool
when every write is synced); everything else runs in a thread pool, so one
slow request (a big Scan, a transaction) does not stall the loop, and the
engine releases the GIL for its I/O.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import logging
import os
import time
import uuid
import zlib

import orjson

from dyncore import _core
from dyncore.api.service import HANDLERS, Service
from dyncore.errors import (DynamoDBError, InternalServerError, SerializationException,
                            UnknownOperationException)
from dyncore.metrics import Metrics

__all__ = ["App", "MAX_BODY_BYTES", "TARGET_PREFIX", "identity"]

_log = logging.getLogger("dyncore.server")

TARGET_PREFIX = "DynamoDB_20120810."
MAX_BODY_BYTES = 16 << 20
GZIP_MIN_BYTES = 1024   # smaller answers are sent as they are
CONTENT_TYPES = (b"application/x-amz-json-1.0", b"application/x-amz-json-1.1")
_JSON = _core.FORM_JSON


class _HTTPError(Exception):
    """A reply that is not an operation's answer (e.g. 413)."""

    def __init__(self, status: int, body: bytes = b"", content_type: bytes = b"text/plain"):
        self.status = status
        self.body = body
        self.content_type = content_type


def _error_body(err: DynamoDBError) -> bytes:
    return orjson.dumps(err.body())


class App:
    """The ASGI application of one Database."""

    def __init__(self, db, *, workers: int | None = None):
        self.db = db
        self.service = Service(db)
        self.metrics = Metrics()
        # Single-item operations take a few microseconds of Python and do not
        # wait on the disk (unless every write is synced): they run on the
        # event loop, which saves a thread hand-off per request. Everything
        # else (scans, queries, batches, transactions, tables) runs in the pool.
        inline = {"GetItem"}
        if db.sync != "commit":
            inline |= {"PutItem", "DeleteItem", "UpdateItem"}
        self.inline = frozenset(inline)
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers or min(32, (os.cpu_count() or 2) * 4),
            thread_name_prefix="dyncore-req")

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        try:
            status, headers, body = await self._handle(scope, receive)
        except _HTTPError as e:
            status, headers, body = e.status, [(b"content-type", e.content_type)], e.body
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive, send):
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- the pipeline --------------------------------------------------------

    async def _handle(self, scope, receive):
        method, path = scope["method"], scope["path"]
        headers = dict(scope["headers"])
        cors = b"origin" in headers
        if method == "OPTIONS":
            return 200, _cors_preflight(headers), b""
        if method == "GET" and path == "/metrics":
            loop = asyncio.get_running_loop()
            text = await loop.run_in_executor(self.pool, self.metrics.render, self.db)
            return 200, [(b"content-type", b"text/plain; version=0.0.4")], text.encode()
        if method == "GET" and path in ("/", "/health"):
            return 200, [(b"content-type", b"text/plain")] + (_CORS if cors else []), \
                b"healthy: dyncore\n"
        request_id = str(uuid.uuid4()).encode()
        if method != "POST" or path != "/":
            return self._respond(request_id, UnknownOperationException(""), 404, cors=cors)
        raw = await self._read(receive, headers)
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype not in CONTENT_TYPES:
            # DynamoDB answers a missing or wrong content type with 404
            return self._respond(request_id, UnknownOperationException(""), 404, cors=cors)
        target = headers.get(b"x-amz-target", b"").decode("latin-1")
        operation = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
        gz = b"gzip" in headers.get(b"accept-encoding", b"")
        if operation == "DescribeEndpoints":
            host = headers.get(b"host", b"127.0.0.1").decode("latin-1")
            return self._respond(request_id, {"Endpoints": [
                {"Address": host, "CachePeriodInMinutes": 1440}]}, cors=cors, gz=gz)
        if operation not in HANDLERS:
            return self._respond(request_id, UnknownOperationException(""), cors=cors)
        # the authentication stage: the credential scope is parsed and
        # recorded; verifying the signature comes with the security issue
        self.metrics.caller(identity(headers))
        try:
            params = self._json(raw, headers)
        except DynamoDBError as e:
            return self._respond(request_id, e, cors=cors)
        started = time.perf_counter()
        try:
            if operation in self.inline and not self.db.transactions_running:
                # (while a transaction holds item locks, a single-item
                # operation might wait for it: not on the event loop)
                out = self.service.call(operation, params, _JSON, "json")
            else:
                out = await asyncio.get_running_loop().run_in_executor(
                    self.pool, self.service.call, operation, params, _JSON, "json")
        except DynamoDBError as e:
            self.metrics.observe(operation, time.perf_counter() - started, e.code)
            return self._respond(request_id, e, cors=cors)
        except Exception:  # noqa: BLE001 - a bug must not take the server down
            _log.exception("%s failed", operation)
            self.metrics.observe(operation, time.perf_counter() - started, "InternalServerError")
            return self._respond(request_id, InternalServerError("Internal server error"),
                                 cors=cors)
        self.metrics.observe(operation, time.perf_counter() - started, None)
        return self._respond(request_id, out, cors=cors, gz=gz)

    @staticmethod
    async def _read(receive, headers: dict) -> bytes:
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise _HTTPError(413, b"Request Entity Too Large\n")
        chunks = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                break
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _HTTPError(413, b"Request Entity Too Large\n")
            chunks.append(chunk)
            if not msg.get("more_body"):
                break
        return b"".join(chunks)

    @staticmethod
    def _json(raw: bytes, headers: dict) -> dict:
        if headers.get(b"content-encoding", b"").strip().lower() == b"gzip":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                raise SerializationException("Unable to decompress the request body") from None
            if len(raw) > MAX_BODY_BYTES:
                raise _HTTPError(413, b"Request Entity Too Large\n")
        if not raw.strip():
            return {}
        try:
            params = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise SerializationException("Start of structure or map found where not expected") \
                from None  # [verify] DynamoDB's text for malformed JSON
        if not isinstance(params, dict):
            raise SerializationException("Start of list found where not expected"
                                         if isinstance(params, list) else
                                         "Expected map or null")  # [verify]
        return params

    @staticmethod
    def _respond(request_id: bytes, result, status: int | None = None, *, cors: bool = False,
                 gz: bool = False):
        if isinstance(result, DynamoDBError):
            body = _error_body(result)
            status = status or result.status
        else:
            body = orjson.dumps(result)
            status = 200
        headers = [(b"content-type", b"application/x-amz-json-1.0"),
                   (b"x-amzn-requestid", request_id)]
        if gz and len(body) >= GZIP_MIN_BYTES:
            body = gzip.compress(body, compresslevel=1)
            headers.append((b"content-encoding", b"gzip"))
        # the CRC-32 of the body as sent (compressed, if it is)
        headers.append((b"x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF).encode()))
        if cors:
            headers += _CORS
        return status, headers, body


# -- CORS, so a browser SDK can call the endpoint --------------------------------

_CORS = [(b"access-control-allow-origin", b"*"),
         (b"access-control-expose-headers", b"x-amzn-RequestId, x-amz-crc32, x-amz-id-2")]


def _cors_preflight(headers: dict) -> list:
    asked = headers.get(b"access-control-request-headers", b"")
    return _CORS + [(b"access-control-allow-methods", b"POST, GET, OPTIONS"),
                    (b"access-control-allow-headers", asked or b"*"),
                    (b"access-control-max-age", b"172800")]


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
