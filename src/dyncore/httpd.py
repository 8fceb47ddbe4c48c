"""HTTP/1.1 for `dyncore serve`: llhttp (httptools) parsing on uvloop.

    server = HTTPServer(app, sock)      # app.begin(method, path, headers, body)
    await server.start()
    ...
    await server.shutdown()             # stop accepting, finish, close

One `Connection` (an asyncio.Protocol) per client. The parser's callbacks
collect a request; when it is complete, `app.begin` either answers it at
once (single-item operations: a few microseconds of work on the loop) or
returns a job, which runs in the thread pool while the connection waits;
requests pipelined behind it queue in order. Responses are written as one
buffer: status line, the app's headers, Date, Content-Length.

Why not uvicorn: its ASGI layer cost 34 µs of CPU a request here against
about 10 µs for this loop (bench/RESULTS.md), which was most of a GetItem.

Limits, each answered as the issue allows: a body over MAX_BODY_BYTES gets
413 and the connection is closed; headers over MAX_HEAD_BYTES get 431 and
a close; broken framing gets 400 and a close; a
request not complete REQUEST_TIMEOUT seconds after its first byte, or a
connection idle for KEEPALIVE_TIMEOUT seconds, is closed. A client that does
not read its answers stops being read (write-side flow control), and at
most MAX_QUEUED pipelined requests wait behind a running one.
"""
from __future__ import annotations

import asyncio
import collections
import email.utils
import logging

import httptools

__all__ = ["HTTPServer", "MAX_BODY_BYTES", "REQUEST_TIMEOUT", "KEEPALIVE_TIMEOUT"]

_log = logging.getLogger("dyncore.httpd")

MAX_BODY_BYTES = 16 << 20
REQUEST_TIMEOUT = 60.0      # seconds from a request's first byte to its last
KEEPALIVE_TIMEOUT = 75.0    # seconds a connection may sit idle between requests
DRAIN_BYTES = 64 << 20      # after a refusal, what is read and dropped at most
DRAIN_SECONDS = 5.0         # ... and for how long
MAX_HEAD_BYTES = 64 << 10   # request line and headers, at most
MAX_QUEUED = 64             # pipelined requests waiting behind one in the pool

_REASONS = {100: b"Continue", 200: b"OK", 400: b"Bad Request", 404: b"Not Found",
            408: b"Request Timeout", 413: b"Payload Too Large",
            431: b"Request Header Fields Too Large",
            500: b"Internal Server Error", 503: b"Service Unavailable"}
_TOO_LARGE = b"Request Entity Too Large\n"
_STATUS = {code: b"HTTP/1.1 %d %s\r\n" % (code, reason) for code, reason in _REASONS.items()}


def _status_line(status: int) -> bytes:
    line = _STATUS.get(status)
    return line if line is not None else b"HTTP/1.1 %d Status\r\n" % status


class Connection(asyncio.Protocol):
    __slots__ = ("server", "app", "parser", "transport", "url", "headers", "body", "size",
                 "queue", "busy", "closing", "started", "idle_since",
                 "write_paused", "read_paused", "drain", "drain_until",
                 "in_head", "head_bytes", "begun")

    def __init__(self, server: "HTTPServer"):
        self.server = server
        self.app = server.app
        self.parser = httptools.HttpRequestParser(self)
        self.transport = None
        self.url = b""
        self.headers: dict[bytes, bytes] = {}
        self.body: list[bytes] = []
        self.size = 0
        self.queue: collections.deque = collections.deque()
        self.busy = False           # a request of this connection runs in the pool
        self.closing = False        # close once the answers in hand are written
        self.started = None         # loop time of the first byte of an incomplete request
        self.idle_since = 0.0
        self.write_paused = False
        self.read_paused = False
        self.drain = None           # after a refusal: bytes still to be read and dropped
        self.drain_until = 0.0
        self.in_head = False        # between a request's first byte and its blank line
        self.head_bytes = 0
        self.begun = 0              # requests begun on this connection

    # -- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport
        self.idle_since = self.server.now
        self.server.connections.add(self)

    def connection_lost(self, exc):
        self.server.connections.discard(self)
        self.transport = None
        self.queue.clear()

    def data_received(self, data: bytes):
        if self.closing:
            if self.drain is not None:
                self.drain -= len(data)
                if self.drain <= 0:
                    self.transport.close()
            return
        try:
            begun = self.begun
            self.parser.feed_data(data)
            if self.in_head and self.begun == begun:
                # all of this chunk belongs to one request's head (the
                # parser holds a header line until it ends): bound it
                self.head_bytes += len(data)
                if self.head_bytes > MAX_HEAD_BYTES:
                    self._fail(431)
        except httptools.HttpParserUpgrade:
            # the request was answered as an ordinary one; no other protocol
            # is spoken here, so the connection ends with it
            self.closing = True
            if not self.busy and self.transport is not None:
                self.transport.close()
        except httptools.HttpParserError:
            self._fail(400)

    def pause_writing(self):
        self.write_paused = True
        self._flow()

    def resume_writing(self):
        self.write_paused = False
        self._flow()

    # -- parser callbacks ----------------------------------------------------

    def on_message_begin(self):
        self.url = b""
        self.headers = {}
        self.body = []
        self.size = 0
        self.started = self.server.now
        self.in_head = True
        self.head_bytes = 0
        self.begun += 1

    def on_url(self, url: bytes):
        self.url += url
        self.head_bytes += len(url)

    def on_header(self, name: bytes, value: bytes):
        self.head_bytes += len(name) + len(value)
        if self.head_bytes > MAX_HEAD_BYTES:
            self._fail(431)
            return
        name = name.lower()
        old = self.headers.get(name)
        self.headers[name] = value if old is None else old + b", " + value

    def on_headers_complete(self):
        self.in_head = False
        length = self.headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            self._fail(413, _TOO_LARGE)
            return
        if self.headers.get(b"expect", b"").lower() == b"100-continue" and \
                self.parser.get_http_version() == "1.1":
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes):
        if self.closing:
            return
        self.size += len(body)
        if self.size > MAX_BODY_BYTES:
            self.body = []
            self._fail(413, _TOO_LARGE)
            return
        self.body.append(body)

    def on_message_complete(self):
        self.started = None
        if self.closing:
            return
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        request = (self.parser.get_method(), self.url, self.headers, body,
                   self.parser.should_keep_alive())
        if self.busy:
            self.queue.append(request)
            self._flow()
        else:
            self._run(request)

    # -- answering -----------------------------------------------------------

    def _run(self, request):
        method, url, headers, body, keep_alive = request
        path = url.split(b"?", 1)[0] if b"?" in url else url
        try:
            answer = self.app.begin(method, path, headers, body)
        except Exception:  # noqa: BLE001 - the app answers its own errors; this is a bug
            _log.exception("request failed")
            answer = (500, b"", b"")
        if type(answer) is tuple:
            self._send(answer, keep_alive)
            return
        self.busy = True
        fut = self.server.loop.run_in_executor(self.server.pool, answer)
        fut.add_done_callback(lambda f: self._finished(f, keep_alive))

    def _finished(self, fut, keep_alive):
        self.busy = False
        try:
            answer = fut.result()
        except Exception:  # noqa: BLE001 - see _run
            _log.exception("request failed")
            answer = (500, b"", b"")
        if self.transport is None:
            return
        self._send(answer, keep_alive)
        while self.queue and not self.busy and not self.closing and self.transport is not None:
            self._run(self.queue.popleft())
        self._flow()

    def _send(self, answer, keep_alive: bool):
        transport = self.transport
        if transport is None:
            return
        status, head, body = answer
        close = not keep_alive or self.closing or self.server.stopping
        transport.write(b"".join((
            _status_line(status), head, self.server.date_header,
            b"Content-Length: %d\r\n" % len(body),
            b"Connection: close\r\n\r\n" if close else b"\r\n", body)))
        self.idle_since = self.server.now
        if close:
            self.closing = True
            self.queue.clear()
            transport.close()
        elif self.server.stopping and not self.busy and not self.queue:
            transport.close()

    def _fail(self, status: int, body: bytes = b""):
        """Answer a request that cannot be read, then close the connection.
        What the client still sends is read and dropped for a while (at most
        DRAIN_BYTES, DRAIN_SECONDS), so that a client still sending its
        request gets to read the answer instead of a reset."""
        if self.transport is None or self.closing:
            return
        self.queue.clear()
        self.closing = True
        if self.busy:
            # an answer is still due before this one: close after it
            return
        self.transport.write(b"".join((
            _status_line(status), b"Content-Type: text/plain\r\n", self.server.date_header,
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body), body)))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.drain = DRAIN_BYTES
            self.drain_until = self.server.now + DRAIN_SECONDS
            if self.read_paused:
                self.transport.resume_reading()
                self.read_paused = False
        else:
            self.transport.close()

    def _flow(self):
        """Stop reading while answers are not being read or requests pile up."""
        if self.transport is None:
            return
        stop = self.write_paused or len(self.queue) >= MAX_QUEUED
        if stop and not self.read_paused:
            self.transport.pause_reading()
            self.read_paused = True
        elif not stop and self.read_paused:
            self.transport.resume_reading()
            self.read_paused = False

    # -- housekeeping (HTTPServer's tick) -------------------------------------

    def tick(self, now: float):
        if self.transport is None:
            return
        if self.drain is not None:
            if now > self.drain_until:
                self.transport.close()
        elif self.started is not None:
            if now - self.started > REQUEST_TIMEOUT:
                # a request that does not finish arriving: close (the issue
                # allows it; an answer could not be framed anyway)
                self.closing = True
                self.transport.close()
        elif not self.busy and not self.queue and now - self.idle_since > KEEPALIVE_TIMEOUT:
            self.transport.close()

    def stop(self):
        """Graceful shutdown: close now if idle, else after the answers due."""
        if self.transport is None:
            return
        if not self.busy and not self.queue and self.started is None:
            self.transport.close()


class HTTPServer:
    def __init__(self, app, sock, pool):
        self.app = app
        self.sock = sock
        self.pool = pool
        self.loop = None
        self.server = None
        self.connections: set[Connection] = set()
        self.stopping = False
        self.now = 0.0
        self.date_header = b""
        self._ticker = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._tick()
        self.server = await self.loop.create_server(
            lambda: Connection(self), sock=self.sock, backlog=1024)

    def _tick(self):
        self.now = self.loop.time()
        self.date_header = b"Date: %s\r\n" % email.utils.formatdate(usegmt=True).encode()
        for conn in list(self.connections):
            conn.tick(self.now)
        self._ticker = self.loop.call_later(1.0, self._tick)

    async def shutdown(self, timeout: float = 30.0) -> None:
        """Stop accepting, let the requests in flight finish (up to timeout
        seconds), close every connection."""
        self.stopping = True
        if self.server is not None:
            self.server.close()
        for conn in list(self.connections):
            conn.stop()
        begun = self.loop.time()
        while self.connections and self.loop.time() < begun + timeout:
            await asyncio.sleep(0.02)
            late = self.loop.time() > begun + 1.0
            for conn in list(self.connections):
                conn.stop()
                if late and not conn.busy and not conn.queue and conn.transport is not None:
                    # half a request after a second: it was never in flight
                    conn.transport.close()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        if self._ticker is not None:
            self._ticker.cancel()
