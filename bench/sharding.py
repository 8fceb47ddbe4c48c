#!/usr/bin/env python3
"""Write sharding under provisioned capacity: one hot partition key against the
same writes spread over N keys by dyncore.sharding.

DynamoDB caps a partition at 1,000 write units a second, so a single partition
key takes about 1,000 writes of items up to 1 KB a second, however much the
table has provisioned; above that it answers ProvisionedThroughputExceededException.
Write sharding (a suffix on the key, dyncore.sharding.Sharding) spreads the
writes over N keys. This bench shows the difference:

  1. "hot": a PROVISIONED table with table-level capacity well above the
     partition ceiling (--wcu, default 40,000 WCU, so only the per-partition
     1,000 WCU ceiling can bite); --threads writers put items of about 250 B
     (1 WCU each) under one partition key as fast as they can for --seconds.
  2. "sharded": a fresh table with the same settings; the same writers put the
     same items through Sharding(client, table, shards=--shards) (a random
     suffix per write).

With --rate R the writers offer R requests a second in all instead (paced, a
throttled request uses its slot): with 1,000 < R < shards x 1,000 the hot key
throttles and the sharded keys need not. A throttled request is counted and
the writer goes straight on (no backoff,
no retries: the clients' retries of throttled requests are switched off). Each phase then counts
the items stored (Query with Select=COUNT per physical key) and checks that it
equals the writes that succeeded. Reported: items/s written, throttled
requests and their share, and the ratio of the sharded rate to the hot one.
If neither phase was throttled at all, the database does not enforce
provisioned capacity (yet), or burst capacity absorbed a run this short: the
bench says so and reports no result.

    python bench/sharding.py                        # embedded client, 5 s a phase
    python bench/sharding.py --server               # boto3 against `dyncore serve`
    python bench/sharding.py --rate 5000            # offer 5,000 writes/s, not "all you can"
    python bench/sharding.py --seconds 20 --shards 20 --threads 8 --md bench/out/sharding.md
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from items import git_rev, machine, md_table, text_table  # noqa: E402

import dyncore  # noqa: E402
from dyncore.sharding import Sharding  # noqa: E402

THROTTLES = {"ProvisionedThroughputExceededException", "ThrottlingException",
             "RequestLimitExceeded"}
HOT_KEY = "hot"
PAYLOAD = "x" * 200  # items of about 250 B by DynamoDB's rules: 1 WCU each
PARTITION_WCU = 1000  # DynamoDB's per-partition write ceiling
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"),
                                                   os.environ.get("PYTHONPATH", "")]))


def error_code(e: BaseException) -> str | None:
    """The DynamoDB error code of an exception of dyncore's client or boto3's."""
    r = getattr(e, "response", None)
    if isinstance(r, dict):
        return (r.get("Error") or {}).get("Code")
    return None


def create(c, name: str, wcu: int, rcu: int) -> None:
    c.create_table(TableName=name,
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"}],
                   BillingMode="PROVISIONED",
                   ProvisionedThroughput={"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu})
    c.get_waiter("table_exists").wait(TableName=name)


def hammer(put, seconds: float, threads: int, rate: float = 0) -> dict:
    """`threads` writers call put(item) until `seconds` have passed: as fast as
    they can, or (rate > 0) paced to offer `rate` requests a second in all."""
    counts = [[0, 0] for _ in range(threads)]  # per writer: ok, throttled
    failure: list = []
    go = threading.Event()

    def writer(w: int):
        ok = throttled = 0
        n = 0
        go.wait()
        deadline = t0 + seconds
        gap = threads / rate if rate else 0.0
        due = t0 + w * gap / threads
        try:
            while time.perf_counter() < deadline and not failure:
                if gap:
                    now = time.perf_counter()
                    if due > now:
                        time.sleep(due - now)
                    due += gap
                it = {"pk": {"S": HOT_KEY}, "sk": {"N": str(w * 1_000_000_000 + n)},
                      "payload": {"S": PAYLOAD}}
                n += 1
                try:
                    put(it)
                    ok += 1
                except Exception as e:  # noqa: BLE001 - throttles counted, others stop
                    if error_code(e) in THROTTLES:
                        throttled += 1
                    else:
                        failure.append(f"{type(e).__name__}: {e}")
                        break
        finally:
            counts[w] = [ok, throttled]

    ts = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(threads)]
    for t in ts:
        t.start()
    t0 = time.perf_counter()
    go.set()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - t0
    ok = sum(x[0] for x in counts)
    throttled = sum(x[1] for x in counts)
    return {"seconds": elapsed, "ok": ok, "throttled": throttled, "requests": ok + throttled,
            "items_per_s": ok / elapsed, "requests_per_s": (ok + throttled) / elapsed,
            "error": failure[0] if failure else None}


def count_key(c, table: str, pk: str) -> int:
    """Items under one physical key (Select=COUNT pages; a throttled page is
    retried after a pause, since reading is not what is measured)."""
    n, start = 0, None
    for _ in range(100_000):
        params = {"TableName": table, "KeyConditionExpression": "pk = :p",
                  "ExpressionAttributeValues": {":p": {"S": pk}}, "Select": "COUNT"}
        if start:
            params["ExclusiveStartKey"] = start
        try:
            out = c.query(**params)
        except Exception as e:  # noqa: BLE001
            if error_code(e) in THROTTLES:
                time.sleep(0.2)
                continue
            raise
        n += out["Count"]
        start = out.get("LastEvaluatedKey")
        if not start:
            return n
    raise RuntimeError(f"could not count {pk!r} in {table!r}")


def run_phases(c, a) -> dict:
    out = {}
    # 1. one hot partition key
    create(c, "bench_hot", a.wcu, a.rcu)
    r = hammer(lambda it: c.put_item(TableName="bench_hot", Item=it), a.seconds, a.threads,
               a.rate)
    r["keys"] = 1
    r["stored"] = count_key(c, "bench_hot", HOT_KEY)
    out["hot"] = r
    print(f"hot: {r['items_per_s']:,.0f} items/s, {r['throttled']:,} throttled", flush=True)
    # 2. the same writes through the sharding helper
    create(c, "bench_sharded", a.wcu, a.rcu)
    s = Sharding(c, "bench_sharded", shards=a.shards, sort_key="sk")
    r = hammer(lambda it: s.put_item(Item=it), a.seconds, a.threads, a.rate)
    r["keys"] = a.shards
    r["stored"] = sum(count_key(c, "bench_sharded", p) for p in s.key.physicals(HOT_KEY))
    out["sharded"] = r
    print(f"sharded: {r['items_per_s']:,.0f} items/s, {r['throttled']:,} throttled",
          flush=True)
    return out


def start_server(base: Path):
    p = subprocess.Popen([sys.executable, "-m", "dyncore", "serve", "--port", "0",
                          "--data-dir", str(base / "server"), "--log-level", "warning"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    line = p.stdout.readline().decode()
    if "serving DynamoDB on http://" not in line:
        raise RuntimeError(f"server did not start: {line!r} {p.stderr.read()[-2000:]!r}")
    return p, int(line.split("http://")[1].split(" ")[0].rsplit(":", 1)[1])


def boto3_client(port: int, threads: int):
    import boto3
    from botocore.config import Config
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                        region_name="us-east-1", aws_access_key_id="k",
                        aws_secret_access_key="s",
                        config=Config(retries={"total_max_attempts": 1},
                                      max_pool_connections=max(10, 2 * threads)))


def embedded_client(db):
    """dyncore's client with its boto3-like retries of throttled requests
    switched off (total_max_attempts=1), so that every throttle is counted."""
    try:
        return db.client(config=types.SimpleNamespace(retries={"total_max_attempts": 1}))
    except TypeError:  # a dyncore whose client takes no config (and retries nothing)
        return db.client()


def machine_line() -> str:
    m = machine()
    mem = f", {m['mem_bytes'] / (1 << 30):.0f} GiB RAM" if m.get("mem_bytes") else ""
    return f"{m['cpus']} CPUs ({m['cpu']}){mem}, Python {m['python']}, {m['platform']}"


def report(res: dict, a) -> tuple[list[str], int, list | None, list | None]:
    """(notes, exit code, table header, table rows); no table when nothing was
    throttled, since then there is no result to show."""
    hot, sh = res["hot"], res["sharded"]
    head = ["variant", "partition keys", "seconds", "items written", "items/s",
            "throttled requests", "throttled %", "items counted"]
    rows = []
    for name, r in (("hot key", hot), (f"sharded ({a.shards})", sh)):
        rows.append([name, str(r["keys"]), f"{r['seconds']:.1f}", f"{r['ok']:,}",
                     f"{r['items_per_s']:,.0f}", f"{r['throttled']:,}",
                     f"{100 * r['throttled'] / max(1, r['requests']):.1f}",
                     f"{r['stored']:,}" + ("" if r["stored"] == r["ok"] else " (WRONG)")])
    notes, rc = [], 0
    errors = [f"{n}: {r['error']}" for n, r in res.items() if r["error"]]
    wrong = [n for n, r in res.items() if r["stored"] != r["ok"]]
    if errors:
        notes.append("ERRORS (a writer stopped): " + "; ".join(errors))
        rc = 1
    if wrong:
        notes.append("CHECK FAILED: items counted differ from writes acknowledged in "
                     + ", ".join(wrong))
        rc = 1
    if hot["throttled"] == 0 and sh["throttled"] == 0:
        load = (f"the hot key took {hot['items_per_s']:,.0f} writes/s of 1 WCU each "
                f"({hot['items_per_s'] / PARTITION_WCU:.1f}x the {PARTITION_WCU:,} WCU "
                "partition ceiling)")
        if hot["items_per_s"] <= PARTITION_WCU:
            load += (", which is not above the ceiling: this machine did not load it enough "
                     "(try --threads)")
        notes.insert(0, "NO RESULT: no request was throttled in either phase (no "
                        "ProvisionedThroughputExceededException at all), so this run shows "
                        "nothing about write sharding. The database does not enforce "
                        "provisioned capacity yet, or burst capacity absorbed a run this "
                        f"short (try a longer --seconds). For the record, {load}.")
        return notes, rc, None, None
    ratio = sh["items_per_s"] / hot["items_per_s"] if hot["items_per_s"] else float("inf")
    notes.insert(0, f"Sharded ÷ hot: {ratio:.2f}x the items/s "
                    f"(DynamoDB's ceiling: {PARTITION_WCU:,} WCU a partition, so about "
                    f"{PARTITION_WCU:,} items/s of these 1-WCU items for one key, and up to "
                    f"{a.shards} x that over {a.shards} keys in separate partitions).")
    if hot["throttled"] == 0:
        notes.append("Note: the hot key was never throttled; the ceiling did not bite.")
    if hot["throttled"] and not sh["throttled"]:
        notes.append(f"The hot key lost {100 * hot['throttled'] / hot['requests']:.1f}% of its "
                     "requests to throttling; the sharded keys lost none, so their rate is "
                     "what the writers offered (" + (f"--rate {a.rate:,.0f}" if a.rate else
                                                     "the client's own speed")
                     + "), not a ceiling.")
    if sh["throttled"] and not a.rate:
        notes.append(f"The sharded keys were throttled too: the writers offered "
                     f"{sh['requests_per_s']:,.0f} requests/s, more than {a.shards} keys x "
                     f"{PARTITION_WCU:,} WCU take. With --rate between {PARTITION_WCU:,} and "
                     f"{a.shards * PARTITION_WCU:,} the hot key throttles and the sharded "
                     "keys need not.")
    return notes, rc, head, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0, help="writing time per phase")
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--threads", type=int, default=4, help="concurrent writers")
    ap.add_argument("--rate", type=float, default=0,
                    help="requests a second offered in all (0: as fast as the writers can); "
                         "between 1,000 and shards x 1,000 the hot key throttles and the "
                         "sharded keys should not")
    ap.add_argument("--wcu", type=int, default=40_000,
                    help="the tables' WriteCapacityUnits (high: only the partition ceiling "
                         "should bite)")
    ap.add_argument("--rcu", type=int, default=40_000, help="the tables' ReadCapacityUnits")
    ap.add_argument("--server", action="store_true",
                    help="boto3 (no retries) against `dyncore serve` instead of the "
                         "embedded client")
    ap.add_argument("--dir", default=None, help="parent of the data directory")
    ap.add_argument("--json", default=None, help="write the figures as JSON here")
    ap.add_argument("--md", default=None, help="write the markdown table here")
    a = ap.parse_args(argv)
    if a.shards < 2 or a.threads < 1 or a.seconds <= 0 or a.rate < 0:
        ap.error("need --shards >= 2, --threads >= 1, --seconds > 0, --rate >= 0")
    cmd = "python " + " ".join(shlex.quote(x) for x in
                               [os.path.relpath(sys.argv[0], ROOT)]
                               + (sys.argv[1:] if argv is None else list(argv)))
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    base = Path(tempfile.mkdtemp(prefix="dyncore-sharding-", dir=a.dir))
    mode = "boto3 -> dyncore serve" if a.server else "embedded client"
    offered = f"offering {a.rate:,.0f} requests/s" if a.rate else "as fast as they can"
    print(f"sharding bench: {mode}, {a.threads} writers {offered}, {a.seconds:g} s a phase, "
          f"{a.shards} shards, tables of {a.wcu:,} WCU / {a.rcu:,} RCU (PROVISIONED); "
          f"dir {base}", file=sys.stderr, flush=True)
    try:
        if a.server:
            p, port = start_server(base)
            try:
                res = run_phases(boto3_client(port, a.threads), a)
            finally:
                p.terminate()
                p.wait(60)
        else:
            with dyncore.open(base / "data") as db:
                res = run_phases(embedded_client(db), a)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    notes, rc, head, rows = report(res, a)
    print()
    print(f"sharding bench — {when} — {cmd}")
    print(f"  git {git_rev()}; {machine_line()}; {mode}; {a.threads} writers {offered}; "
          f"tables PROVISIONED {a.wcu:,} WCU / {a.rcu:,} RCU")
    if rows:
        print(text_table(head, rows))
    for n in notes:
        print(n)
    if a.md:
        md = [f"### sharding bench, {when}", "",
              f"Command: `{cmd}` (git {git_rev()})", "",
              f"{machine_line()}; {mode}; {a.threads} writers {offered} for {a.seconds:g} s "
              "a phase; "
              f"tables PROVISIONED with {a.wcu:,} WCU / {a.rcu:,} RCU; items of about 250 B "
              "(1 WCU); throttled requests counted, not retried.", ""]
        if rows:
            md += [md_table(head, rows, ["---"] + ["---:"] * (len(head) - 1)), ""]
        md += notes
        Path(a.md).parent.mkdir(parents=True, exist_ok=True)
        Path(a.md).write_text("\n".join(md) + "\n")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps({"when": when, "command": cmd, "git": git_rev(),
                                            "machine": machine(), "mode": mode,
                                            "args": vars(a), "results": res,
                                            "notes": notes}, indent=1))
    return rc


if __name__ == "__main__":
    sys.exit(main())
