"""dyncore's HTTP server in this process, on a loop in a background thread
(for tests that need to reach into the server: hooks, timeouts)."""
import asyncio
import http.client
import json
import socket
import threading

from dyncore.httpd import HTTPServer
from dyncore.server import App, TARGET_PREFIX


class Running:
    """dyncore's HTTP server on a loop in a background thread."""

    def __init__(self, db):
        self.app = App(db)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.server = HTTPServer(self.app, self.sock, self.app.pool)
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            started.set()
            self.loop.run_forever()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10)

    def call(self, op, body, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request("POST", "/", body=json.dumps(body), headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET_PREFIX + op})
        r = conn.getresponse()
        out = r.status, json.loads(r.read())
        conn.close()
        return out

    def close(self):
        asyncio.run_coroutine_threadsafe(self.server.shutdown(5), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.app.close()
