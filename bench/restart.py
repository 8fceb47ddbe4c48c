#!/usr/bin/env python3
"""Restart time of `dyncore serve` after SIGKILL, by data-directory size.

For each size N: N items are loaded with the embedded library into a fresh
directory; `dyncore serve --sync interval` starts on it (a clean start);
W more items are put through HTTP (so the write-ahead logs hold unflushed
writes) and the server is killed with SIGKILL right after the last answer;
then it is started again and timed until it prints its address and until
its first GetItem answers. Every item put through HTTP is then read back
(GetItem, over one keep-alive connection) and the table's count checked.

    python bench/restart.py                          # 100k, 1M, 3M items
    python bench/restart.py --items 20000 --writes 2000   # a smoke run
    python bench/restart.py --json bench/out/restart.json --md bench/out/restart.md

The floor: starting a Python process that imports dyncore (printed too).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from items import git_rev, machine, md_table, text_table  # noqa: E402

import dyncore  # noqa: E402

TABLE = "restart"
TARGET = "DynamoDB_20120810."
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"),
                                                   os.environ.get("PYTHONPATH", "")]))


def item(i: int) -> dict:
    return {"pk": {"S": f"user#{i // 20:08d}"}, "sk": {"N": str(i % 20)},
            "name": {"S": f"name {i}"}, "email": {"S": f"u{i}@example.com"},
            "age": {"N": str(18 + i % 60)}, "active": {"BOOL": i % 3 == 0},
            "scores": {"L": [{"N": str((i * 7 + k) % 100)} for k in range(8)]}}


def key(i: int) -> dict:
    return {"pk": {"S": f"user#{i // 20:08d}"}, "sk": {"N": str(i % 20)}}


def load(path: Path, n: int) -> float:
    t0 = time.perf_counter()
    with dyncore.open(path, sync="none") as db:
        c = db.client()
        c.create_table(TableName=TABLE,
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"}],
                       BillingMode="PAY_PER_REQUEST")
        for start in range(0, n, 25):
            c.batch_write_item(RequestItems={TABLE: [
                {"PutRequest": {"Item": item(i)}} for i in range(start, min(n, start + 25))]})
    return time.perf_counter() - t0


class Conn:
    def __init__(self, port: int):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, op: str, body: dict) -> tuple[int, dict]:
        self.c.request("POST", "/", body=json.dumps(body), headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET + op})
        r = self.c.getresponse()
        return r.status, json.loads(r.read() or b"{}")

    def close(self):
        self.c.close()


def start(path: Path) -> tuple[subprocess.Popen, int, float]:
    """The server on `path`: (process, port, seconds until it printed its address)."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "dyncore", "serve", "--port", "0",
                          "--data-dir", str(path), "--sync", "interval",
                          "--log-level", "warning"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    line = p.stdout.readline().decode()
    ready = time.perf_counter() - t0
    if "serving DynamoDB on http://" not in line:
        raise RuntimeError(f"server did not start: {line!r} {p.stderr.read()[-2000:]!r}")
    port = int(line.split("http://")[1].split(" ")[0].rsplit(":", 1)[1])
    return p, port, ready


def first_answer(port: int, k: dict) -> tuple[float, dict]:
    c = Conn(port)
    try:
        return time.perf_counter(), c.call("GetItem", {"TableName": TABLE, "Key": k})[1]
    finally:
        c.close()


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def wal_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*.log") if f.is_file())


def one_size(base: Path, n: int, writes: int) -> dict:
    path = base / f"d{n}"
    shutil.rmtree(path, ignore_errors=True)
    load_s = load(path, n)
    size = dir_bytes(path)
    # a clean start
    t0 = time.perf_counter()
    p, port, ready = start(path)
    t1, got = first_answer(port, key(0))
    clean = {"printed_s": ready, "first_answer_s": t1 - t0}
    assert got.get("Item") == item(0), got
    # writes through HTTP, then SIGKILL right after the last answer
    c = Conn(port)
    for j in range(writes):
        status, out = c.call("PutItem", {"TableName": TABLE, "Item": item(n + j)})
        assert status == 200, out
    p.send_signal(signal.SIGKILL)
    p.wait()
    c.close()
    unflushed = wal_bytes(path)
    # the restart after SIGKILL
    t0 = time.perf_counter()
    p, port, ready = start(path)
    t1, got = first_answer(port, key(n + writes - 1))
    restart = {"printed_s": ready, "first_answer_s": t1 - t0}
    ok = got.get("Item") == item(n + writes - 1)
    # read back every item put through HTTP, and count the table
    c = Conn(port)
    missing = sum(1 for j in range(writes)
                  if c.call("GetItem", {"TableName": TABLE, "Key": key(n + j)})[1].get("Item")
                  != item(n + j))
    count, page = 0, {"TableName": TABLE, "Select": "COUNT"}
    while True:
        status, out = c.call("Scan", page)
        assert status == 200, out
        count += out["Count"]
        if "LastEvaluatedKey" not in out:
            break
        page["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    c.close()
    p.send_signal(signal.SIGTERM)
    p.wait(60)
    shutil.rmtree(path, ignore_errors=True)
    return {"items": n, "writes": writes, "load_s": load_s, "dir_bytes": size,
            "wal_bytes_at_kill": unflushed, "clean": clean, "restart": restart,
            "last_write_found": ok, "writes_missing": missing, "count": count,
            "count_ok": count == n + writes}


def machine_line() -> str:
    m = machine()
    mem = f", {m['mem_bytes'] / (1 << 30):.0f} GiB RAM" if m.get("mem_bytes") else ""
    return f"{m['cpus']} CPUs ({m['cpu']}){mem}, Python {m['python']}, {m['platform']}"


def import_floor() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import dyncore.cli, dyncore.server"], env=ENV,
                   check=True)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", default="100000,1000000,3000000")
    ap.add_argument("--writes", type=int, default=20000,
                    help="items put through HTTP before the SIGKILL")
    ap.add_argument("--dir", default=None, help="where the data directories go")
    ap.add_argument("--json", default=None)
    ap.add_argument("--md", default=None)
    a = ap.parse_args(argv)
    base = Path(a.dir or tempfile.mkdtemp(prefix="dyncore-restart-"))
    base.mkdir(parents=True, exist_ok=True)
    floor = import_floor()
    rows, results = [], []
    for n in [int(x) for x in a.items.split(",")]:
        r = one_size(base, n, a.writes)
        results.append(r)
        rows.append([f"{n:,}", f"{r['dir_bytes'] / 1e6:,.0f} MB", f"{r['load_s']:.1f}",
                     f"{r['clean']['printed_s']:.2f} / {r['clean']['first_answer_s']:.2f}",
                     f"{r['wal_bytes_at_kill'] / 1e6:,.1f} MB",
                     f"{r['restart']['printed_s']:.2f} / {r['restart']['first_answer_s']:.2f}",
                     f"{r['writes'] - r['writes_missing']:,} of {r['writes']:,}",
                     f"{r['count']:,}" + ("" if r["count_ok"] else " (WRONG)")])
        print(f"{n:,} items: restart after SIGKILL {r['restart']['first_answer_s']:.2f} s",
              flush=True)
    head = ["items loaded", "directory", "load s (embedded)", "clean start: printed / answered s",
            "WAL at the kill", "after SIGKILL: printed / answered s",
            "HTTP writes read back", "items counted"]
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python bench/restart.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(text_table(head, rows))
    print(f"floor: a Python process importing dyncore takes {floor:.2f} s")
    if a.md:
        Path(a.md).parent.mkdir(parents=True, exist_ok=True)
        Path(a.md).write_text(
            f"### {when} — restart of dyncore serve after SIGKILL, by directory size "
            f"(bench/restart.py)\n\nCommand: `{cmd.strip()}` (git {git_rev()})\n\n"
            f"{machine_line()}\n\n{md_table(head, rows)}\n\n"
            f"Floor: starting a Python process that imports dyncore takes {floor:.2f} s.\n")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps({"when": when, "command": cmd, "git": git_rev(),
                                            "import_floor_s": floor, "results": results},
                                           indent=2))
    if a.dir is None:
        shutil.rmtree(base, ignore_errors=True)
    bad = [r for r in results if not (r["count_ok"] and r["last_write_found"]
                                      and r["writes_missing"] == 0)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
