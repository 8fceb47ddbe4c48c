#!/usr/bin/env python3
"""Server benchmark: `dyncore serve` beside dynalite (on disk) and moto's server, over HTTP.

Each server runs in its own process on a free loopback port, one after the other (never
two at once), each in a fresh data directory, and gets the same two measurements:

1. through boto3 (a real client with endpoint_url, no retries): PutItem, GetItem, Query
   of 10 items, BatchWriteItem of 25, from 1 client process and from 8 at once; calls/s
   and p50/p99 latency per call. The same boto3 calls against a trivial responder that
   answers at once with canned bodies ("ceiling") show what boto3 itself costs.
2. the server alone: pre-built HTTP requests over keep-alive connections from an asyncio
   load generator (its own HTTP/1.1 client, no boto3) at 1, 4, 16, 64, 256 connections
   until latency bends; requests/s and p50/p99 per level, and the peak ("capacity").

See bench/README.md ("server.py") for the details and the fairness rules.

    python bench/server.py                        # every system, ~5-6 minutes here
    python bench/server.py --quick                # ~2 minutes
    python bench/server.py --only ceiling,dyncore --parts raw
    python bench/server.py --json bench/out/server.json --md bench/out/server.md
    python bench/server.py --from-json bench/out/server.json   # print the tables again

dynalite comes from npm (installed into bench/out/node/ on first use unless --no-npm);
moto's server needs `pip install 'moto[server]'`. A peer that cannot start is reported
and shown as n/a; a failed check or an error on a server that started makes the exit
status 1.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import gc
import itertools
import json
import math
import os
import random
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from items import (_DOMAINS, _SYL, default_dir, git_rev, machine, md_table,  # noqa: E402
                   text_table, wire_to_native)

ROOT = Path(__file__).resolve().parent.parent
SYSTEMS = ["ceiling", "dyncore", "dynalite", "moto"]
# Opt-in references (--only): uvicorn with dyncore serve's settings and an app that answers
# with the ceiling's canned bodies, at once ("uvicorn") or after one hop through a thread
# pool like dyncore's ("uvicorn-pool"): the floor of the framework dyncore serve runs on.
EXTRA = ["uvicorn", "uvicorn-pool"]
CANNED = {"ceiling", "uvicorn", "uvicorn-pool"}
PEERS = ["dynalite", "moto"]
PARTS = ["boto3", "raw"]
B_OPS = ["put_item", "get_item", "query", "batch_write"]   # through boto3
R_OPS = ["get_item", "put_item", "query"]                  # the server alone
OP_NAME = {"put_item": "PutItem", "get_item": "GetItem", "query": "Query",
           "batch_write": "BatchWriteItem"}
TARGET_PREFIX = "DynamoDB_20120810."
PER_PK, QUERY_LIMIT, BATCH = 20, 10, 25
T_READ, T_PUT, T_BATCH = "bench_read", "bench_put", "bench_batch"
KEY_SCHEMA = dict(
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
               {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                          {"AttributeName": "sk", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST")
# Index spaces of the generated items (item i belongs to partition i // PER_PK).
READ_BASE = 0                 # bench_read: items 0 .. read_items-1 (loaded untimed)
B_PUT_BASE = 10_000_000       # boto3 PutItem, + client * 1,000,000
B_BATCH_BASE = 50_000_000     # boto3 BatchWriteItem, + client * 1,000,000
R_PUT_BASE = 90_000_000       # load generator PutItem
# Targets from the issue.
T_CEILING_FRACTION = 0.90     # one boto3 client: dyncore within 10% of boto3's ceiling
T_GET_P99_MS = 1.0            # ... and GetItem p99 under 1 ms
T_GET_RPS, T_PUT_RPS = 15_000, 10_000   # the server alone (sync interval)
T_X_DYNALITE, T_X_MOTO = 5.0, 20.0       # capacity ratios, measured the same way
FAKE_AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20261126/us-east-1/dynamodb/"
             "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
             "Signature=" + "0" * 64)
FAKE_DATE = "20261126T000000Z"
CHECK_EVERY = 61              # the load generator fully checks every 61st response


def log(msg: str):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- items

def make_item(i: int, seed: int) -> dict:
    """Item i in the wire form, the same shape as bench/items.py's (pk S, sk N, name S,
    email S, age N, active BOOL, scores L of 8 N; about 195 B by DynamoDB's rules),
    generated from (seed, i) alone so that any process can make any item."""
    rnd = random.Random(seed * 1_000_003 + i)
    p, j = divmod(i, PER_PK)
    word = lambda: "".join(rnd.choices(_SYL, k=rnd.randint(3, 6)))  # noqa: E731
    first, middle, last = word(), word(), word() + "-" + word()
    scores = []
    for _ in range(8):
        x = rnd.randrange(100_000)
        scores.append({"N": f"{x // 100}.{x % 100:02d}"})
    return {"pk": {"S": "user#%08d" % p},
            "sk": {"N": str(1_700_000_000 + 3600 * j + rnd.randrange(3600))},
            "name": {"S": f"{first.capitalize()} {middle.capitalize()} {last.title()}"},
            "email": {"S": f"{first}.{middle}.{last}.{p}@{rnd.choice(_DOMAINS)}"},
            "age": {"N": str(rnd.randint(18, 90))},
            "active": {"BOOL": rnd.random() < 0.7},
            "scores": {"L": scores}}


def key_of(item: dict) -> dict:
    return {"pk": item["pk"], "sk": item["sk"]}


def same(got, want) -> bool:
    return got is not None and wire_to_native(got) == wire_to_native(want)


def expected_query(p: int, seed: int) -> list:
    """The first QUERY_LIMIT items of read partition p, in sort-key order."""
    return [make_item(p * PER_PK + j, seed) for j in range(QUERY_LIMIT)]


def check_query_items(items: list, p: int, want: list | None) -> str | None:
    """None if a Query answer of partition p is right, else what is wrong."""
    if len(items) != QUERY_LIMIT:
        return f"{len(items)} items, expected {QUERY_LIMIT}"
    if want is None:  # canned answer (ceiling): the shape only
        return None
    got = [wire_to_native(x) for x in items]
    if got != [wire_to_native(x) for x in want]:
        sks = [x.get("sk") for x in got]
        return f"items differ from the first {QUERY_LIMIT} of partition {p} (sks {sks[:3]}...)"
    return None


def pct(xs: list, q: float):
    """Nearest-rank percentile of a sorted list."""
    if not xs:
        return None
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]


def proc_cpu(pid: int | None) -> float | None:
    """user + sys seconds of a process (all its threads)."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def short_exc(e: BaseException) -> str:
    s = f"{type(e).__name__}: {e}"
    return s if len(s) <= 400 else s[:400] + "..."


# --------------------------------------------------------------------------- servers

class Unavailable(Exception):
    """A system that cannot be started here (not installed, ...)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc, timeout: float) -> None:
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"not listening on port {port} after {timeout:.0f} s")


class Server:
    """One running server process: .port, .pid, .info; .stop()."""

    def __init__(self, name, proc, port, info, logpath):
        self.name, self.proc, self.port, self.info, self.logpath = name, proc, port, info, logpath
        self.pid = proc.pid

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> str:
        """Stop it (SIGTERM, then SIGKILL); returns the tail of its log."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            txt = Path(self.logpath).read_text(errors="replace")
        except OSError:
            txt = ""
        return txt


def read_first_line(proc, timeout: float) -> str:
    """The first stdout line of a child (its "serving on" line), or an error."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    t_end = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < t_end:
        if not sel.select(timeout=max(0.0, t_end - time.monotonic())):
            break
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        if b"\n" in buf:
            return buf.split(b"\n", 1)[0].decode(errors="replace")
    raise RuntimeError(f"no 'serving' line within {timeout:.0f} s (exit status "
                       f"{proc.poll()}; output {buf[:300]!r})")


def start_ceiling(a, d: Path) -> Server:
    logp = d / "ceiling.log"
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-ceiling",
                             "--seed", str(a.seed)], stdout=subprocess.PIPE,
                            stderr=open(logp, "wb"), cwd=ROOT)
    line = read_first_line(proc, 20)
    port = int(line.rsplit(":", 1)[1].split()[0])
    import importlib.util
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return Server("ceiling", proc, port, {
        "module": f"trivial responder in this script (asyncio.Protocol on {loop})",
        "notes": "answers each request at once with a canned body for its X-Amz-Target "
                 "(with Content-Length and a correct x-amz-crc32); no storage, no parsing "
                 "of the JSON"}, logp)


def start_dyncore(a, d: Path) -> Server:
    logp = d / "dyncore.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"]
                                             if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "dyncore", "serve", "--port", "0", "--temporary",
           "--log-level", "warning", "--sync", a.dyncore_sync]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(logp, "wb"), cwd=ROOT,
                            env=env)
    try:
        line = read_first_line(proc, 30)
    except RuntimeError:
        proc.kill()
        raise
    if "serving DynamoDB on http://" not in line:
        proc.kill()
        raise RuntimeError(f"unexpected first line {line!r}")
    port = int(line.split("http://", 1)[1].split()[0].rsplit(":", 1)[1])
    ver = subprocess.run([sys.executable, "-c", "import dyncore; print(dyncore.__version__)"],
                         capture_output=True, text=True, env=env).stdout.strip() or "?"
    return Server("dyncore", proc, port, {
        "module": f"dyncore {ver} ({git_rev()}) `dyncore serve` (dyncore.httpd: httptools + uvloop)",
        "notes": f"--temporary --sync {a.dyncore_sync} --log-level warning"}, logp)


def find_dynalite(a) -> Path | None:
    if a.dynalite:
        p = Path(a.dynalite)
        cands = [p, p / "cli.js", p / "node_modules" / "dynalite" / "cli.js"]
    else:
        cands = [ROOT / "bench" / "out" / "node" / "node_modules" / "dynalite" / "cli.js",
                 ROOT / "bench" / "node_modules" / "dynalite" / "cli.js"]
    for c in cands:
        if c.is_file():
            return c.resolve()
    return None


def install_dynalite(a) -> Path:
    if not shutil.which("node"):
        raise Unavailable("node is not installed")
    cli = find_dynalite(a)
    if cli:
        return cli
    if a.no_npm or a.dynalite:
        raise Unavailable(f"dynalite not found at {a.dynalite}" if a.dynalite else
                          "dynalite is not installed (--no-npm); npm install dynalite "
                          "into bench/out/node or pass --dynalite")
    if not shutil.which("npm"):
        raise Unavailable("npm is not installed")
    target = ROOT / "bench" / "out" / "node"
    target.mkdir(parents=True, exist_ok=True)
    log(f"[dynalite] npm install dynalite --prefix {target}")
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(target),
                        "dynalite"], capture_output=True, text=True, timeout=300)
    cli = find_dynalite(a)
    if r.returncode != 0 or not cli:
        raise Unavailable("npm could not install dynalite (status %s): %s" % (
            r.returncode, (r.stderr or r.stdout).strip()[-400:]))
    return cli


def start_dynalite(a, d: Path) -> Server:
    cli = install_dynalite(a)
    data = d / "dynalite-data"
    data.mkdir()
    logp = d / "dynalite.log"
    port = free_port()
    node = shutil.which("node")
    cmd = [node, str(cli), "--host", "127.0.0.1", "--port", str(port), "--path", str(data),
           "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
    proc = subprocess.Popen(cmd, stdout=open(logp, "wb"), stderr=subprocess.STDOUT, cwd=d)
    try:
        wait_port(port, proc, 30)
    except RuntimeError as e:
        proc.kill()
        raise RuntimeError(f"{e}; log: {logp.read_text(errors='replace')[-400:]}") from None
    try:
        pkg = json.loads((cli.parent / "package.json").read_text())
        ver = pkg.get("version", "?")
    except (OSError, ValueError):
        ver = "?"
    nver = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    return Server("dynalite", proc, port, {
        "module": f"dynalite {ver} (node {nver})",
        "notes": "on disk (--path DIR: LevelDB through classic-level), --createTableMs 0"}, logp)


def start_moto(a, d: Path) -> Server:
    import importlib.util
    if not importlib.util.find_spec("moto") or not importlib.util.find_spec("flask"):
        raise Unavailable("moto's server is not installed (pip install 'moto[server]')")
    logp = d / "moto.log"
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-moto"],
                            stdout=subprocess.PIPE, stderr=open(logp, "wb"), cwd=ROOT)
    try:
        line = read_first_line(proc, 60)
    except RuntimeError as e:
        proc.kill()
        raise RuntimeError(f"{e}; log: {logp.read_text(errors='replace')[-400:]}") from None
    port = int(line.rsplit(":", 1)[1].split()[0])
    import importlib.metadata as md
    return Server("moto", proc, port, {
        "module": f"moto {md.version('moto')} server (ThreadedMotoServer: werkzeug, a thread "
                  f"per connection), flask {md.version('flask')}",
        "notes": "memory only; werkzeug's per-request access log off (moto's best case); "
                 "werkzeug answers HTTP/1.1 with Connection: close, so every request opens "
                 "a new TCP connection"}, logp)


STARTERS = {"ceiling": start_ceiling, "dyncore": start_dyncore, "dynalite": start_dynalite,
            "moto": start_moto, "uvicorn": lambda a, d: start_uvicorn(a, d, "inline"),
            "uvicorn-pool": lambda a, d: start_uvicorn(a, d, "pool")}


# ---- the ceiling responder (a child process: --serve-ceiling)

def ceiling_bodies(seed: int) -> dict:
    """Canned answers, shaped like dyncore's answers to the benchmark's calls."""
    item = make_item(READ_BASE, seed)
    q = expected_query(0, seed)
    return {
        "PutItem": {},
        "GetItem": {"Item": item},
        "Query": {"Items": q, "Count": len(q), "ScannedCount": len(q),
                  "LastEvaluatedKey": key_of(q[-1])},
        "BatchWriteItem": {"UnprocessedItems": {}},
        "ListTables": {"TableNames": []},
    }


def http_response(status: int, body: bytes, reason: str = "OK") -> bytes:
    crc = zlib.crc32(body) & 0xFFFFFFFF
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"x-amzn-RequestId: CEILING0000000000000000000000000000000000000000000000\r\n"
            f"x-amz-crc32: {crc}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def serve_ceiling(seed: int) -> int:
    try:
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    canned = {op.lower().encode(): http_response(200, json.dumps(b, separators=(",", ":"))
                                                  .encode())
              for op, b in ceiling_bodies(seed).items()}
    unknown = http_response(400, b'{"__type":"com.amazon.coral.service#'
                                 b'UnknownOperationException"}', "Bad Request")
    tprefix = b"x-amz-target:"

    class Responder(asyncio.Protocol):
        def connection_made(self, tr):
            self.tr = tr
            self.buf = bytearray()

        def data_received(self, data):
            buf = self.buf
            buf += data
            while True:
                h = buf.find(b"\r\n\r\n")
                if h < 0:
                    return
                head = bytes(buf[:h]).lower()
                clen, op = 0, b""
                for line in head.split(b"\r\n"):
                    if line.startswith(b"content-length:"):
                        clen = int(line[15:])
                    elif line.startswith(tprefix):
                        t = line[len(tprefix):].strip()
                        op = t.rsplit(b".", 1)[-1]
                end = h + 4 + clen
                if len(buf) < end:
                    return
                del buf[:end]
                self.tr.write(canned.get(op, unknown))

    async def main():
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(Responder, "127.0.0.1", 0, backlog=1024)
        port = srv.sockets[0].getsockname()[1]
        print(f"ceiling serving on http://127.0.0.1:{port}", flush=True)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()
        srv.close()

    asyncio.run(main())
    return 0


def start_uvicorn(a, d: Path, mode: str) -> Server:
    logp = d / f"uvicorn-{mode}.log"
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-uvicorn", mode,
                             "--seed", str(a.seed)], stdout=subprocess.PIPE,
                            stderr=open(logp, "wb"), cwd=ROOT)
    line = read_first_line(proc, 30)
    port = int(line.rsplit(":", 1)[1].split()[0])
    import importlib.metadata as md
    hop = ("after one run_in_executor hop through a ThreadPoolExecutor of "
           "min(32, 4 x CPUs) threads (as dyncore serve does)" if mode == "pool"
           else "at once, on the event loop")
    return Server("uvicorn" if mode == "inline" else "uvicorn-pool", proc, port, {
        "module": f"uvicorn {md.version('uvicorn')} + httptools + uvloop, an ASGI app in "
                  "this script",
        "notes": f"dyncore serve's uvicorn settings; answers with the ceiling's canned bodies "
                 f"(x-amzn-RequestId uuid4, x-amz-crc32, Content-Length) {hop}; no "
                 "storage"}, logp)


def serve_uvicorn(mode: str, seed: int) -> int:
    """uvicorn configured as `dyncore serve` configures it, answering canned bodies."""
    import concurrent.futures
    import uuid
    import uvicorn
    bodies = {op.encode(): json.dumps(b, separators=(",", ":")).encode()
              for op, b in ceiling_bodies(seed).items()}
    crcs = {op: str(zlib.crc32(b) & 0xFFFFFFFF).encode() for op, b in bodies.items()}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 2) * 4))
    unknown = b'{"__type":"com.amazon.coral.service#UnknownOperationException"}'

    def work(op):
        return bodies.get(op)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect" or not msg.get("more_body"):
                break
        headers = dict(scope["headers"])
        op = headers.get(b"x-amz-target", b"").rsplit(b".", 1)[-1]
        if mode == "pool":
            body = await asyncio.get_running_loop().run_in_executor(pool, work, op)
        else:
            body = bodies.get(op)
        status = 200 if body is not None else 400
        body = body if body is not None else unknown
        crc = crcs.get(op) or str(zlib.crc32(body) & 0xFFFFFFFF).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/x-amz-json-1.0"),
            (b"x-amzn-requestid", str(uuid.uuid4()).encode()), (b"x-amz-crc32", crc),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(f"uvicorn ({mode}) serving on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, http="httptools", loop="uvloop", lifespan="off",
                            log_level="warning", access_log=False, timeout_keep_alive=75,
                            limit_concurrency=None)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def serve_moto() -> int:
    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import ThreadedMotoServer
    s = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s.start()
    host, port = s.get_host_and_port()
    print(f"moto serving on http://{host}:{port}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    return 0


# --------------------------------------------------------------------------- setup

def boto3_client(url: str, timeout: float = 60.0):
    for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        os.environ.pop(k, None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    import boto3
    from botocore.config import Config
    return boto3.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                      connect_timeout=10, read_timeout=timeout))


def setup_tables(srv: Server, a) -> None:
    """Create the tables and load bench_read (untimed), then check a read and a query."""
    c = boto3_client(srv.url)
    for t in (T_READ, T_PUT, T_BATCH):
        c.create_table(TableName=t, **KEY_SCHEMA)
    for t in (T_READ, T_PUT, T_BATCH):
        for _ in range(300):
            if c.describe_table(TableName=t)["Table"]["TableStatus"] == "ACTIVE":
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"table {t} not ACTIVE after 15 s")
    items = [make_item(READ_BASE + i, a.seed) for i in range(a.read_items)]
    for i in range(0, len(items), BATCH):
        req = {T_READ: [{"PutRequest": {"Item": it}} for it in items[i:i + BATCH]]}
        for _ in range(20):
            un = c.batch_write_item(RequestItems=req).get("UnprocessedItems") or {}
            if not un:
                break
            req = un
        else:
            raise RuntimeError("BatchWriteItem keeps returning UnprocessedItems")
    got = c.get_item(TableName=T_READ, Key=key_of(items[-1])).get("Item")
    if not same(got, items[-1]):
        raise RuntimeError(f"setup check: GetItem after the load returned {got!r}")
    out = c.query(TableName=T_READ, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": items[0]["pk"]}, Limit=QUERY_LIMIT)
    bad = check_query_items(out["Items"], 0, expected_query(0, a.seed))
    if bad:
        raise RuntimeError(f"setup check: Query after the load: {bad}")
    log(f"  [{srv.name}] tables created, {len(items):,} items loaded into {T_READ}")


# --------------------------------------------------------------------------- boto3 part

def boto3_child(spec_path: str, out_path: str) -> int:
    """One boto3 client process. Protocol on stdin/stdout, per phase: it prints "ready",
    waits for "go", runs the phase, prints "done", waits for "next" (then checks the
    phase's answers, untimed, while no other client is timing)."""
    spec = json.loads(Path(spec_path).read_text())
    seed, ci, canned = spec["seed"], spec["client"], spec["canned"]
    c = boto3_client(spec["url"])
    rnd = random.Random(seed * 31 + ci)
    n_read = spec["read_items"]
    npk = n_read // PER_PK
    ncalls, nbatch = spec["calls"], spec["batch_calls"]
    res = {"client": ci, "phases": {}}

    # inputs, before any timing
    put_items = [make_item(B_PUT_BASE + ci * 1_000_000 + k, seed) for k in range(ncalls)]
    get_idx = [rnd.randrange(n_read) for _ in range(ncalls)]
    get_keys = [key_of(make_item(READ_BASE + i, seed)) for i in get_idx]
    q_parts = [rnd.randrange(npk) for _ in range(ncalls)]
    q_vals = [{":p": {"S": "user#%08d" % p}} for p in q_parts]
    b_items = [[make_item(B_BATCH_BASE + ci * 1_000_000 + k * BATCH + j, seed)
                for j in range(BATCH)] for k in range(nbatch)]
    b_reqs = [{T_BATCH: [{"PutRequest": {"Item": it}} for it in b]} for b in b_items]

    # warm-up: every operation once (botocore loads its models lazily), untimed
    wk = make_item(B_PUT_BASE + ci * 1_000_000 + 999_999, seed)
    c.put_item(TableName=T_PUT, Item=wk)
    c.get_item(TableName=T_READ, Key=get_keys[0])
    c.query(TableName=T_READ, KeyConditionExpression="pk = :p",
            ExpressionAttributeValues=q_vals[0], Limit=QUERY_LIMIT)
    c.batch_write_item(RequestItems={T_BATCH: [{"PutRequest": {"Item": wk}}]})
    for k in get_keys[:20]:
        c.get_item(TableName=T_READ, Key=k)

    def run(op, deadline):
        lat, got = [], []
        pc = time.perf_counter
        if op == "put_item":
            put = c.put_item
            for it in put_items:
                t0 = pc()
                if t0 >= deadline:
                    break
                put(TableName=T_PUT, Item=it)
                lat.append(pc() - t0)
        elif op == "get_item":
            get = c.get_item
            for k in get_keys:
                t0 = pc()
                if t0 >= deadline:
                    break
                r = get(TableName=T_READ, Key=k)
                lat.append(pc() - t0)
                got.append(r.get("Item"))
        elif op == "query":
            q = c.query
            for v in q_vals:
                t0 = pc()
                if t0 >= deadline:
                    break
                r = q(TableName=T_READ, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues=v, Limit=QUERY_LIMIT)
                lat.append(pc() - t0)
                got.append(r["Items"])
        elif op == "batch_write":
            bw = c.batch_write_item
            for r in b_reqs:
                t0 = pc()
                if t0 >= deadline:
                    break
                out = bw(RequestItems=r)
                lat.append(pc() - t0)
                got.append(len((out.get("UnprocessedItems") or {}).get(T_BATCH, ())))
        return lat, got

    def checks(op, n, got) -> list:
        bad = []
        if op == "put_item":
            sample = rnd.sample(range(n), min(n, 50))
            if not canned:
                wrong = sum(1 for k in sample if not same(
                    c.get_item(TableName=T_PUT, Key=key_of(put_items[k])).get("Item"),
                    put_items[k]))
                if wrong:
                    bad.append(f"{wrong} of {len(sample)} sampled put items read back wrong")
        elif op == "get_item":
            missing = sum(1 for g in got if g is None)
            if missing:
                bad.append(f"{missing} of {len(got)} GetItem calls found no item")
            if not canned:
                wrong = sum(1 for g, i in zip(got, get_idx)
                            if g is not None and not same(g, make_item(READ_BASE + i, seed)))
                if wrong:
                    bad.append(f"{wrong} of {len(got)} GetItem answers differ from the item")
        elif op == "query":
            wrong = []
            for items, p in zip(got, q_parts):
                w = check_query_items(items, p, None if canned else expected_query(p, seed))
                if w:
                    wrong.append(w)
            if wrong:
                bad.append(f"{len(wrong)} of {len(got)} queries wrong, e.g. {wrong[0]}")
        elif op == "batch_write":
            un = sum(got)
            if un:
                bad.append(f"{un} unprocessed items in {len(got)} calls")
            if not canned and n:
                sample = rnd.sample(range(n), min(n, 20))
                wrong = sum(1 for k in sample if not same(
                    c.get_item(TableName=T_BATCH, Key=key_of(b_items[k][k % BATCH]))
                    .get("Item"), b_items[k][k % BATCH]))
                if wrong:
                    bad.append(f"{wrong} of {len(sample)} sampled batch items read back wrong")
        return bad

    for op in spec["ops"]:
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return 2
        gc.collect()
        gc.disable()
        t_start = time.perf_counter()
        err = None
        try:
            lat, got = run(op, t_start + spec["seconds"])
        except Exception as e:  # noqa: BLE001 - reported, the next phase still runs
            lat, got = [], []
            err = short_exc(e)
            resp = getattr(e, "response", None)
            if resp:
                err += f" | response: {json.dumps(resp, default=str)[:600]}"
        t_end = time.perf_counter()
        gc.enable()
        print("done", flush=True)
        if sys.stdin.readline().strip() != "next":
            return 2
        rec = {"calls": len(lat), "t_start": t_start, "t_end": t_end,
               "lat_us": [round(x * 1e6) for x in lat], "error": err, "checks_failed": []}
        if err is None:
            try:
                rec["checks_failed"] = checks(op, len(lat), got)
            except Exception as e:  # noqa: BLE001
                rec["checks_failed"] = [f"check raised {short_exc(e)}"]
        for b in rec["checks_failed"]:
            log(f"    client {ci} {op}: CHECK FAILED: {b}")
        if err:
            log(f"    client {ci} {op}: ERROR {err}")
        res["phases"][op] = rec
    Path(out_path).write_text(json.dumps(res))
    return 0


def run_boto3(srv: Server, a, base: Path, nclients: int, canned: bool) -> dict:
    """nclients boto3 processes, each phase started at once in all of them."""
    spec = {"url": srv.url, "seed": a.seed, "canned": canned, "read_items": a.read_items,
            "calls": a.calls, "batch_calls": a.batch_calls, "seconds": a.seconds,
            "ops": B_OPS}
    procs, outs = [], []
    for ci in range(nclients):
        sp = base / f"b3-{srv.name}-{nclients}-{ci}.spec.json"
        op = base / f"b3-{srv.name}-{nclients}-{ci}.out.json"
        sp.write_text(json.dumps({**spec, "client": ci}))
        procs.append(subprocess.Popen([sys.executable, os.path.abspath(__file__),
                                       "--boto3-child", str(sp), str(op)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                                      text=True, bufsize=1))
        outs.append(op)

    def expect(word):
        for p in procs:
            line = p.stdout.readline().strip()
            if line != word:
                raise RuntimeError(f"boto3 client said {line!r}, expected {word!r} "
                                   f"(status {p.poll()})")

    def say(word):
        for p in procs:
            p.stdin.write(word + "\n")
            p.stdin.flush()

    cpu = {}
    try:
        for op in B_OPS:
            expect("ready")
            c0 = proc_cpu(srv.pid)
            say("go")
            expect("done")
            c1 = proc_cpu(srv.pid)
            cpu[op] = (c1 - c0) if c0 is not None and c1 is not None else None
            say("next")
        for p in procs:
            p.stdin.close()
            p.wait(120)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    res = [json.loads(o.read_text()) for o in outs if o.exists()]
    if len(res) != nclients:
        raise RuntimeError(f"{nclients - len(res)} boto3 client(s) wrote no result")
    out = {}
    for op in B_OPS:
        ph = [r["phases"][op] for r in res]
        calls = sum(p["calls"] for p in ph)
        wall = max(p["t_end"] for p in ph) - min(p["t_start"] for p in ph)
        lat = sorted(x for p in ph for x in p["lat_us"])
        mult = BATCH if op == "batch_write" else 1
        out[op] = {
            "clients": nclients, "calls": calls, "seconds": wall,
            "rate": calls / wall if wall > 0 and calls else None,
            "items_per_s": calls * mult / wall if wall > 0 and calls else None,
            "p50_ms": pct(lat, 0.50) / 1e3 if lat else None,
            "p99_ms": pct(lat, 0.99) / 1e3 if lat else None,
            "max_ms": lat[-1] / 1e3 if lat else None,
            "server_cpu_us": (cpu.get(op) / calls * 1e6
                              if cpu.get(op) is not None and calls else None),
            "errors": [f"client {r['client']}: {r['phases'][op]['error']}" for r in res
                       if r["phases"][op]["error"]],
            "checks_failed": [f"client {r['client']}: {b}" for r in res
                              for b in r["phases"][op]["checks_failed"]],
        }
        r = out[op]
        log(f"  [{srv.name}] boto3 x{nclients} {op:<12} {calls:>7,} calls {wall:6.2f} s "
            f"{r['rate'] or 0:>9,.0f} calls/s  p50 {r['p50_ms'] or 0:7.3f} ms  "
            f"p99 {r['p99_ms'] or 0:7.3f} ms"
            + (f"  server {r['server_cpu_us']:.0f} us CPU/call" if r["server_cpu_us"] else "")
            + ("  ERRORS" if r["errors"] else "") + ("  CHECK FAILED" if r["checks_failed"]
                                                    else ""))
    return out


# --------------------------------------------------------------------------- raw part

def build_request(host: str, op: str, body: dict) -> bytes:
    b = json.dumps(body, separators=(",", ":")).encode()
    return (f"POST / HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/x-amz-json-1.0\r\n"
            f"X-Amz-Target: {TARGET_PREFIX}{op}\r\n"
            f"X-Amz-Date: {FAKE_DATE}\r\nAuthorization: {FAKE_AUTH}\r\n"
            f"Content-Length: {len(b)}\r\n\r\n").encode() + b


class HTTPConn(asyncio.Protocol):
    """A minimal HTTP/1.1 client connection: one request at a time; responses framed by
    Content-Length, chunked transfer encoding, or the connection's close."""

    def __init__(self):
        self.buf = bytearray()
        self.fut = None
        self.tr = None
        self.lost = False

    def connection_made(self, tr):
        self.tr = tr

    def data_received(self, data):
        self.buf += data
        if self.fut is not None:
            r = self.parse(False)
            if r is not None:
                f, self.fut = self.fut, None
                if not f.done():
                    f.set_result(r)

    def connection_lost(self, exc):
        self.lost = True
        if self.fut is not None:
            f, self.fut = self.fut, None
            r = self.parse(True)
            if not f.done():
                if r is not None:
                    f.set_result(r)
                else:
                    f.set_exception(ConnectionError(f"connection closed ({exc or 'EOF'}), "
                                                    f"{len(self.buf)} bytes of a response"))

    def request(self, data: bytes, loop):
        self.fut = loop.create_future()
        self.tr.write(data)
        return self.fut

    def parse(self, eof: bool):
        """(status, head bytes, body bytes, close) of the next response, or None."""
        buf = self.buf
        h = buf.find(b"\r\n\r\n")
        if h < 0:
            return None
        head = bytes(buf[:h])
        try:
            status = int(head[9:12])
        except ValueError:
            status = 0
        close = head.startswith(b"HTTP/1.0")
        clen, chunked = None, False
        for line in head.lower().split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k == b"content-length":
                clen = int(v)
            elif k == b"transfer-encoding":
                chunked = b"chunked" in v
            elif k == b"connection":
                close = b"close" in v
        start = h + 4
        if chunked:
            pos, parts = start, []
            while True:
                e = buf.find(b"\r\n", pos)
                if e < 0:
                    return None
                size = int(bytes(buf[pos:e]).split(b";")[0], 16)
                if size == 0:
                    t = buf.find(b"\r\n\r\n", e)  # no trailers expected: "0\r\n\r\n"
                    if t < 0:
                        return None
                    end = t + 4
                    break
                if len(buf) < e + 2 + size + 2:
                    return None
                parts.append(bytes(buf[e + 2:e + 2 + size]))
                pos = e + 2 + size + 2
            body = b"".join(parts)
        elif clen is not None:
            end = start + clen
            if len(buf) < end:
                return None
            body = bytes(buf[start:end])
        else:
            if not eof:
                return None
            end, body, close = len(buf), bytes(buf[start:]), True
        del buf[:end]
        return status, head, body, close


def raw_child(spec_path: str, out_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    loopname = "asyncio"
    try:
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        loopname = "uvloop"
    except ImportError:
        pass
    res = asyncio.run(raw_main(spec))
    res["loop"] = loopname
    Path(out_path).write_text(json.dumps(res))
    return 0


async def raw_main(spec: dict) -> dict:
    loop = asyncio.get_running_loop()
    port, seed, canned = spec["port"], spec["seed"], spec["canned"]
    host = f"127.0.0.1:{port}"
    rnd = random.Random(seed * 17 + 5)
    n_read = spec["read_items"]
    npk = n_read // PER_PK
    # pre-built requests and what each should answer
    reqs, want = {}, {}
    order = list(range(n_read))
    rnd.shuffle(order)
    reqs["get_item"] = [build_request(host, "GetItem", {
        "TableName": T_READ, "Key": key_of(make_item(READ_BASE + i, seed))}) for i in order]
    want["get_item"] = [READ_BASE + i for i in order]
    put_items = [make_item(R_PUT_BASE + k, seed) for k in range(spec["put_items"])]
    reqs["put_item"] = [build_request(host, "PutItem", {"TableName": T_PUT, "Item": it})
                        for it in put_items]
    parts = [rnd.randrange(npk) for _ in range(min(npk, 2000))]
    reqs["query"] = [build_request(host, "Query", {
        "TableName": T_READ, "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "user#%08d" % p}},
        "Limit": QUERY_LIMIT}) for p in parts]
    want["query"] = parts
    qcache = {}

    async def connect():
        _tr, pr = await loop.create_connection(HTTPConn, "127.0.0.1", port)
        return pr

    def check(op, idx, body) -> str | None:
        try:
            d = json.loads(body)
        except ValueError:
            return f"body is not JSON: {body[:200]!r}"
        if op == "put_item":
            return None if d == {} or ("__type" not in d and "Attributes" not in d) \
                else f"PutItem answered {body[:200]!r}"
        if op == "get_item":
            it = d.get("Item")
            if it is None:
                return f"GetItem found no item: {body[:200]!r}"
            if not canned and not same(it, make_item(want[op][idx], seed)):
                return f"GetItem answer differs from item {want[op][idx]}"
            return None
        p = want[op][idx]
        if not canned and p not in qcache:
            qcache[p] = expected_query(p, seed)
        return check_query_items(d.get("Items") or [], p, None if canned else qcache[p])

    async def level(op: str, conc: int, dur: float, warm: float) -> dict:
        rq = reqs[op]
        nreq = len(rq)
        conns = [await connect() for _ in range(conc)]
        counter = itertools.count()
        lat: list = []
        st = {"errors": 0, "reconnects": 0, "bad": 0, "first_error": None, "first_bad": None,
              "checked": 0, "sent": 0}
        pc = time.perf_counter
        t_start = pc() + warm
        t_end = t_start + dur

        async def worker(w: int):
            c = conns[w]
            while True:
                t0 = pc()
                if t0 >= t_end:
                    break
                i = next(counter)
                data = rq[i % nreq]
                try:
                    if c is None or c.lost:
                        c = await connect()
                        st["reconnects"] += 1
                    status, head, body, close = await c.request(data, loop)
                except Exception as e:  # noqa: BLE001 - counted, the worker goes on
                    st["errors"] += 1
                    if st["first_error"] is None:
                        st["first_error"] = {"request": data[:600].decode(errors="replace"),
                                             "error": short_exc(e)}
                    if c is not None:
                        c.tr.close()
                    c = None
                    await asyncio.sleep(0.001)
                    continue
                t1 = pc()
                st["sent"] += 1
                if t_start <= t1 <= t_end:
                    lat.append(t1 - t0)
                if status != 200:
                    st["errors"] += 1
                    if st["first_error"] is None:
                        st["first_error"] = {"request": data[:600].decode(errors="replace"),
                                             "status": status,
                                             "response": (head + b"\r\n\r\n" + body[:600])
                                             .decode(errors="replace")}
                elif i % CHECK_EVERY == 0:
                    st["checked"] += 1
                    bad = check(op, i % nreq, body)
                    if bad:
                        st["bad"] += 1
                        if st["first_bad"] is None:
                            st["first_bad"] = bad
                if close:
                    c.tr.close()
                    c = None
            if c is not None:
                c.tr.close()

        gc.collect()
        gc.disable()
        s0, l0 = proc_cpu(spec["server_pid"]), self_cpu()
        tasks = [asyncio.ensure_future(worker(w)) for w in range(conc)]
        done, pending = await asyncio.wait(tasks, timeout=warm + dur + 30)
        s1, l1 = proc_cpu(spec["server_pid"]), self_cpu()
        gc.enable()
        for t in pending:
            t.cancel()
        for t in done:
            if t.exception():
                st["errors"] += 1
                st["first_error"] = st["first_error"] or {"error": short_exc(t.exception())}
        if pending:
            st["errors"] += len(pending)
            st["first_error"] = st["first_error"] or {
                "error": f"{len(pending)} requests unanswered 30 s after the end"}
        lat.sort()
        n = len(lat)
        srv_cpu = (s1 - s0) if s0 is not None and s1 is not None else None
        elapsed = warm + dur  # CPU was read over the warm-up too
        return {"conns": conc, "requests": n, "seconds": dur, "rate": n / dur,
                "p50_ms": pct(lat, .5) * 1e3 if n else None,
                "p90_ms": pct(lat, .9) * 1e3 if n else None,
                "p99_ms": pct(lat, .99) * 1e3 if n else None,
                "max_ms": lat[-1] * 1e3 if n else None,
                "server_cpu_share": srv_cpu / elapsed if srv_cpu is not None else None,
                "server_cpu_us": (srv_cpu / st["sent"] * 1e6
                                  if srv_cpu is not None and st["sent"] else None),
                "loadgen_cpu_share": (l1 - l0) / elapsed, **st}

    out: dict = {"ops": {}, "stopped": {}, "checks_failed": [], "errors": []}
    for op in spec["ops"]:
        recs = {}
        best = None
        for conc in spec["levels"]:
            r = await level(op, conc, spec["seconds"], spec["warmup"])
            recs[str(conc)] = r
            log(f"  [{spec['system']}] raw {op:<9} {conc:>4} conns {r['rate']:>9,.0f} req/s  "
                f"p50 {r['p50_ms'] or 0:7.3f} ms  p99 {r['p99_ms'] or 0:8.3f} ms  "
                f"server CPU {100 * (r['server_cpu_share'] or 0):3.0f}%  loadgen CPU "
                f"{100 * r['loadgen_cpu_share']:3.0f}%"
                + (f"  reconnects {r['reconnects']:,}" if r["reconnects"] else "")
                + (f"  ERRORS {r['errors']:,}" if r["errors"] else "")
                + (f"  CHECK FAILED {r['bad']}" if r["bad"] else ""))
            if r["bad"]:
                out["checks_failed"].append(f"{op} at {conc} connections: {r['bad']} of "
                                            f"{r['checked']} checked answers wrong, e.g. "
                                            f"{r['first_bad']}")
            if r["errors"]:
                out["errors"].append({"op": op, "conns": conc, "count": r["errors"],
                                      "of": r["sent"] + r["errors"], **(r["first_error"] or {})})
            if spec["all_levels"] or conc == spec["levels"][-1]:
                continue
            if r["errors"] > 0.01 * max(1, r["sent"]):
                out["stopped"][op] = {"conns": conc, "why": "errors"}
                break
            if conc >= spec["bend_from"] and best is not None and \
                    r["rate"] < 1.10 * best["rate"] and r["p50_ms"] and best["p50_ms"] and \
                    r["p50_ms"] >= 2 * best["p50_ms"]:
                out["stopped"][op] = {"conns": conc, "why": "bent"}
                break
            if best is None or r["rate"] > best["rate"]:
                best = r
        out["ops"][op] = recs
        if op == "put_item" and not canned:
            # read back a sample of the items put (the counter started at 0, so the
            # first min(put_items, requests) items were all put at least once)
            c = await connect()
            bad = 0
            sample = rnd.sample(range(min(50, len(put_items))), min(50, len(put_items)))
            for k in sample:
                status, _h, body, close = await c.request(build_request(
                    host, "GetItem", {"TableName": T_PUT, "Key": key_of(put_items[k])}), loop)
                if status != 200 or not same(json.loads(body).get("Item"), put_items[k]):
                    bad += 1
                if close:
                    c.tr.close()
                    c = await connect()
            c.tr.close()
            if bad:
                out["checks_failed"].append(f"put_item: {bad} of {len(sample)} sampled items "
                                            "read back wrong")
    return out


def run_raw(srv: Server, a, base: Path, canned: bool) -> dict:
    spec = {"system": srv.name, "port": srv.port, "seed": a.seed, "canned": canned,
            "read_items": a.read_items, "put_items": a.raw_put_items,
            "ops": a.raw_ops, "levels": a.levels, "seconds": a.raw_seconds,
            "warmup": a.raw_warmup, "server_pid": srv.pid, "all_levels": a.all_levels,
            "bend_from": a.bend_from}
    sp = base / f"raw-{srv.name}.spec.json"
    op = base / f"raw-{srv.name}.out.json"
    sp.write_text(json.dumps(spec))
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--raw-child", str(sp),
                        str(op)], cwd=ROOT)
    if r.returncode != 0 or not op.exists():
        raise RuntimeError(f"load generator exited with status {r.returncode}")
    return json.loads(op.read_text())


# --------------------------------------------------------------------------- one system

def run_system(s: str, a, base: Path, rep: int) -> dict:
    d = base / f"{s}-{rep}"
    d.mkdir()
    res = {"system": s, "started": False, "boto3": {}, "raw": None, "errors": [],
           "checks_failed": []}
    t0 = time.monotonic()
    try:
        srv = STARTERS[s](a, d)
    except Unavailable as e:
        res["unavailable"] = str(e)
        log(f"[{s}] not available: {e}")
        return res
    except Exception as e:  # noqa: BLE001
        res["unavailable"] = f"could not start: {short_exc(e)}"
        log(f"[{s}] could not start: {e}")
        return res
    res["started"] = True
    res["info"] = srv.info
    log(f"[{s}] run {rep + 1}: serving on {srv.url} (pid {srv.pid})")
    canned = s in CANNED
    try:
        if not canned:
            setup_tables(srv, a)
        if "boto3" in a.parts:
            for n in a.clients:
                try:
                    res["boto3"][str(n)] = run_boto3(srv, a, base, n, canned)
                except Exception as e:  # noqa: BLE001
                    res["errors"].append(f"boto3 x{n}: {short_exc(e)}")
                    log(f"  [{s}] boto3 x{n}: ERROR {traceback.format_exc()}")
        if "raw" in a.parts:
            try:
                res["raw"] = run_raw(srv, a, base, canned)
            except Exception as e:  # noqa: BLE001
                res["errors"].append(f"load generator: {short_exc(e)}")
                log(f"  [{s}] load generator: ERROR {e}")
    except Exception as e:  # noqa: BLE001
        res["errors"].append(f"setup: {short_exc(e)}")
        log(f"  [{s}] ERROR {traceback.format_exc()}")
    finally:
        alive = srv.proc.poll() is None
        logtxt = srv.stop()
        if not alive:
            res["errors"].append(f"the server exited during the run (status "
                                 f"{srv.proc.returncode})")
        lines = [ln for ln in logtxt.splitlines() if ln.strip()]
        if s not in PEERS and lines:
            res["server_log"] = "\n".join(lines[-40:])
        res["seconds"] = time.monotonic() - t0
        if not a.keep:
            shutil.rmtree(d, ignore_errors=True)
    for n, ops in res["boto3"].items():
        for op, r in ops.items():
            res["errors"] += [f"boto3 x{n} {op}: {e}" for e in r["errors"]]
            res["checks_failed"] += [f"boto3 x{n} {op}: {c}" for c in r["checks_failed"]]
    if res["raw"]:
        res["checks_failed"] += [f"raw {c}" for c in res["raw"]["checks_failed"]]
    log(f"[{s}] done in {res['seconds']:.0f} s")
    return res


# --------------------------------------------------------------------------- report

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def aggregate(runs: list) -> dict:
    """Medians over the repeats of one system."""
    ok = [r for r in runs if r.get("started")]
    if not ok:
        return {"started": False, "unavailable": runs[0].get("unavailable") if runs else "?"}
    agg = {"started": True, "info": ok[0]["info"], "boto3": {}, "raw": {}, "stopped": {},
           "errors": [], "raw_errors": [], "checks_failed": [], "server_log": None,
           "loop": None}
    keys = ("rate", "items_per_s", "p50_ms", "p99_ms", "server_cpu_us")
    for n in sorted({n for r in ok for n in r["boto3"]}, key=int):
        agg["boto3"][n] = {}
        for op in B_OPS:
            recs = [r["boto3"][n][op] for r in ok if n in r["boto3"] and op in r["boto3"][n]]
            if recs:
                agg["boto3"][n][op] = {k: med([x.get(k) for x in recs]) for k in keys}
                agg["boto3"][n][op]["calls"] = sum(x["calls"] for x in recs)
    rkeys = ("rate", "p50_ms", "p99_ms", "server_cpu_us", "server_cpu_share",
             "loadgen_cpu_share")
    for r in ok:
        if r.get("raw"):
            agg["loop"] = r["raw"].get("loop")
            for op, why in r["raw"].get("stopped", {}).items():
                agg["stopped"][op] = why
            agg["raw_errors"] += r["raw"].get("errors", [])
    for op in R_OPS:
        levels = sorted({c for r in ok if r.get("raw") for c in r["raw"]["ops"].get(op, {})},
                        key=int)
        if not levels:
            continue
        agg["raw"][op] = {}
        for c in levels:
            recs = [r["raw"]["ops"][op][c] for r in ok
                    if r.get("raw") and c in r["raw"]["ops"].get(op, {})]
            agg["raw"][op][c] = {k: med([x.get(k) for x in recs]) for k in rkeys}
            agg["raw"][op][c]["errors"] = sum(x["errors"] for x in recs)
            agg["raw"][op][c]["reconnects"] = sum(x["reconnects"] for x in recs)
    for r in ok:
        agg["errors"] += r["errors"]
        agg["checks_failed"] += r["checks_failed"]
        agg["server_log"] = agg["server_log"] or r.get("server_log")
    return agg


def capacity(agg: dict, s: str, op: str):
    """(best req/s over the connection levels, its level, its record) or (None, ...)."""
    lv = (agg.get(s) or {}).get("raw", {}).get(op) or {}
    best = None
    for c, r in lv.items():
        if r["rate"] and (best is None or r["rate"] > best[0]):
            best = (r["rate"], c, r)
    return best or (None, None, None)


def b3(agg, s, n, op, k="rate"):
    return ((agg.get(s) or {}).get("boto3", {}).get(str(n), {}).get(op) or {}).get(k)


def fnum(x):
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def fms(x):
    if x is None:
        return "-"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fx(x):
    if x is None:
        return "-"
    return f"{x:.0f}x" if x >= 100 else f"{x:.1f}x" if x >= 10 else f"{x:.2f}x"


def tables(agg: dict, meta: dict):
    """(title, header, rows) of each table."""
    sysrun = [s for s in meta["systems_requested"] if (agg.get(s) or {}).get("started")]
    peers = [p for p in PEERS if p in sysrun]
    out = []
    ns = sorted({n for s in sysrun for n in agg[s]["boto3"]}, key=int)
    if ns:
        hdr = ["operation", "clients"] + [f"{s} calls/s" for s in sysrun]
        if "dyncore" in sysrun and "ceiling" in sysrun:
            hdr.append("dyncore ÷ ceiling")
        if "dyncore" in sysrun:
            hdr += [f"dyncore ÷ {p}" for p in peers]
        hdr += [f"{s} p50/p99 ms" for s in sysrun]
        rows = []
        for op in B_OPS:
            for n in ns:
                row = [OP_NAME[op] + (f" ({BATCH})" if op == "batch_write" else ""), n]
                row += [fnum(b3(agg, s, n, op)) for s in sysrun]
                d = b3(agg, "dyncore", n, op)
                if "dyncore" in sysrun and "ceiling" in sysrun:
                    c = b3(agg, "ceiling", n, op)
                    row.append(f"{100 * d / c:.0f}%" if d and c else "-")
                if "dyncore" in sysrun:
                    for p in peers:
                        y = b3(agg, p, n, op)
                        row.append(fx(d / y) if d and y else "-")
                row += [f"{fms(b3(agg, s, n, op, 'p50_ms'))} / {fms(b3(agg, s, n, op, 'p99_ms'))}"
                        for s in sysrun]
                rows.append(row)
        out.append(("Through boto3 (calls/s over all clients; latency per call)", hdr, rows))
    rs = [s for s in sysrun if agg[s]["raw"]]
    if rs:
        levels = sorted({c for s in rs for op in agg[s]["raw"] for c in agg[s]["raw"][op]},
                        key=int)
        hdr = ["operation", "conns"] + [f"{s} req/s (p50/p99 ms)" for s in rs]
        rows = []
        for op in R_OPS:
            if not any(op in agg[s]["raw"] for s in rs):
                continue
            for c in levels:
                row = [OP_NAME[op], c]
                for s in rs:
                    r = agg[s]["raw"].get(op, {}).get(c)
                    if r is None:
                        row.append("—")
                        continue
                    cap = capacity(agg, s, op)[1]
                    mark = "*" if cap == c else ""
                    errs = f", {r['errors']:,} err" if r["errors"] else ""
                    row.append(f"{fnum(r['rate'])}{mark} ({fms(r['p50_ms'])}/"
                               f"{fms(r['p99_ms'])}{errs})")
                rows.append(row)
        out.append(("The server alone (asyncio load generator, keep-alive connections; "
                    "* = peak)", hdr, rows))
        hdr = ["operation"] + [f"{s} peak req/s" for s in rs]
        if "dyncore" in rs:
            hdr += [f"dyncore ÷ {p}" for p in peers if p in rs]
        hdr += [f"{s} server CPU µs/req" for s in rs]
        hdr += ["loadgen CPU (dyncore peak)"] if "dyncore" in rs else []
        rows = []
        for op in R_OPS:
            if not any(op in agg[s]["raw"] for s in rs):
                continue
            row = [OP_NAME[op]]
            caps = {s: capacity(agg, s, op) for s in rs}
            row += [f"{fnum(caps[s][0])} @{caps[s][1]}" if caps[s][0] else "-" for s in rs]
            if "dyncore" in rs:
                for p in peers:
                    if p in rs:
                        x, y = caps["dyncore"][0], caps[p][0]
                        row.append(fx(x / y) if x and y else "-")
            row += [fnum(caps[s][2]["server_cpu_us"]) if caps[s][2] else "-" for s in rs]
            if "dyncore" in rs:
                r = caps["dyncore"][2]
                row.append(f"{100 * r['loadgen_cpu_share']:.0f}% of a core" if r else "-")
            rows.append(row)
        out.append(("Capacity: the best req/s over the connection levels (@ connections)",
                    hdr, rows))
    return out


def targets(agg: dict, meta: dict) -> list:
    out = []
    if "dyncore" not in meta["systems_requested"]:
        return out

    def row(name, ok, measured):
        out.append((name, "n/a" if ok is None else "PASS" if ok else "MISS", measured))

    def started(s):
        return (agg.get(s) or {}).get("started")

    for op in B_OPS:
        d, c = b3(agg, "dyncore", 1, op), b3(agg, "ceiling", 1, op)
        row(f"1 boto3 client, {OP_NAME[op]}: dyncore within "
            f"{100 - 100 * T_CEILING_FRACTION:.0f}% of boto3's ceiling",
            None if not (d and c) else d >= T_CEILING_FRACTION * c,
            "not measured" if not (d and c) else
            f"{100 * d / c:.0f}% ({d:,.0f} vs {c:,.0f} calls/s)")
    p99 = b3(agg, "dyncore", 1, "get_item", "p99_ms")
    c99 = b3(agg, "ceiling", 1, "get_item", "p99_ms")
    row(f"1 boto3 client: dyncore GetItem p99 < {T_GET_P99_MS:g} ms", None if p99 is None
        else p99 < T_GET_P99_MS, "not measured" if p99 is None else
        f"{p99:.3f} ms" + (f" (ceiling's p99: {c99:.3f} ms)" if c99 else ""))
    for op, goal in (("get_item", T_GET_RPS), ("put_item", T_PUT_RPS)):
        x, c, _ = capacity(agg, "dyncore", op)
        row(f"server alone: dyncore {OP_NAME[op]} >= {goal:,}/s (sync "
            f"{meta['params']['dyncore_sync']})", None if x is None else x >= goal,
            "not measured" if x is None else f"{x:,.0f} req/s at {c} connections")
    for p, goal in (("dynalite", T_X_DYNALITE), ("moto", T_X_MOTO)):
        for op in ("get_item", "put_item"):
            x = capacity(agg, "dyncore", op)[0]
            y = capacity(agg, p, op)[0]
            why = ("not measured" if x is None else
                   f"{p} not run (--only)" if p not in meta["systems_requested"] else
                   f"{p} did not start: {(agg.get(p) or {}).get('unavailable', '?')}"
                   if not started(p) else "not measured" if y is None else
                   f"{x / y:.1f}x ({x:,.0f} vs {y:,.0f} req/s)")
            row(f"server alone: dyncore {OP_NAME[op]} capacity >= {goal:g}x {p}'s",
                None if not (x and y) else x / y >= goal, why)
    return out


def report(meta: dict, runs: dict, json_path=None, md_path=None) -> int:
    agg = {s: aggregate(runs[s]) for s in meta["systems_requested"] if runs.get(s)}
    pa = meta["params"]
    date = _dt.datetime.fromisoformat(meta["date"]).strftime("%Y-%m-%d %H:%M UTC")
    mach = meta["machine"]
    mem = f", {mach['mem_bytes'] / (1 << 30):.0f} GiB RAM" if mach.get("mem_bytes") else ""
    env = (f"{mach['cpus']} CPUs ({mach['cpu']}){mem}, Python {mach['python']}, "
           f"{mach['platform']}")
    tb = tables(agg, meta)
    tg = targets(agg, meta)
    started = [s for s in meta["systems_requested"] if (agg.get(s) or {}).get("started")]
    notstarted = {s: (agg.get(s) or {}).get("unavailable", "not run")
                  for s in meta["systems_requested"] if s not in started}
    loop = next((agg[s]["loop"] for s in started if agg[s].get("loop")), "asyncio")
    lg_share = None
    if "dyncore" in started:
        r = capacity(agg, "dyncore", "get_item")[2]
        lg_share = r["loadgen_cpu_share"] if r else None
    cpus = mach.get("cpus") or "?"
    clients = ", then ".join(f"{n} client processes at once" if n > 1 else
                             f"{n} client process" for n in pa["clients"])
    notes = []
    if "boto3" in pa["parts"]:
        notes.append(
            f"Through boto3 {meta.get('boto3', '?')}: {clients}, each phase started in every "
            f"client at once; each phase runs up to {pa['calls']:,} calls per client "
            f"(BatchWriteItem {pa['batch_calls']:,} calls of {BATCH} items) or "
            f"{pa['seconds']:g} s; no retries; latency = wall time of the boto3 call; calls/s "
            f"= all clients' calls ÷ the phase's wall time. GetItem and Query read a table of "
            f"{pa['read_items']:,} items ({PER_PK} per partition key; Query pk = :p, Limit "
            f"{QUERY_LIMIT}, returns {QUERY_LIMIT}); items about 195 B (items.py's shape)."
            + (f" {max(pa['clients'])} boto3 processes oversubscribe {cpus} cores: boto3 "
               "spends ~0.7 ms of CPU per call, so they and the server share the CPU."
               if max(pa["clients"]) > (mach.get("cpus") or 2) else ""))
    if "raw" in pa["parts"]:
        notes.append(
            f"The server alone: a load generator in one process ({loop}, its own HTTP/1.1 "
            f"client) sends pre-built requests (Content-Type application/x-amz-json-1.0, "
            f"X-Amz-Target, a fixed fake SigV4 Authorization) over keep-alive connections, "
            f"one request in flight per connection, {pa['raw_seconds']:g} s per level after "
            f"{pa['raw_warmup']:g} s of warm-up, levels {', '.join(map(str, pa['levels']))} "
            f"connections; from {pa.get('bend_from', 1)} connections on, the next level runs only "
            f"if latency has not bent (req/s up less than 10% on the best level so far while "
            f"p50 doubled). PutItem writes {pa['raw_put_items']:,} different items in "
            "a cycle. Server CPU µs/req: the server process's user+sys time over the level "
            "(warm-up included) ÷ the requests answered.")
        notes.append(
            f"The load generator runs on the same {cpus}-core machine as the server and "
            f"competes with it for CPU"
            + (f" (at dyncore's GetItem peak it used {100 * lg_share:.0f}% of a core)"
               if lg_share is not None else "")
            + ("; the \"ceiling\" column is the load generator against the trivial "
               "responder, the most this client can drive here" if "ceiling" in started
               else "") + ".")
        stops = [f"{s} {OP_NAME[op]} at {st['conns']}" + (" (errors)" if st["why"] == "errors"
                                                         else "")
                 for s in started for op, st in agg[s]["stopped"].items()
                 if st["conns"] != max(pa["levels"])]
        if stops:
            notes.append("Latency bent at (higher levels not run): " + ", ".join(stops)
                         + ".")
    notes.append("The machine is shared and noisy: compare systems within a run, not "
                 "absolute numbers across runs.")
    if meta.get("git_end"):
        notes.append(f"The work tree changed during the run (git {meta['git']} at the start, "
                     f"{meta['git_end']} at the end); each dyncore server runs the code it "
                     "imported when it started (its revision is in Systems).")
    print()
    print(f"server bench — {date} — {meta['command']}")
    print(f"  git {meta.get('git', '?')}; {env}; median of {pa['repeat']} run(s)")
    for title, hdr, rows in tb:
        print()
        print(title)
        print(text_table(hdr, [[str(x) for x in r] for r in rows]))
    print()
    for n in notes:
        print("  " + n)
    if tg:
        print()
        print("Targets:")
        for t, st, m in tg:
            print(f"  {st:<4}  {t}: {m}")
    print()
    for s in started:
        i = agg[s]["info"]
        print(f"  {s}: {i['module']}" + (f"; {i['notes']}" if i.get("notes") else ""))
    for s, why in notstarted.items():
        print(f"  {s}: NOT STARTED — {why}")
    problems = []
    for s in started:
        for c in agg[s]["checks_failed"]:
            problems.append(f"{s}: CHECK FAILED: {c}")
        for e in agg[s]["errors"]:
            problems.append(f"{s}: ERROR: {e}")
        for e in agg[s]["raw_errors"]:
            problems.append(f"{s}: load generator: {e['count']:,} of {e['of']:,} "
                            f"{OP_NAME[e['op']]} requests failed at {e['conns']} connections; "
                            f"first: {json.dumps({k: v for k, v in e.items() if k not in ('op', 'conns', 'count', 'of')})[:900]}")
        if agg[s].get("server_log"):
            problems.append(f"{s}: server log:\n{agg[s]['server_log']}")
    for p in problems:
        print("  " + p)

    md = [f"### {date} — dyncore serve beside "
          + (", ".join(s for s in started if s != "dyncore") or "nothing") + " (bench/server.py)",
          "", f"Command: `{meta['command']}` (git {meta.get('git', '?')})", "",
          f"{env}; median of {pa['repeat']} run(s). Started: {', '.join(started) or 'none'}"
          + ("; not started: " + "; ".join(f"{s} ({w})" for s, w in notstarted.items())
             if notstarted else "") + ".", ""]
    for title, hdr, rows in tb:
        md += [f"{title}:", "", md_table(hdr, [[str(x) for x in r] for r in rows]), ""]
    md += ["- " + n for n in notes] + [""]
    md += ["Systems: " + "; ".join(f"{s} — {agg[s]['info']['module']} "
                                   f"({agg[s]['info'].get('notes', '')})" for s in started)
           + ".", ""]
    if tg:
        md += [md_table(["target", "result", "measured"], [list(t) for t in tg],
                        ["---", "---", "---"]), ""]
    if problems:
        md += ["Problems:", ""] + ["- " + p.replace("\n", "\n  ") for p in problems] + [""]
    md_text = "\n".join(md).rstrip() + "\n"
    print()
    print(md_text)
    result = {**meta, "systems": agg, "raw_runs": runs, "targets": tg, "markdown": md_text}
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(result, indent=1, default=repr))
    if md_path:
        Path(md_path).parent.mkdir(parents=True, exist_ok=True)
        Path(md_path).write_text(md_text)
    bad = any(agg[s]["checks_failed"] or agg[s]["errors"] for s in started)
    bad = bad or any(e for e in agg.get("dyncore", {}).get("raw_errors", []))
    bad = bad or ("dyncore" in meta["systems_requested"] and "dyncore" not in started)
    return 1 if bad else 0


def rerender(path: str, json_path=None, md_path=None) -> int:
    d = json.loads(Path(path).read_text())
    meta = {k: d.get(k) for k in ("command", "date", "machine", "git", "git_end", "params",
                                  "systems_requested", "boto3")}
    return report(meta, d["raw_runs"], json_path, md_path)


# --------------------------------------------------------------------------- main

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="shorter phases: --calls 600 --seconds 1.5 --raw-seconds 1 ...")
    p.add_argument("--only", default=",".join(SYSTEMS),
                   help="systems, comma-separated; also the opt-in references "
                        + ", ".join(EXTRA))
    p.add_argument("--parts", default=",".join(PARTS), help="boto3 and/or raw")
    p.add_argument("--clients", default="1,8", help="boto3 client processes per run")
    p.add_argument("--calls", type=int, default=None,
                   help="boto3: calls per client per phase, at most (default 3000; quick 600)")
    p.add_argument("--batch-calls", type=int, default=None,
                   help="boto3: BatchWriteItem calls per client, at most (default 400; "
                        "quick 100)")
    p.add_argument("--seconds", type=float, default=None,
                   help="boto3: seconds per phase, at most (default 4; quick 1.5)")
    p.add_argument("--raw-ops", default=",".join(R_OPS), help="the server alone: operations")
    p.add_argument("--levels", default="1,4,16,64,256",
                   help="the server alone: connections per level")
    p.add_argument("--raw-seconds", type=float, default=None,
                   help="seconds measured per level (default 3; quick 1)")
    p.add_argument("--raw-warmup", type=float, default=None,
                   help="seconds of warm-up per level (default 0.5; quick 0.25)")
    p.add_argument("--raw-put-items", type=int, default=None,
                   help="distinct items the load generator puts (default 20,000; quick 5,000)")
    p.add_argument("--all-levels", action="store_true",
                   help="run every level even after latency bends")
    p.add_argument("--bend-from", type=int, default=64,
                   help="levels below this many connections always run; from it on, the "
                        "next level runs only if latency has not bent")
    p.add_argument("--read-items", type=int, default=2000,
                   help=f"items in {T_READ} (GetItem and Query read it; moto's Query reads "
                        "every item of the table, so keep it small)")
    p.add_argument("--dyncore-sync", default="interval", choices=["commit", "interval", "none"])
    p.add_argument("--dynalite", default=None,
                   help="dynalite's cli.js or the directory npm installed it into "
                        "(default: bench/out/node, installed with npm if missing)")
    p.add_argument("--no-npm", action="store_true", help="do not npm install dynalite")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per system (order rotates); the tables show medians")
    p.add_argument("--dir", default=None, help="parent of the temporary directories")
    p.add_argument("--keep", action="store_true", help="keep the data directories")
    p.add_argument("--json", default=None, help="write the results as JSON here")
    p.add_argument("--md", default=None, help="also write the markdown block here")
    p.add_argument("--from-json", metavar="PATH",
                   help="do not run: print the tables again from an earlier --json file")
    p.add_argument("--boto3-child", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--raw-child", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--serve-ceiling", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--serve-moto", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--serve-uvicorn", choices=["inline", "pool"], help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    for k, full, quick in (("calls", 3000, 600), ("batch_calls", 400, 100),
                           ("seconds", 4.0, 1.5), ("raw_seconds", 3.0, 1.0),
                           ("raw_warmup", 0.5, 0.25), ("raw_put_items", 20_000, 5_000)):
        if getattr(a, k) is None:
            setattr(a, k, quick if a.quick else full)
    a.systems = [s.strip() for s in a.only.split(",") if s.strip()]
    a.parts = [s.strip() for s in a.parts.split(",") if s.strip()]
    a.raw_ops = [s.strip() for s in a.raw_ops.split(",") if s.strip()]
    a.levels = [int(x) for x in a.levels.split(",") if x.strip()]
    a.clients = [int(x) for x in a.clients.split(",") if x.strip()]
    for s in a.systems:
        if s not in SYSTEMS + EXTRA:
            p.error(f"unknown system {s!r} (choose from {', '.join(SYSTEMS + EXTRA)})")
    for s in a.parts:
        if s not in PARTS:
            p.error(f"unknown part {s!r} (choose from {', '.join(PARTS)})")
    for s in a.raw_ops:
        if s not in R_OPS:
            p.error(f"unknown operation {s!r} (choose from {', '.join(R_OPS)})")
    if a.read_items < PER_PK or a.read_items % PER_PK:
        p.error(f"--read-items must be a multiple of {PER_PK}")
    if min(a.levels, default=0) < 1 or min(a.clients, default=0) < 1:
        p.error("--levels and --clients must be >= 1")
    return p, a


def main(argv=None):
    p, a = parse_args(argv)
    if a.serve_ceiling:
        return serve_ceiling(a.seed)
    if a.serve_moto:
        return serve_moto()
    if a.serve_uvicorn:
        return serve_uvicorn(a.serve_uvicorn, a.seed)
    if a.boto3_child:
        return boto3_child(*a.boto3_child)
    if a.raw_child:
        return raw_child(*a.raw_child)
    if a.from_json:
        return rerender(a.from_json, a.json, a.md)
    base = Path(tempfile.mkdtemp(prefix="dyncore-server-", dir=a.dir or default_dir()))
    cmdline = "python " + " ".join(shlex.quote(x) for x in
                                   [os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    started = _dt.datetime.now(_dt.timezone.utc)
    git_start = git_rev()
    runs: dict = {s: [] for s in a.systems}
    t0 = time.monotonic()
    log(f"server bench: systems {a.systems}, parts {a.parts}, dir {base}")
    try:
        for rep in range(a.repeat):
            order = a.systems[rep % len(a.systems):] + a.systems[:rep % len(a.systems)]
            for s in order:
                if runs[s] and not runs[s][0].get("started"):
                    continue  # could not start: do not try again
                runs[s].append(run_system(s, a, base, rep))
    finally:
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)
    import importlib.metadata as md
    try:
        b3v = f"{md.version('boto3')} (botocore {md.version('botocore')})"
    except md.PackageNotFoundError:
        b3v = "?"
    params = {k: getattr(a, k) for k in (
        "quick", "clients", "calls", "batch_calls", "seconds", "levels", "raw_seconds",
        "raw_warmup", "raw_put_items", "read_items", "dyncore_sync", "seed", "repeat",
        "bend_from",
        "parts", "raw_ops", "all_levels")}
    meta = {"command": cmdline, "date": started.isoformat(), "machine": machine(),
            "git": git_start, "params": params, "systems_requested": a.systems,
            "boto3": b3v, "wall_seconds": time.monotonic() - t0}
    if git_rev() != git_start:
        meta["git_end"] = git_rev()
    log(f"server bench: {meta['wall_seconds']:.0f} s in all")
    return report(meta, runs, a.json, a.md)


if __name__ == "__main__":
    sys.exit(main())
