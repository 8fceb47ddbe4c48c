#!/usr/bin/env python3
"""Item benchmark: dyncore's DynamoDB API beside moto and SQLite, on the same items.

Every system runs the same workloads on items made from the same seed, in the same
invocation, each system in its own child process (so that peak RSS is per system)
and in a fresh directory. See bench/README.md ("items.py") for the workloads and the
fairness rules.

    python bench/items.py                          # 1,000,000 items (moto: 20,000)
    python bench/items.py --quick                  # 100,000 items (moto: 5,000)
    python bench/items.py --only dyncore,sqlite --workloads put_item,get_item
    python bench/items.py --quick --workloads update_item,cond_put,filter_query,transact_write
    python bench/items.py --repeat 3 --json bench/out/items.json --md bench/out/items.md
    python bench/items.py --profile-only --quick   # where dyncore's time goes

moto and boto3 come from PyPI (`pip install 'moto[server]'`); sqlite3 is in the
standard library. A system whose module is missing, or whose child fails, is reported
and skipped; a workload that raises is reported with its traceback.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import random
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYSTEMS = ["dyncore", "moto", "sqlite"]
WORKLOADS = ["put_item", "get_item", "query", "batch_write",
             "update_item", "cond_put", "filter_query", "transact_write",
             "gsi_put", "gsi_query"]
APIS = ["table", "client"]  # dyncore and moto; SQLite has one way ("sql")
UNITS = {"put_item": "items/s", "get_item": "items/s", "query": "queries/s",
         "batch_write": "items/s", "update_item": "items/s", "cond_put": "items/s",
         "filter_query": "queries/s", "transact_write": "items/s",
         "gsi_put": "items/s", "gsi_query": "queries/s"}
# Workloads run through the low-level client only (wire form), and those SQLite has no
# natural equivalent of (the report shows these cells as n/a, not as errors).
CLIENT_ONLY = {"update_item", "cond_put", "filter_query", "transact_write", "gsi_put",
               "gsi_query"}
NO_SQL = {"filter_query"}
# Workloads whose ratio to moto is reported as information, not against the 50x target.
MOTO_INFO = {"update_item", "cond_put", "filter_query", "transact_write", "gsi_put",
             "gsi_query"}
MiB = 1 << 20
QUERY_LIMIT = 10
BATCH = 25  # BatchWriteItem's maximum
TABLE_PUT, TABLE_CLIENT, TABLE_BATCH, TABLE_BATCH_T = "items_t", "items_c", "items_b", "items_bt"
TABLE_COND, TABLE_FILTER, TABLE_TX = "items_cp", "items_fq", "items_tx"
# gsi_put / gsi_query: a table with one global secondary index byAge (age N HASH, sk N
# RANGE, projection ALL): every item has an entry, about n / 73 under each age (18..90);
# a gsi_query asks for the first QUERY_LIMIT items of one age in sort-key order.
TABLE_GSI, GSI_NAME = "items_gsi", "byAge"
GSI_SCHEMA = dict(
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
               {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                          {"AttributeName": "sk", "AttributeType": "N"},
                          {"AttributeName": "age", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST",
    GlobalSecondaryIndexes=[{"IndexName": GSI_NAME,
                             "KeySchema": [{"AttributeName": "age", "KeyType": "HASH"},
                                           {"AttributeName": "sk", "KeyType": "RANGE"}],
                             "Projection": {"ProjectionType": "ALL"}}])
# update_item: a conditional counter update of an existing numeric attribute (age is no
# reserved word); every key exists, so every call succeeds.
UPDATE_EXPR, UPDATE_COND = "SET age = age + :one", "attribute_exists(pk)"
COND_PUT_COND = "attribute_not_exists(pk)"  # cond_put: into a fresh table, all succeed
TX_SIZE = 10  # transact_write: Puts per TransactWriteItems call
# filter_query: partitions of FILTER_PER_PK items ("part#%05d", sk 0..999), attributes
# of the generated items; FilterExpression "age < 25" keeps ages 18..24, about 9.6%.
FILTER_PER_PK, FILTER_AGE = 1000, 25
FILTER_EXPR = "age < :lim"
KEY_SCHEMA = dict(
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
               {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                          {"AttributeName": "sk", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST")
# Targets from the issue: dyncore's Table API figures, and the ratio to moto.
TARGET_PUT, TARGET_GET, TARGET_MOTO_RATIO = 100_000, 200_000, 50.0
TARGET_UPDATE_COST = 1.5  # conditional update_item costs at most 1.5x a put_item (client)


# --------------------------------------------------------------------------- data

_SYL = ["al", "an", "ar", "be", "bo", "ca", "da", "de", "el", "en", "er", "fa", "ga",
        "ha", "is", "ja", "ka", "la", "le", "li", "lo", "ma", "mi", "na", "ne", "ni",
        "no", "or", "pa", "ra", "re", "ri", "ro", "sa", "se", "ta", "te", "to", "va",
        "vi", "ya", "za", "th", "sh", "ch", "qu", "mon", "ber", "ton", "son", "ley"]
_DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "inbox.example.io",
            "users.example.co.uk", "post.example.de"]


class Data:
    """The benchmark's items and keys, generated from a seed (identical in every child
    that asks for the same number of items).

    Item i belongs to partition p = i // per_pk ("user#%08d" % p) with sort key
    1_700_000_000 + 3600 * (i % per_pk) + jitter, so every partition holds per_pk
    (default 20) items in sort-key order and a Query with Limit=10 returns 10 items.
    Attributes: name S, email S, age N (int), active BOOL, scores L of 8 N (Decimal
    with 2 decimals). About 200 bytes by DynamoDB's item-size rules.

    Inputs are built before any timing, in the form each API takes: native values
    (int, Decimal, str, bool, list) for the Table API, the wire form ({"S": ...},
    {"N": "..."}) for the low-level client, built per workload and dropped after it.
    """

    def __init__(self, n: int, per_pk: int, seed: int, queries: int):
        self.n, self.per_pk = n, per_pk
        rnd = random.Random(seed)
        self.npk = npk = (n + per_pk - 1) // per_pk
        word = lambda: "".join(rnd.choices(_SYL, k=rnd.randint(3, 6)))  # noqa: E731
        pk, sk, name, email, age, active, scores = [], [], [], [], [], [], []
        for i in range(n):
            p, j = divmod(i, per_pk)
            first, middle, last = word(), word(), word() + "-" + word()
            pk.append("user#%08d" % p)
            sk.append(1_700_000_000 + 3600 * j + rnd.randrange(3600))
            name.append(f"{first.capitalize()} {middle.capitalize()} {last.title()}")
            email.append(f"{first}.{middle}.{last}.{p}@{rnd.choice(_DOMAINS)}")
            age.append(rnd.randint(18, 90))
            active.append(rnd.random() < 0.7)
            sc = []
            for _ in range(8):
                x = rnd.randrange(100_000)
                sc.append(Decimal(f"{x // 100}.{x % 100:02d}"))
            scores.append(sc)
        self.f = (pk, sk, name, email, age, active, scores)
        self.put_order = list(range(n))
        rnd.shuffle(self.put_order)            # put_item and batch_write order
        self.get_order = list(range(n))
        rnd.shuffle(self.get_order)            # get_item: every item once, random order
        self.query_pks = ["user#%08d" % rnd.randrange(npk) for _ in range(queries)]
        self.query_ages = [rnd.randint(18, 90) for _ in range(queries)]   # gsi_query

    # one item, both forms
    def native(self, i: int) -> dict:
        pk, sk, name, email, age, active, scores = self.f
        return {"pk": pk[i], "sk": sk[i], "name": name[i], "email": email[i], "age": age[i],
                "active": active[i], "scores": list(scores[i])}

    def wire(self, i: int) -> dict:
        pk, sk, name, email, age, active, scores = self.f
        return {"pk": {"S": pk[i]}, "sk": {"N": str(sk[i])}, "name": {"S": name[i]},
                "email": {"S": email[i]}, "age": {"N": str(age[i])},
                "active": {"BOOL": active[i]},
                "scores": {"L": [{"N": str(d)} for d in scores[i]]}}

    def native_key(self, i: int) -> dict:
        return {"pk": self.f[0][i], "sk": self.f[1][i]}

    def wire_key(self, i: int) -> dict:
        return {"pk": {"S": self.f[0][i]}, "sk": {"N": str(self.f[1][i])}}

    # workload inputs
    def items(self, form: str) -> list:
        mk = self.native if form == "native" else self.wire
        return [mk(i) for i in self.put_order]

    def keys(self, form: str) -> list:
        mk = self.native_key if form == "native" else self.wire_key
        return [mk(i) for i in self.get_order]

    def query_values(self, form: str) -> list:
        if form == "native":
            return [{":p": p} for p in self.query_pks]
        return [{":p": {"S": p}} for p in self.query_pks]

    # filter_query's table: partition p holds FILTER_PER_PK items; item j of it takes the
    # attributes of generated item (p * FILTER_PER_PK + j) mod n, with its own pk and sk.
    def filter_src(self, p: int, j: int) -> int:
        return (p * FILTER_PER_PK + j) % self.n

    def filter_wire(self, p: int, j: int) -> dict:
        it = self.wire(self.filter_src(p, j))
        it["pk"], it["sk"] = {"S": "part#%05d" % p}, {"N": str(j)}
        return it

    def filter_count(self, p: int) -> int:
        """Items of partition p that FILTER_EXPR keeps."""
        age = self.f[4]
        return sum(1 for j in range(FILTER_PER_PK) if age[self.filter_src(p, j)] < FILTER_AGE)

    def sizes(self, sample: int = 2000) -> dict:
        """Mean item size: DynamoDB's rules, and json.dumps of the wire form."""
        idx = range(0, self.n, max(1, self.n // sample))
        ddb = statistics.mean(ddb_size(self.native(i)) for i in idx)
        js = statistics.mean(len(json.dumps(self.wire(i))) for i in idx)
        return {"dynamodb_bytes": round(ddb, 1), "json_wire_bytes": round(js, 1)}


def _num_size(v) -> int:
    d = Decimal(v).normalize()
    digits = len(d.as_tuple().digits)
    return (digits + 1) // 2 + 1


def ddb_size(item: dict) -> int:
    """An item's size by DynamoDB's documented rules (names + values)."""
    def val(v):
        if isinstance(v, bool):
            return 1
        if isinstance(v, str):
            return len(v.encode())
        if isinstance(v, (int, Decimal)):
            return _num_size(v)
        if isinstance(v, list):
            return 3 + sum(1 + val(x) for x in v)
        if isinstance(v, dict):
            return 3 + sum(1 + len(k.encode()) + val(x) for k, x in v.items())
        raise TypeError(type(v))
    return sum(len(k.encode()) + val(v) for k, v in item.items())


# --------------------------------------------------------------------------- helpers

def rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_now() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def log(msg: str):
    print(msg, file=sys.stderr, flush=True)


def timed(name, sysname, ops, fn, out, **extra):
    """Run fn() with the GC off and record wall time, CPU time (all threads) and extras.
    fn may return a check value (e.g. items found)."""
    gc.collect()
    gc.disable()
    c0 = cpu_now()
    t0 = time.perf_counter()
    try:
        check = fn()
    finally:
        t1 = time.perf_counter()
        c1 = cpu_now()
        gc.enable()
    sec = t1 - t0
    rec = {"ops": ops, "seconds": sec, "cpu_seconds": c1 - c0,
           "ops_per_s": ops / sec if sec > 0 else None,
           "us_per_op": sec / ops * 1e6 if ops else None, **extra}
    if check is not None:
        rec["check"] = check
    out[name] = rec
    log(f"  [{sysname}] {name:<20} {ops:>9,} ops {sec:8.3f} s {rec['us_per_op']:9.2f} us/op"
        f" {rec['ops_per_s']:>12,.0f} ops/s")
    return rec


def short_tb(max_msg_lines: int = 6) -> str:
    """The current exception's traceback, its message cut to a few lines (a validation
    error can list every attribute of 25 items)."""
    e = sys.exc_info()[1]
    head = "".join(traceback.format_tb(e.__traceback__))
    msg = traceback.format_exception_only(type(e), e)
    lines = "".join(msg).rstrip().splitlines()
    if len(lines) > max_msg_lines:
        lines = lines[:max_msg_lines] + [f"... ({len(lines) - max_msg_lines} more lines)"]
    return "Traceback (most recent call last):\n" + head + "\n".join(lines) + "\n"


def err_summary(tb: str) -> str:
    """'ExcType: first line of its message' from a short_tb() text."""
    lines = tb.splitlines()
    for i, line in enumerate(lines[1:], 1):
        if line and not line.startswith(" "):
            if line.endswith(":") and i + 1 < len(lines):
                line += " " + lines[i + 1]
            return line if len(line) <= 300 else line[:300] + "..."
    return "?"


def check(rec: dict, ok: bool, what: str, sysname: str, name: str):
    if not ok:
        rec["check_failed"] = what
        log(f"  [{sysname}] {name}: CHECK FAILED: {what}")


def same_item(got: dict | None, want: dict) -> bool:
    """Native items equal, numbers compared by value (int 5 == Decimal("5.00"))."""
    return got is not None and got == want


def same_wire(got: dict | None, want: dict) -> bool:
    """Wire-form items equal, numbers compared by value ("5.10" == "5.1")."""
    return got is not None and wire_to_native(got) == wire_to_native(want)


def wire_to_native(item: dict) -> dict:
    def val(v):
        (t, x), = v.items()
        if t == "S":
            return x
        if t == "N":
            return Decimal(x)
        if t == "BOOL":
            return x
        if t == "L":
            return [val(e) for e in x]
        if t == "M":
            return {k: val(e) for k, e in x.items()}
        if t == "NULL":
            return None
        return x
    return {k: val(v) for k, v in item.items()}


# --------------------------------------------------------------------------- systems
#
# dyncore and moto have the same shapes (boto3's), so they share one runner:
#   open(), client, resource_table(name), reopen(), close(), info()
# SQLite has its own runner with the same workload names.

class DynamoSystem:
    name = "?"

    def __init__(self, a, path: Path):
        self.a, self.path = a, path

    created: set

    def create_table(self, tname: str):
        self.client.create_table(TableName=tname, **KEY_SCHEMA)
        self.created = getattr(self, "created", set()) | {tname}

    def reopen(self):
        pass


class DyncoreSystem(DynamoSystem):
    name = "dyncore"

    @staticmethod
    def info(a):
        import dyncore
        sync = a.dyncore_sync
        opened = f"dyncore.open(dir, sync={sync!r})" if sync else "dyncore.open(dir)"
        durability = sync or "default (interval: WAL fsync every 50 ms)"
        return {"module": f"dyncore {getattr(dyncore, '__version__', '?')} ({git_rev()})",
                "notes": f"{opened}; durability {durability}"}

    def __init__(self, a, path):
        super().__init__(a, path)
        self._open()

    def _open(self):
        import dyncore
        opts = {"sync": self.a.dyncore_sync} if self.a.dyncore_sync else {}
        self.db = dyncore.open(str(self.path), **opts)
        self.client = self.db.client()

    def resource_table(self, tname):
        return self.db.Table(tname)

    def reopen(self):
        self.db.close()
        self._open()

    def close(self):
        self.db.close()


class MotoSystem(DynamoSystem):
    name = "moto"

    @staticmethod
    def info(a):
        import importlib.metadata as md
        return {"module": f"moto {md.version('moto')} in-process (mock_aws), boto3 "
                          f"{md.version('boto3')}, botocore {md.version('botocore')}",
                "notes": "memory only; every call goes through botocore's serialization "
                         "and moto's request handling"}

    def __init__(self, a, path):
        super().__init__(a, path)
        for k, v in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                     ("AWS_SESSION_TOKEN", "testing"), ("AWS_SECURITY_TOKEN", "testing"),
                     ("AWS_DEFAULT_REGION", "us-east-1")):
            os.environ[k] = v
        for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            os.environ.pop(k, None)
        import boto3
        from moto import mock_aws
        self.mock = mock_aws()
        self.mock.start()
        self.client = boto3.client("dynamodb", region_name="us-east-1")
        self.resource = boto3.resource("dynamodb", region_name="us-east-1")

    def resource_table(self, tname):
        return self.resource.Table(tname)

    def close(self):
        self.mock.stop()


def run_dynamo(sysname: str, a, base: Path, data: Data, wl: list, W: dict, res: dict):
    """Every workload on a boto3-shaped system (dyncore or moto)."""
    cls = {"dyncore": DyncoreSystem, "moto": MotoSystem}[sysname]
    s = cls(a, base / "db")
    n = data.n
    errors = res["errors"]

    def guarded(name, fn):
        try:
            fn()
            return True
        except Exception:
            errors[name] = short_tb()
            log(f"  [{sysname}] {name}: ERROR\n{errors[name]}")
            return False

    need_data = any(w in wl for w in ("get_item", "query", "update_item"))
    filled = False  # TABLE_PUT holds every item
    fparts = a.moto_filter_parts if sysname == "moto" else a.filter_parts
    fqueries = a.moto_filter_queries if sysname == "moto" else a.filter_queries
    floaded = False  # TABLE_FILTER holds fparts partitions of FILTER_PER_PK items

    # put_item, Table API, into a fresh table (also the table the reads use)
    def put_table():
        nonlocal filled
        s.create_table(TABLE_PUT)
        t = s.resource_table(TABLE_PUT)
        items = data.items("native")
        put = t.put_item

        def body():
            for it in items:
                put(Item=it)
        rec = timed("put_item/table", sysname, n, body, W)
        filled = True
        sample = random.Random(1).sample(range(n), min(200, n))
        bad = sum(1 for j in sample
                  if not same_item(t.get_item(Key={"pk": items[j]["pk"], "sk": items[j]["sk"]})
                                   .get("Item"), items[j]))
        check(rec, bad == 0, f"{bad} of {len(sample)} sampled items read back wrong",
              sysname, "put_item/table")

    # put_item, client (wire form), into its own fresh table
    def put_client():
        s.create_table(TABLE_CLIENT)
        c = s.client
        items = data.items("wire")
        put = c.put_item
        T = TABLE_CLIENT

        def body():
            for it in items:
                put(TableName=T, Item=it)
        rec = timed("put_item/client", sysname, n, body, W)
        sample = random.Random(2).sample(range(n), min(200, n))
        bad = sum(1 for j in sample
                  if not same_wire(c.get_item(TableName=T, Key={"pk": items[j]["pk"],
                                                                 "sk": items[j]["sk"]})
                                   .get("Item"), items[j]))
        check(rec, bad == 0, f"{bad} of {len(sample)} sampled items read back wrong",
              sysname, "put_item/client")

    if "put_item" in wl:
        guarded("put_item/table", put_table)
        guarded("put_item/client", put_client)
    if need_data and not filled:
        def load():  # reads need the data: load it untimed, with batches
            nonlocal filled
            if TABLE_PUT not in getattr(s, "created", ()):
                s.create_table(TABLE_PUT)
            c = s.client
            items = data.items("wire")
            for i in range(0, n, BATCH):
                out = c.batch_write_item(RequestItems={TABLE_PUT: [
                    {"PutRequest": {"Item": it}} for it in items[i:i + BATCH]]})
                un = out.get("UnprocessedItems") or {}
                while un:
                    un = c.batch_write_item(RequestItems=un).get("UnprocessedItems") or {}
            filled = True
            log(f"  [{sysname}] loaded {n:,} items untimed for the reads")
        guarded("load", load)

    if "filter_query" in wl:
        def load_filter():  # untimed, with batches, before the reopen as for the reads
            nonlocal floaded
            s.create_table(TABLE_FILTER)
            bw = s.client.batch_write_item
            for p in range(fparts):
                items = [data.filter_wire(p, j) for j in range(FILTER_PER_PK)]
                for i in range(0, len(items), BATCH):
                    out = bw(RequestItems={TABLE_FILTER: [
                        {"PutRequest": {"Item": it}} for it in items[i:i + BATCH]]})
                    un = out.get("UnprocessedItems") or {}
                    while un:
                        un = bw(RequestItems=un).get("UnprocessedItems") or {}
            floaded = True
            log(f"  [{sysname}] loaded {fparts:,} partitions of {FILTER_PER_PK:,} items "
                "untimed for filter_query")
        guarded("filter_query/load", load_filter)

    if ((need_data and filled) or floaded) and not a.no_reopen:
        t0 = time.perf_counter()
        if guarded("reopen", s.reopen):
            res["reopen_seconds"] = time.perf_counter() - t0

    if "get_item" in wl and filled:
        def get_table():
            t = s.resource_table(TABLE_PUT)
            keys = data.keys("native")
            get = t.get_item

            def body():
                found = 0
                for k in keys:
                    if "Item" in get(Key=k):
                        found += 1
                return found
            rec = timed("get_item/table", sysname, len(keys), body, W)
            check(rec, rec["check"] == len(keys), f"found {rec['check']} of {len(keys)}",
                  sysname, "get_item/table")

        def get_client():
            keys = data.keys("wire")
            get = s.client.get_item
            T = TABLE_PUT

            def body():
                found = 0
                for k in keys:
                    if "Item" in get(TableName=T, Key=k):
                        found += 1
                return found
            rec = timed("get_item/client", sysname, len(keys), body, W)
            check(rec, rec["check"] == len(keys), f"found {rec['check']} of {len(keys)}",
                  sysname, "get_item/client")
        guarded("get_item/table", get_table)
        guarded("get_item/client", get_client)

    if "query" in wl and filled:
        want = min(QUERY_LIMIT, data.per_pk)

        def query(api):
            vals = data.query_values("native" if api == "table" else "wire")
            if api == "table":
                q = s.resource_table(TABLE_PUT).query
                kw = {}
            else:
                q = s.client.query
                kw = {"TableName": TABLE_PUT}
            KCE, L = "pk = :p", QUERY_LIMIT

            def body():
                rows = 0
                for v in vals:
                    rows += len(q(KeyConditionExpression=KCE, ExpressionAttributeValues=v,
                                  Limit=L, **kw)["Items"])
                return rows
            rec = timed(f"query/{api}", sysname, len(vals), body, W, limit=L)
            check(rec, rec["check"] == want * len(vals),
                  f"{rec['check']} items, expected {want * len(vals)}", sysname, f"query/{api}")
            # order: the first query's items come in sort-key order
            first = q(KeyConditionExpression=KCE, ExpressionAttributeValues=vals[0], Limit=L,
                      **kw)["Items"] if vals else []
            sks = [Decimal(x["sk"]["N"]) if isinstance(x["sk"], dict) else x["sk"] for x in first]
            check(rec, sks == sorted(sks), "items not in sort-key order", sysname, f"query/{api}")
        guarded("query/table", lambda: query("table"))
        guarded("query/client", lambda: query("client"))

    if "batch_write" in wl:
        def batch_client():
            s.create_table(TABLE_BATCH)
            items = data.items("wire")
            reqs = [{TABLE_BATCH: [{"PutRequest": {"Item": it}} for it in items[i:i + BATCH]]}
                    for i in range(0, n, BATCH)]
            del items
            bw = s.client.batch_write_item

            def body():
                unprocessed = 0
                for r in reqs:
                    out = bw(RequestItems=r)
                    un = out.get("UnprocessedItems")
                    if un:
                        unprocessed += len(un.get(TABLE_BATCH, ()))
                return unprocessed
            rec = timed("batch_write/client", sysname, n, body, W, batch=BATCH, calls=len(reqs))
            check(rec, rec["check"] == 0, f"{rec['check']} unprocessed items", sysname,
                  "batch_write/client")
            sample = random.Random(3).sample(range(len(reqs)), min(20, len(reqs)))
            bad = 0
            for j in sample:
                it = reqs[j][TABLE_BATCH][0]["PutRequest"]["Item"]
                got = s.client.get_item(TableName=TABLE_BATCH,
                                        Key={"pk": it["pk"], "sk": it["sk"]}).get("Item")
                bad += not same_wire(got, it)
            check(rec, bad == 0, f"{bad} of {len(sample)} sampled items read back wrong",
                  sysname, "batch_write/client")

        def batch_table():
            s.create_table(TABLE_BATCH_T)
            t = s.resource_table(TABLE_BATCH_T)
            items = data.items("native")

            def body():
                with t.batch_writer() as w:
                    put = w.put_item
                    for it in items:
                        put(Item=it)
            rec = timed("batch_write/table", sysname, n, body, W, batch=BATCH)
            sample = random.Random(4).sample(range(n), min(200, n))
            bad = sum(1 for j in sample
                      if not same_item(t.get_item(Key={"pk": items[j]["pk"],
                                                       "sk": items[j]["sk"]}).get("Item"),
                                       items[j]))
            check(rec, bad == 0, f"{bad} of {len(sample)} sampled items read back wrong",
                  sysname, "batch_write/table")
        guarded("batch_write/table", batch_table)
        guarded("batch_write/client", batch_client)

    # update_item, client: SET age = age + :one (condition: the item exists) on every item
    # of TABLE_PUT once, keys in random order (after the reads, so their checks hold)
    if "update_item" in wl and filled:
        def update_client():
            keys = data.keys("wire")
            upd = s.client.update_item
            T, UE, CE = TABLE_PUT, UPDATE_EXPR, UPDATE_COND
            V = {":one": {"N": "1"}}

            def body():
                for k in keys:
                    upd(TableName=T, Key=k, UpdateExpression=UE, ConditionExpression=CE,
                        ExpressionAttributeValues=V)
            rec = timed("update_item/client", sysname, len(keys), body, W,
                        update=UE, condition=CE)
            age = data.f[4]
            sample = random.Random(5).sample(data.get_order, min(200, n))
            bad = 0
            for i in sample:
                got = s.client.get_item(TableName=T, Key=data.wire_key(i)).get("Item") or {}
                bad += got.get("age") != {"N": str(age[i] + 1)}
            check(rec, bad == 0, f"{bad} of {len(sample)} sampled items do not have age + 1",
                  sysname, "update_item/client")
        guarded("update_item/client", update_client)

    # cond_put, client: PutItem with attribute_not_exists(pk) into a fresh table
    if "cond_put" in wl:
        def cond_put_client():
            s.create_table(TABLE_COND)
            c = s.client
            items = data.items("wire")
            put = c.put_item
            T, CE = TABLE_COND, COND_PUT_COND

            def body():
                for it in items:
                    put(TableName=T, Item=it, ConditionExpression=CE)
            rec = timed("cond_put/client", sysname, n, body, W, condition=CE)
            cnt, kw = 0, {}
            while True:
                out = c.scan(TableName=T, Select="COUNT", **kw)
                cnt += out["Count"]
                if "LastEvaluatedKey" not in out:
                    break
                kw = {"ExclusiveStartKey": out["LastEvaluatedKey"]}
            check(rec, cnt == n, f"{cnt} items in the table, expected {n}", sysname,
                  "cond_put/client")
            sample = random.Random(6).sample(range(n), min(200, n))
            bad = sum(1 for j in sample
                      if not same_wire(c.get_item(TableName=T, Key={"pk": items[j]["pk"],
                                                                     "sk": items[j]["sk"]})
                                       .get("Item"), items[j]))
            check(rec, bad == 0, f"{bad} of {len(sample)} sampled items read back wrong",
                  sysname, "cond_put/client")
        guarded("cond_put/client", cond_put_client)

    # filter_query, client: Query pk = :p with FilterExpression age < 25 on partitions of
    # FILTER_PER_PK items, every page (LastEvaluatedKey followed)
    if "filter_query" in wl and floaded:
        def filter_query_client():
            rnd = random.Random(a.seed + 7)
            parts = [rnd.randrange(fparts) for _ in range(fqueries)]
            vals = [{":p": {"S": "part#%05d" % p}, ":lim": {"N": str(FILTER_AGE)}}
                    for p in parts]
            want = sum(data.filter_count(p) for p in parts)
            q = s.client.query
            T, KCE, FE = TABLE_FILTER, "pk = :p", FILTER_EXPR

            def body():
                rows = pages = 0
                for v in vals:
                    out = q(TableName=T, KeyConditionExpression=KCE, FilterExpression=FE,
                            ExpressionAttributeValues=v)
                    rows += len(out["Items"])
                    pages += 1
                    while "LastEvaluatedKey" in out:
                        out = q(TableName=T, KeyConditionExpression=KCE, FilterExpression=FE,
                                ExpressionAttributeValues=v,
                                ExclusiveStartKey=out["LastEvaluatedKey"])
                        rows += len(out["Items"])
                        pages += 1
                return rows, pages
            rec = timed("filter_query/client", sysname, len(vals), body, W,
                        partition_items=FILTER_PER_PK, partitions=fparts, filter=FE)
            rows, pages = rec.pop("check")
            rec.update(check=rows, pages=pages, items_per_query=rows / max(1, len(vals)))
            check(rec, rows == want, f"{rows} items, expected {want}", sysname,
                  "filter_query/client")
        guarded("filter_query/client", filter_query_client)

    # transact_write, client: TransactWriteItems of TX_SIZE Puts (new items) per call
    if "transact_write" in wl:
        def transact_client():
            s.create_table(TABLE_TX)
            # moto deep-copies the target table for every item of every transaction, so
            # its cost grows with the table: it gets --moto-tx-num items
            ntx = min(n, a.moto_tx_num) if sysname == "moto" else n
            items = data.items("wire")[:ntx]
            reqs = [[{"Put": {"TableName": TABLE_TX, "Item": it}} for it in items[i:i + TX_SIZE]]
                    for i in range(0, ntx, TX_SIZE)]
            tw = s.client.transact_write_items

            def body():
                for r in reqs:
                    tw(TransactItems=r)
            rec = timed("transact_write/client", sysname, ntx, body, W, batch=TX_SIZE,
                        calls=len(reqs))
            rec["calls_per_s"] = len(reqs) / rec["seconds"] if rec["seconds"] > 0 else None
            sample = random.Random(8).sample(range(ntx), min(200, ntx))
            bad = 0
            for j in sample:
                got = s.client.get_item(TableName=TABLE_TX, Key={
                    "pk": items[j]["pk"], "sk": items[j]["sk"]}).get("Item")
                bad += not same_wire(got, items[j])
            check(rec, bad == 0, f"{bad} of {len(sample)} sampled items read back wrong",
                  sysname, "transact_write/client")
        guarded("transact_write/client", transact_client)

    # gsi_put, client: every item into a fresh table with the global index byAge (each
    # put also writes its index entry); gsi_query, client: Query the index, age = :a,
    # Limit QUERY_LIMIT, in sort-key order (after gsi_put, or a load by batches)
    gsi_filled = False
    if "gsi_put" in wl:
        def gsi_put_client():
            nonlocal gsi_filled
            s.client.create_table(TableName=TABLE_GSI, **GSI_SCHEMA)
            items = data.items("wire")
            put = s.client.put_item
            T = TABLE_GSI

            def body():
                for it in items:
                    put(TableName=T, Item=it)
            rec = timed("gsi_put/client", sysname, n, body, W, index=GSI_NAME)
            gsi_filled = True
            age = data.f[4]
            a0 = age[data.put_order[0]]
            got = s.client.query(TableName=T, IndexName=GSI_NAME, Select="COUNT",
                                 KeyConditionExpression="age = :a",
                                 ExpressionAttributeValues={":a": {"N": str(a0)}})["Count"]
            want = sum(1 for x in age if x == a0)
            check(rec, got == want, f"the index holds {got} items of age {a0}, expected {want}",
                  sysname, "gsi_put/client")
        guarded("gsi_put/client", gsi_put_client)
    if "gsi_query" in wl:
        def gsi_query_client():
            if not gsi_filled:
                s.client.create_table(TableName=TABLE_GSI, **GSI_SCHEMA)
                items = data.items("wire")
                bw = s.client.batch_write_item
                for i in range(0, n, BATCH):
                    un = {TABLE_GSI: [{"PutRequest": {"Item": it}} for it in items[i:i + BATCH]]}
                    while un:
                        un = bw(RequestItems=un).get("UnprocessedItems") or {}
                log(f"  [{sysname}] loaded {n:,} items untimed for gsi_query")
            age = data.f[4]
            per_age = {x: age.count(x) for x in set(age)}
            vals = [{":a": {"N": str(x)}} for x in data.query_ages]
            want = sum(min(QUERY_LIMIT, per_age.get(x, 0)) for x in data.query_ages)
            q = s.client.query
            T, I, KCE, L = TABLE_GSI, GSI_NAME, "age = :a", QUERY_LIMIT

            def body():
                rows = 0
                for v in vals:
                    rows += len(q(TableName=T, IndexName=I, KeyConditionExpression=KCE,
                                  ExpressionAttributeValues=v, Limit=L)["Items"])
                return rows
            rec = timed("gsi_query/client", sysname, len(vals), body, W, limit=L, index=I)
            check(rec, rec["check"] == want, f"{rec['check']} items, expected {want}",
                  sysname, "gsi_query/client")
            first = q(TableName=T, IndexName=I, KeyConditionExpression=KCE,
                      ExpressionAttributeValues=vals[0], Limit=L)["Items"] if vals else []
            sks = [int(x["sk"]["N"]) for x in first]
            check(rec, sks == sorted(sks), "items not in sort-key order", sysname,
                  "gsi_query/client")
        guarded("gsi_query/client", gsi_query_client)

    try:
        s.close()
    except Exception:
        errors["close"] = short_tb()


class SqliteSystem:
    name = "sqlite"
    INS = "INSERT OR REPLACE INTO {t}(pk, sk, item) VALUES (?, ?, ?)"
    GET = "SELECT item FROM items WHERE pk = ? AND sk = ?"
    QRY = "SELECT item FROM items WHERE pk = ? ORDER BY sk LIMIT ?"
    # update_item: the counter update in place, in the stored JSON of the wire form
    UPD = ("UPDATE items SET item = json_set(item, '$.age.N', "
           "CAST(CAST(json_extract(item, '$.age.N') AS INTEGER) + 1 AS TEXT)) "
           "WHERE pk = ? AND sk = ?")
    # cond_put: a plain INSERT fails on an existing key, as attribute_not_exists(pk) does
    INS_NEW = "INSERT INTO items_cp(pk, sk, item) VALUES (?, ?, ?)"

    @staticmethod
    def info(a):
        import sqlite3
        return {"module": f"sqlite3 (SQLite {sqlite3.sqlite_version})",
                "notes": "WAL, synchronous=NORMAL, autocommit per put, cache_size 64 MiB; "
                         "items(pk TEXT, sk NUMERIC, item BLOB, PRIMARY KEY(pk, sk)) WITHOUT "
                         "ROWID; item = json.dumps(wire form), json.loads on read; "
                         "one read transaction per read workload; batch = "
                         "BEGIN; executemany; COMMIT; update_item = UPDATE ... "
                         "json_set(item, '$.age.N', ...) per key, autocommit; cond_put = "
                         "INSERT (no OR REPLACE), autocommit; transact_write = BEGIN; "
                         f"executemany of {TX_SIZE}; COMMIT; no filter_query"}


def run_sqlite(a, base: Path, data: Data, wl: list, W: dict, res: dict):
    import sqlite3
    base.mkdir(parents=True, exist_ok=True)
    file = str(base / "items.sqlite")
    errors = res["errors"]
    n = data.n
    S = SqliteSystem
    sysname = "sqlite"

    def connect():
        c = sqlite3.connect(file, isolation_level=None)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=NORMAL")
        c.execute("PRAGMA cache_size=-65536")
        for t in ("items", "items_b", "items_cp", "items_tx"):
            c.execute(f"CREATE TABLE IF NOT EXISTS {t}(pk TEXT, sk NUMERIC, item BLOB, "
                      "PRIMARY KEY(pk, sk)) WITHOUT ROWID")
        return c

    c = connect()
    dumps, loads = json.dumps, json.loads

    def guarded(name, fn):
        try:
            fn()
        except Exception:
            errors[name] = short_tb()
            log(f"  [sqlite] {name}: ERROR\n{errors[name]}")

    filled = False

    def put():
        nonlocal filled
        items = data.items("wire")
        ex = c.execute
        INS = S.INS.format(t="items")

        def body():
            for it in items:
                ex(INS, (it["pk"]["S"], it["sk"]["N"], dumps(it)))
        rec = timed("put_item/sql", sysname, n, body, W)
        filled = True
        sample = random.Random(1).sample(range(n), min(200, n))
        bad = 0
        for j in sample:
            r = c.execute(S.GET, (items[j]["pk"]["S"], items[j]["sk"]["N"])).fetchone()
            bad += r is None or loads(r[0]) != items[j]
        check(rec, bad == 0, f"{bad} of {len(sample)} sampled items read back wrong",
              sysname, "put_item/sql")

    if "put_item" in wl:
        guarded("put_item/sql", put)
    if not filled and any(w in wl for w in ("get_item", "query", "update_item")):
        def load():
            nonlocal filled
            items = data.items("wire")
            INS = S.INS.format(t="items")
            c.execute("BEGIN")
            c.executemany(INS, ((it["pk"]["S"], it["sk"]["N"], dumps(it)) for it in items))
            c.execute("COMMIT")
            filled = True
        guarded("load", load)

    if filled and not a.no_reopen and any(w in wl for w in ("get_item", "query",
                                                             "update_item")):
        c.close()
        c = connect()

    if "get_item" in wl and filled:
        def get():
            # A SQL user holds the key values natively: (pk str, sk int).
            pk, sk = data.f[0], data.f[1]
            keys = [(pk[i], sk[i]) for i in data.get_order]
            ex = c.execute
            GET = S.GET

            def body():
                found = 0
                c.execute("BEGIN")
                for k in keys:
                    r = ex(GET, k).fetchone()
                    if r is not None:
                        loads(r[0])
                        found += 1
                c.execute("COMMIT")
                return found
            rec = timed("get_item/sql", sysname, len(keys), body, W)
            check(rec, rec["check"] == len(keys), f"found {rec['check']} of {len(keys)}",
                  sysname, "get_item/sql")
        guarded("get_item/sql", get)

    if "query" in wl and filled:
        def query():
            pks = data.query_pks
            ex = c.execute
            Q, L = S.QRY, QUERY_LIMIT
            want = min(QUERY_LIMIT, data.per_pk)

            def body():
                rows = 0
                c.execute("BEGIN")
                for p in pks:
                    items = [loads(r[0]) for r in ex(Q, (p, L))]
                    rows += len(items)
                c.execute("COMMIT")
                return rows
            rec = timed("query/sql", sysname, len(pks), body, W, limit=L)
            check(rec, rec["check"] == want * len(pks),
                  f"{rec['check']} items, expected {want * len(pks)}", sysname, "query/sql")
        guarded("query/sql", query)

    if "batch_write" in wl:
        def batch():
            items = data.items("wire")
            chunks = [items[i:i + BATCH] for i in range(0, n, BATCH)]
            del items
            INS = S.INS.format(t="items_b")
            ex, exm = c.execute, c.executemany

            def body():
                for ch in chunks:
                    ex("BEGIN")
                    exm(INS, [(it["pk"]["S"], it["sk"]["N"], dumps(it)) for it in ch])
                    ex("COMMIT")
            rec = timed("batch_write/sql", sysname, n, body, W, batch=BATCH, calls=len(chunks))
            cnt = c.execute("SELECT count(*) FROM items_b").fetchone()[0]
            check(rec, cnt == n, f"{cnt} rows, expected {n}", sysname, "batch_write/sql")
        guarded("batch_write/sql", batch)

    if "update_item" in wl and filled:
        def update():
            pk, sk = data.f[0], data.f[1]
            keys = [(pk[i], sk[i]) for i in data.get_order]
            ex = c.execute
            UPD = S.UPD

            def body():
                for k in keys:
                    ex(UPD, k)
            rec = timed("update_item/sql", sysname, len(keys), body, W)
            age = data.f[4]
            sample = random.Random(5).sample(data.get_order, min(200, n))
            bad = 0
            for i in sample:
                r = c.execute(S.GET, (pk[i], sk[i])).fetchone()
                bad += r is None or loads(r[0])["age"] != {"N": str(age[i] + 1)}
            check(rec, bad == 0, f"{bad} of {len(sample)} sampled items do not have age + 1",
                  sysname, "update_item/sql")
        guarded("update_item/sql", update)

    if "cond_put" in wl:
        def cond_put():
            items = data.items("wire")
            ex = c.execute
            INS = S.INS_NEW

            def body():
                for it in items:
                    ex(INS, (it["pk"]["S"], it["sk"]["N"], dumps(it)))
            rec = timed("cond_put/sql", sysname, n, body, W)
            cnt = c.execute("SELECT count(*) FROM items_cp").fetchone()[0]
            check(rec, cnt == n, f"{cnt} rows, expected {n}", sysname, "cond_put/sql")
        guarded("cond_put/sql", cond_put)

    if "transact_write" in wl:
        def transact():
            items = data.items("wire")
            chunks = [items[i:i + TX_SIZE] for i in range(0, n, TX_SIZE)]
            del items
            INS = S.INS.format(t="items_tx")
            ex, exm = c.execute, c.executemany

            def body():
                for ch in chunks:
                    ex("BEGIN")
                    exm(INS, [(it["pk"]["S"], it["sk"]["N"], dumps(it)) for it in ch])
                    ex("COMMIT")
            rec = timed("transact_write/sql", sysname, n, body, W, batch=TX_SIZE,
                        calls=len(chunks))
            cnt = c.execute("SELECT count(*) FROM items_tx").fetchone()[0]
            check(rec, cnt == n, f"{cnt} rows, expected {n}", sysname, "transact_write/sql")
        guarded("transact_write/sql", transact)

    # gsi_put / gsi_query: the same items with age in a column of its own and a
    # secondary index on (age, sk), as a SQL user would keep an alternate access path
    if "gsi_put" in wl or "gsi_query" in wl:
        c.execute("CREATE TABLE IF NOT EXISTS items_g(pk TEXT, sk NUMERIC, age INTEGER, "
                  "item BLOB, PRIMARY KEY(pk, sk)) WITHOUT ROWID")
        c.execute("CREATE INDEX IF NOT EXISTS items_g_age ON items_g(age, sk)")
        INS_G = "INSERT OR REPLACE INTO items_g(pk, sk, age, item) VALUES (?, ?, ?, ?)"
        age = data.f[4]

        def gsi_put():
            items = data.items("wire")
            ex = c.execute

            def body():
                for it in items:
                    ex(INS_G, (it["pk"]["S"], it["sk"]["N"], int(it["age"]["N"]), dumps(it)))
            rec = timed("gsi_put/sql", sysname, n, body, W)
            a0 = age[data.put_order[0]]
            got = c.execute("SELECT count(*) FROM items_g WHERE age = ?", (a0,)).fetchone()[0]
            want = sum(1 for x in age if x == a0)
            check(rec, got == want, f"{got} rows of age {a0}, expected {want}", sysname,
                  "gsi_put/sql")

        def gsi_query():
            if c.execute("SELECT count(*) FROM items_g").fetchone()[0] < n:
                items = data.items("wire")
                c.execute("BEGIN")
                c.executemany(INS_G, ((it["pk"]["S"], it["sk"]["N"], int(it["age"]["N"]),
                                       dumps(it)) for it in items))
                c.execute("COMMIT")
            per_age = {x: age.count(x) for x in set(age)}
            want = sum(min(QUERY_LIMIT, per_age.get(x, 0)) for x in data.query_ages)
            ex = c.execute
            Q = "SELECT item FROM items_g WHERE age = ? ORDER BY sk LIMIT ?"
            ages, L = data.query_ages, QUERY_LIMIT

            def body():
                rows = 0
                c.execute("BEGIN")
                for x in ages:
                    rows += len([loads(r[0]) for r in ex(Q, (x, L))])
                c.execute("COMMIT")
                return rows
            rec = timed("gsi_query/sql", sysname, len(ages), body, W, limit=L)
            check(rec, rec["check"] == want, f"{rec['check']} items, expected {want}",
                  sysname, "gsi_query/sql")
        if "gsi_put" in wl:
            guarded("gsi_put/sql", gsi_put)
        if "gsi_query" in wl:
            guarded("gsi_query/sql", gsi_query)
    c.close()


INFO = {"dyncore": DyncoreSystem.info, "moto": MotoSystem.info, "sqlite": SqliteSystem.info}


# --------------------------------------------------------------------------- child

def disk_usage(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def make_data(a, sysname: str) -> Data:
    n = a.moto_num if sysname == "moto" else a.num
    if sysname == "moto":
        q = max(1, min(n // 10, a.moto_queries))
    else:
        q = a.queries or max(1, n // 10)
    return Data(n, a.per_pk, a.seed, q)


def child(spec_path: str, out_path: str):
    spec = json.loads(Path(spec_path).read_text())
    a = argparse.Namespace(**spec["args"])
    sysname = spec["system"]
    base = Path(spec["dir"])
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    mode = spec.get("mode", "bench")
    if mode != "bench":
        return profile_child(a, spec, out_path)
    res = {"system": sysname, "info": INFO[sysname](a), "workloads": {}, "errors": {},
           "pid": os.getpid()}
    t = time.perf_counter()
    data = make_data(a, sysname)
    res["datagen_seconds"] = time.perf_counter() - t
    res["items"] = data.n
    res["item_size"] = data.sizes()
    gc.collect()
    res["baseline_rss"] = rss_now()
    log(f"[{sysname}] {data.n:,} items ready in {res['datagen_seconds']:.1f} s "
        f"(mean {res['item_size']['dynamodb_bytes']:.0f} B by DynamoDB's rules, "
        f"{res['item_size']['json_wire_bytes']:.0f} B as JSON), "
        f"baseline RSS {res['baseline_rss'] / MiB:.0f} MiB")
    try:
        if sysname == "sqlite":
            run_sqlite(a, base / "db", data, spec["workloads"], res["workloads"], res)
        else:
            run_dynamo(sysname, a, base, data, spec["workloads"], res["workloads"], res)
    finally:
        res["disk_bytes"] = disk_usage(base) if sysname != "moto" else None
        res["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        Path(out_path).write_text(json.dumps(res, default=repr))


# --------------------------------------------------------------------------- profile

def profile_child(a, spec: dict, out_path: str):
    """dyncore put_item and get_item through the Table API, under cProfile (mode
    "cprofile") or bare (mode "plain", for py-spy to sample)."""
    import cProfile
    import io
    import pstats
    mode = spec["mode"]
    n = a.profile_num
    data = Data(n, a.per_pk, a.seed, 1)
    items, keys = data.items("native"), data.keys("native")
    sysname = "dyncore"
    s = DyncoreSystem(a, Path(spec["dir"]) / "db")
    s.create_table(TABLE_PUT)
    t = s.resource_table(TABLE_PUT)
    put, get = t.put_item, t.get_item

    def puts():
        for it in items:
            put(Item=it)

    def gets():
        for k in keys:
            get(Key=k)
    out = {}
    W = {}
    for name, fn in (("put_item/table", puts), ("get_item/table", gets)):
        if mode == "cprofile":
            prof = cProfile.Profile()
            gc.collect()
            gc.disable()
            t0 = time.perf_counter()
            prof.runcall(fn)
            sec = time.perf_counter() - t0
            gc.enable()
            buf = io.StringIO()
            st = pstats.Stats(prof, stream=buf)
            st.sort_stats("tottime").print_stats(a.profile_top)
            text = buf.getvalue().replace(str(ROOT) + "/", "")
            out[name] = {"seconds": sec, "ops": n, "text": text}
            log(f"  [dyncore] {name} under cProfile: {n / sec:,.0f} ops/s")
        else:
            timed(name, sysname, n, fn, W)
            out[name] = W[name]
    s.close()
    Path(out_path).write_text(json.dumps(out))


def find_py_spy(a) -> str | None:
    if a.py_spy:
        return a.py_spy
    cand = [shutil.which("py-spy"), str(Path(sys.executable).parent / "py-spy")]
    for c in cand:
        if c and os.access(c, os.X_OK):
            return c
    return None


def _frame(f: str) -> str:
    """'name (path/file.py:123)' -> 'name (file.py)'; native 'name (lib.so)' kept."""
    m = re.match(r"^(.*?) \((.*)\)$", f)
    if not m:
        return f
    name, loc = m.groups()
    loc = re.sub(r":\d+$", "", loc).rsplit("/", 1)[-1]
    return f"{name} ({loc})"


def summarize_collapsed(text: str, top: int, within: str | None = None) -> str:
    """Self and inclusive sample counts per function from py-spy's raw (collapsed)
    output; only the stacks that pass through a frame containing `within`."""
    self_c: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in text.splitlines():
        stack, _, cnt = line.rpartition(" ")
        if not stack or not cnt.isdigit():
            continue
        if within is not None and within not in stack:
            continue
        c = int(cnt)
        total += c
        frames = [_frame(f) for f in stack.split(";")]
        self_c[frames[-1]] = self_c.get(frames[-1], 0) + c
        for f in set(frames):
            incl[f] = incl.get(f, 0) + c
    if not total:
        return "(no samples)"
    lines = [f"{total:,} samples; top {top} by self samples (self %, inclusive %):"]
    for f, c in sorted(self_c.items(), key=lambda x: -x[1])[:top]:
        lines.append(f"  {100 * c / total:6.2f}%  {100 * incl[f] / total:6.2f}%  {f}")
    return "\n".join(lines)


def run_profile(a, base: Path, childargs: dict) -> dict:
    """cProfile (and py-spy if it works) of dyncore's put_item/get_item, Table API."""
    result = {}
    for mode in ("cprofile", "plain"):
        d = base / f"profile-{mode}"
        d.mkdir()
        spec = base / f"profile-{mode}.spec.json"
        out = base / f"profile-{mode}.out.json"
        spec.write_text(json.dumps({"system": "dyncore", "dir": str(d), "workloads": [],
                                    "args": childargs, "mode": mode}))
        cmd = [sys.executable, os.path.abspath(__file__), "--child", str(spec), str(out)]
        if mode == "plain":
            spy = find_py_spy(a)
            if not spy:
                result["py-spy"] = {"skipped": "py-spy not found (pip install py-spy, "
                                              "or pass --py-spy PATH)"}
                break
            raw = base / "py-spy.txt"
            attempts = [[spy, "record", "--format", "raw", "--rate", "1000", "--native",
                         "-o", str(raw), "--"] + cmd,
                        [spy, "record", "--format", "raw", "--rate", "1000",
                         "-o", str(raw), "--"] + cmd]
            for pc in attempts:
                log(f"[profile] {' '.join(shlex.quote(x) for x in pc[:8])} ...")
                r = subprocess.run(pc, cwd=ROOT, capture_output=True, text=True)
                if r.returncode == 0 and raw.exists() and raw.stat().st_size:
                    rt = raw.read_text()
                    result["py-spy"] = {"native": "--native" in pc,
                                        "text": {
                                            w: summarize_collapsed(rt, a.profile_top, fn)
                                            for w, fn in (
                                                ("put_item/table", "profile_child.<locals>.puts"),
                                                ("get_item/table", "profile_child.<locals>.gets"))},
                                        "run": json.loads(out.read_text())
                                        if out.exists() else None}
                    break
                result["py-spy"] = {"skipped": f"py-spy failed (status {r.returncode}): "
                                               + (r.stderr.strip().splitlines() or ["?"])[-1]}
                shutil.rmtree(d, ignore_errors=True)
                d.mkdir()
            continue
        log(f"[profile] dyncore under cProfile, {a.profile_num:,} items")
        r = subprocess.run(cmd, cwd=ROOT)
        if r.returncode != 0 or not out.exists():
            result["cprofile"] = {"error": f"child exited with status {r.returncode}"}
        else:
            result["cprofile"] = json.loads(out.read_text())
    return result


def print_profile(prof: dict, a):
    print()
    print(f"## profile: dyncore Table API, {a.profile_num:,} items")
    cp = prof.get("cprofile") or {}
    if "error" in cp:
        print(f"cProfile: FAILED — {cp['error']}")
    for name, r in cp.items():
        if name == "error":
            continue
        print()
        print(f"### cProfile {name}: {r['ops'] / r['seconds']:,.0f} ops/s under the profiler "
              f"(top {a.profile_top} by tottime)")
        print(r["text"].rstrip())
    sp = prof.get("py-spy") or {}
    print()
    if "skipped" in sp:
        print(f"### py-spy: skipped — {sp['skipped']}")
    elif sp:
        for w, text in sp["text"].items():
            print(f"### py-spy {w} ({'with' if sp['native'] else 'without'} native frames; "
                  "GC off as in the benchmark)")
            print(text)
            print()


# --------------------------------------------------------------------------- parent

def default_dir() -> Path:
    tmp = Path(tempfile.gettempdir())
    try:
        if os.stat(tmp).st_dev == os.stat(ROOT).st_dev:
            return tmp
    except OSError:
        pass
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    return out


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True,
                               timeout=10).stdout.strip()
        return (rev or "?") + ("+dirty" if dirty else "")
    except Exception:
        return "?"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def aggregate(runs: list[dict]) -> dict:
    """Median over repeats of each system's figures."""
    agg = {"runs": len(runs), "info": runs[0]["info"], "items": runs[0].get("items"),
           "item_size": runs[0].get("item_size"), "workloads": {}, "errors": {}}
    names = sorted({k for r in runs for k in r["workloads"]})
    for w in names:
        recs = [r["workloads"][w] for r in runs if w in r["workloads"]]
        ops = median([x["ops_per_s"] for x in recs])
        agg["workloads"][w] = {
            "ops": recs[0]["ops"], "ops_per_s": ops, "us_per_op": 1e6 / ops if ops else None,
            "cpu_us_per_op": median([x["cpu_seconds"] / x["ops"] * 1e6 for x in recs]),
            "all_ops_per_s": [x["ops_per_s"] for x in recs],
            "checks_failed": [x["check_failed"] for x in recs if "check_failed" in x]}
    for r in runs:
        agg["errors"].update(r.get("errors") or {})
    for k in ("peak_rss", "baseline_rss", "disk_bytes", "reopen_seconds"):
        agg[k] = median([r.get(k) for r in runs])
    return agg


def fmt_ops(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def fmt_ratio(x):
    if x is None:
        return "-"
    return f"{x:.0f}x" if x >= 100 else f"{x:.1f}x" if x >= 10 else f"{x:.2f}x"


def rate(agg, system, key):
    r = agg.get(system, {}).get("workloads", {}).get(key)
    return r["ops_per_s"] if r else None


def columns(done: list[str]) -> list[tuple[str, str, str]]:
    """(label, system, api) of each figure column."""
    cols = []
    for s in done:
        if s == "sqlite":
            cols.append(("sqlite", s, "sql"))
        else:
            cols += [(f"{s} Table", s, "table"), (f"{s} client", s, "client")]
    return cols


def ratio_columns(done: list[str]) -> list[tuple[str, tuple, tuple]]:
    """(label, (system, api) numerator, (system, api) denominator): speed ratios."""
    out = []
    if "dyncore" in done:
        for api, lab in (("table", "Table"), ("client", "client")):
            if "moto" in done:
                out.append((f"dyncore {lab} ÷ moto {lab}", ("dyncore", api), ("moto", api)))
        for api, lab in (("table", "Table"), ("client", "client")):
            if "sqlite" in done:
                out.append((f"dyncore {lab} ÷ sqlite", ("dyncore", api), ("sqlite", "sql")))
    elif "moto" in done and "sqlite" in done:
        out.append(("sqlite ÷ moto client", ("sqlite", "sql"), ("moto", "client")))
    return out


def applies(w: str, api: str) -> bool:
    """Whether workload w runs through api ("table", "client" or "sql") at all."""
    if api == "sql":
        return w not in NO_SQL
    return not (api == "table" and w in CLIENT_ONLY)


def build_rows(agg: dict, done: list[str], wl: list[str]):
    """Figures per workload; "n/a" where a workload does not run on that API or system,
    "-" where it should have but has no figure (an error)."""
    cols, rcols = columns(done), ratio_columns(done)
    header = ["workload"] + [c[0] for c in cols] + [r[0] for r in rcols]
    rows = []
    for w in wl:
        row = [f"{w} ({UNITS[w]})"]
        for _lab, s, api in cols:
            row.append(fmt_ops(rate(agg, s, f"{w}/{api}")) if applies(w, api) else "n/a")
        for _lab, (s1, a1), (s2, a2) in rcols:
            if not (applies(w, a1) and applies(w, a2)):
                row.append("n/a")
                continue
            x, y = rate(agg, s1, f"{w}/{a1}"), rate(agg, s2, f"{w}/{a2}")
            row.append(fmt_ratio(x / y) if x and y else "-")
        rows.append(row)
    return header, rows


def targets(agg: dict, wl: list[str]) -> list[tuple[str, str, str]]:
    """(target, PASS/MISS/n/a, measured) for the issue's targets."""
    out = []
    for w, goal in (("put_item", TARGET_PUT), ("get_item", TARGET_GET)):
        if w not in wl:
            continue
        x = rate(agg, "dyncore", f"{w}/table")
        out.append((f"dyncore Table API {w} >= {goal:,} items/s",
                    "n/a" if x is None else "PASS" if x >= goal else "MISS",
                    "not measured" if x is None else f"{x:,.0f} items/s"))
    if "update_item" in wl:
        x = rate(agg, "dyncore", "update_item/client")
        y = rate(agg, "dyncore", "put_item/client")
        ok = None if not (x and y) else x >= y / TARGET_UPDATE_COST
        out.append((f"dyncore conditional update_item <= {TARGET_UPDATE_COST:g}x put_item cost "
                    f"(client: update_item items/s >= put_item items/s / {TARGET_UPDATE_COST:g})",
                    "n/a" if ok is None else "PASS" if ok else "MISS",
                    ("not measured" + ("" if "put_item" in wl else " (run put_item too)"))
                    if ok is None else f"update_item costs {y / x:.2f}x a put_item "
                                       f"({x:,.0f} vs {y:,.0f} items/s)"))
    for w in wl:
        for api, lab in (("table", "Table API"), ("client", "client")):
            if not applies(w, api):
                continue
            x, y = rate(agg, "dyncore", f"{w}/{api}"), rate(agg, "moto", f"{w}/{api}")
            measured = ("not measured" if not (x and y)
                        else f"{x / y:.1f}x ({x:,.0f} vs {y:,.0f} {UNITS[w]})")
            if w in MOTO_INFO:
                out.append((f"{w} {lab} vs moto (info)", "info", measured))
                continue
            ok = None if not (x and y) else x / y >= TARGET_MOTO_RATIO
            out.append((f"{w} {lab} >= {TARGET_MOTO_RATIO:.0f}x moto",
                        "n/a" if ok is None else "PASS" if ok else "MISS", measured))
    return out


def new_workloads_note(pa: dict) -> str:
    fp, mfp = pa.get("filter_parts"), pa.get("moto_filter_parts")
    fq, mfq = pa.get("filter_queries"), pa.get("moto_filter_queries")
    return (f"Client only (wire form): update_item = UpdateItem \"{UPDATE_EXPR}\" with "
            f"\"{UPDATE_COND}\" on every loaded item once, random order (items/s); cond_put = "
            f"PutItem with \"{COND_PUT_COND}\" into a fresh table (items/s); filter_query = "
            f"Query pk = :p with FilterExpression \"{FILTER_EXPR}\" (:lim {FILTER_AGE}, keeps "
            f"about 10%) over a partition of {FILTER_PER_PK:,} items, every page "
            f"(queries/s; table of {fp} partitions, {fq} queries; moto {mfp} partitions, "
            f"{mfq} queries); transact_write = TransactWriteItems of {TX_SIZE} Puts of new "
            f"items into a fresh table (items/s; moto: at most {pa.get('moto_tx_num')} items, "
            "as it deep-copies the table for every item of a transaction); gsi_put = PutItem "
            f"into a fresh table with a global secondary index {GSI_NAME} (age N HASH, sk N "
            "RANGE, ALL), every item indexed (items/s); gsi_query = Query of that index, "
            f"age = :a, Limit={QUERY_LIMIT} (queries/s). n/a: not run on "
            "that API/system (SQLite: UPDATE with json_set, "
            f"plain INSERT, BEGIN + {TX_SIZE} inserts + COMMIT; gsi_* on a table with an age "
            "column and INDEX(age, sk), SELECT ... WHERE age = ? ORDER BY sk LIMIT 10; "
            "no filter_query).")


def text_table(header, rows) -> str:
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).rjust(w[i]) if i else str(x).ljust(w[i])  # noqa: E731
                               for i, x in enumerate(r))
    return "\n".join([line(header), line(["-" * n for n in w])] + [line(r) for r in rows])


def md_table(header, rows, align=None) -> str:
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(align or (["---"] + ["---:"] * (len(header) - 1))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def machine() -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "mem_bytes": mem,
            "python": platform.python_version(), "platform": platform.platform()}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--num", type=int, default=None,
                   help="items per workload for dyncore and SQLite (default 1,000,000; "
                        "--quick: 100,000)")
    p.add_argument("--moto-num", type=int, default=None,
                   help="items per workload for moto (default 20,000; --quick: 5,000)")
    p.add_argument("--quick", action="store_true", help="--num 100000 --moto-num 5000")
    p.add_argument("--queries", type=int, default=0,
                   help="queries for dyncore and SQLite (0: num/10; moto: moto-num/10)")
    p.add_argument("--moto-queries", type=int, default=100,
                   help="queries for moto, at most (moto's Query reads every item of the "
                        "table: 0.1-0.4 s each on 20,000 items)")
    p.add_argument("--filter-parts", type=int, default=None,
                   help=f"filter_query: partitions of {FILTER_PER_PK:,} items in its table, "
                        "dyncore and SQLite (default 50; --quick: 10)")
    p.add_argument("--moto-filter-parts", type=int, default=None,
                   help="filter_query: partitions for moto (default 3; --quick: 2; moto's "
                        "Query reads its whole table)")
    p.add_argument("--filter-queries", type=int, default=None,
                   help="filter_query: queries, dyncore (default 1,000; --quick: 200)")
    p.add_argument("--moto-filter-queries", type=int, default=None,
                   help="filter_query: queries for moto (default 30; --quick: 10)")
    p.add_argument("--moto-tx-num", type=int, default=None,
                   help="transact_write: items for moto, at most (default 1,000; --quick: "
                        "500; moto deep-copies the table for every item of a transaction, "
                        "so its rate falls as the table grows)")
    p.add_argument("--per-pk", type=int, default=20,
                   help="items per partition key (>= 10, so that a Query with Limit=10 "
                        "returns 10 items)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--dyncore-sync", default=None, choices=["commit", "interval", "none"],
                   help="dyncore.open(sync=...); default: dyncore's default (interval)")
    p.add_argument("--no-reopen", action="store_true",
                   help="do not close and reopen the database between the puts and the reads")
    p.add_argument("--only", default=",".join(SYSTEMS), help="systems, comma-separated")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per system (order rotates); the table shows medians")
    p.add_argument("--profile", action="store_true",
                   help="after the benchmark, profile dyncore's Table API put_item and "
                        "get_item (cProfile, and py-spy if it works)")
    p.add_argument("--profile-only", action="store_true", help="profile, no benchmark")
    p.add_argument("--profile-num", type=int, default=None,
                   help="items for --profile (default min(num, 200,000))")
    p.add_argument("--profile-top", type=int, default=25, help="functions shown per profile")
    p.add_argument("--py-spy", default=None, help="path of py-spy (default: on PATH or "
                   "beside the Python executable)")
    p.add_argument("--dir", default=None, help="parent of the temporary directories "
                   "(default: the system temp dir if on the same disk as the repo, else bench/out)")
    p.add_argument("--keep", action="store_true", help="keep the database directories")
    p.add_argument("--json", default=None, help="write the results as JSON here")
    p.add_argument("--md", default=None, help="also write the markdown block here")
    p.add_argument("--from-json", metavar="PATH",
                   help="do not run: print the tables again from an earlier --json file")
    p.add_argument("--child", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.num is None:
        a.num = 100_000 if a.quick else 1_000_000
    if a.moto_num is None:
        a.moto_num = 5_000 if a.quick else 20_000
    for k, full, quick in (("filter_parts", 50, 10), ("moto_filter_parts", 3, 2),
                           ("filter_queries", 1000, 200), ("moto_filter_queries", 30, 10),
                           ("moto_tx_num", 1000, 500)):
        if getattr(a, k) is None:
            setattr(a, k, quick if a.quick else full)
        if getattr(a, k) < 1:
            p.error(f"--{k.replace('_', '-')} must be >= 1")
    if a.profile_num is None:
        a.profile_num = min(a.num, 200_000)
    if a.per_pk < 1:
        p.error("--per-pk must be >= 1")
    return p, a


def main(argv=None):
    p, a = parse_args(argv)
    if a.child:
        child(*a.child)
        return 0
    if a.from_json:
        return rerender(a.from_json, a.json, a.md)
    systems = [s.strip() for s in a.only.split(",") if s.strip()]
    wl = [w.strip() for w in a.workloads.split(",") if w.strip()]
    for s in systems:
        if s not in SYSTEMS:
            p.error(f"unknown system {s!r} (choose from {', '.join(SYSTEMS)})")
    for w in wl:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r} (choose from {', '.join(WORKLOADS)})")
    wl = [w for w in WORKLOADS if w in wl]

    base = Path(tempfile.mkdtemp(prefix="dyncore-items-", dir=a.dir or default_dir()))
    cmdline = "python " + " ".join(shlex.quote(x) for x in [os.path.relpath(sys.argv[0], ROOT)]
                                   + sys.argv[1:])
    started = _dt.datetime.now(_dt.timezone.utc)
    childargs = {k: v for k, v in vars(a).items() if k != "child"}
    runs: dict[str, list] = {s: [] for s in systems}
    failed: dict[str, str] = {}
    prof = None
    try:
        if not a.profile_only:
            log(f"items bench: {a.num:,} items (moto {a.moto_num:,}), systems {systems}, "
                f"workloads {wl}, dir {base}")
            for rep in range(a.repeat):
                order = systems[rep % len(systems):] + systems[:rep % len(systems)]
                for s in order:
                    if s in failed:
                        continue
                    d = base / f"{s}-{rep}"
                    d.mkdir()
                    spec = base / f"{s}-{rep}.spec.json"
                    out = base / f"{s}-{rep}.out.json"
                    spec.write_text(json.dumps({"system": s, "dir": str(d), "workloads": wl,
                                                "args": childargs}))
                    log(f"[{s}] run {rep + 1}/{a.repeat}")
                    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                                        str(spec), str(out)], cwd=ROOT)
                    if out.exists():
                        runs[s].append(json.loads(out.read_text()))
                    if r.returncode != 0 or not out.exists():
                        failed[s] = f"child exited with status {r.returncode}"
                        log(f"[{s}] FAILED ({failed[s]}); skipping this system")
                    if not a.keep:
                        shutil.rmtree(d, ignore_errors=True)
        if a.profile or a.profile_only:
            prof = run_profile(a, base, childargs)
    finally:
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)

    params = {k: getattr(a, k) for k in ("num", "moto_num", "queries", "moto_queries", "per_pk",
                                         "seed", "repeat", "dyncore_sync", "no_reopen", "quick",
                                         "filter_parts", "moto_filter_parts", "filter_queries",
                                         "moto_filter_queries", "moto_tx_num")}
    meta = {"command": cmdline, "date": started.isoformat(), "machine": machine(),
            "git": git_rev(), "params": params, "workloads": wl,
            "systems_requested": systems}
    rc = 0
    if not a.profile_only:
        rc = report(meta, runs, failed, a.json, a.md, prof)
    if prof is not None:
        print_profile(prof, a)
        if a.profile_only and a.json:
            Path(a.json).parent.mkdir(parents=True, exist_ok=True)
            Path(a.json).write_text(json.dumps({**meta, "profile": prof}, indent=1))
    return rc


def report(meta: dict, runs: dict, failed: dict, json_path=None, md_path=None,
           prof=None) -> int:
    """Print the tables (text, then markdown) and write JSON / markdown files."""
    pa = meta["params"]
    systems = meta["systems_requested"]
    wl = meta["workloads"]
    done = [s for s in systems if runs.get(s) and runs[s][0]["workloads"]]
    agg = {s: aggregate(runs[s]) for s in systems if runs.get(s)}
    header, rows = build_rows(agg, done, wl) if done else ([], [])
    tg = targets(agg, wl)
    date = _dt.datetime.fromisoformat(meta["date"]).strftime("%Y-%m-%d %H:%M UTC")
    mach = meta["machine"]
    cmdline = meta["command"]
    size = next((agg[s]["item_size"] for s in done if agg[s].get("item_size")), None)
    size_txt = (f"about {size['dynamodb_bytes']:.0f} B by DynamoDB's item-size rules "
                f"({size['json_wire_bytes']:.0f} B as JSON of the wire form)") if size else ""
    mem = f", {mach['mem_bytes'] / (1 << 30):.0f} GiB RAM" if mach.get("mem_bytes") else ""
    env = (f"{mach['cpus']} CPUs ({mach['cpu']}){mem}, Python {mach['python']}, "
           f"{mach['platform']}")

    print()
    print(f"items bench — {date} — {cmdline}")
    print(f"  git {meta.get('git', '?')}; {env}")
    print(f"  dyncore and sqlite: {pa['num']:,} items; moto: {pa['moto_num']:,} items; "
          f"{pa['per_pk']} items per partition key; items {size_txt}; "
          f"median of {pa['repeat']} run(s)")
    if rows:
        print(text_table(header, rows))
    print("Rates are per second (median of the runs): put_item/get_item items, query "
          f"queries of Limit={QUERY_LIMIT} (10 items each), batch_write items in "
          f"BatchWriteItem calls of {BATCH}. Ratios: speed of the first ÷ speed of the "
          "second (>1: the first is faster).")
    if any(w in CLIENT_ONLY for w in wl):
        print(new_workloads_note(pa))
    if tg:
        print()
        print("Targets:")
        for t, st, m in tg:
            print(f"  {st:<4}  {t}: {m}")
    for s in agg:
        i = agg[s]["info"]
        rss = agg[s].get("peak_rss")
        print(f"  {s}: {i['module']}" + (f"; {i['notes']}" if i.get("notes") else "")
              + (f"; peak RSS {rss / MiB:.0f} MiB" if rss else ""))
        for w, r in agg[s]["workloads"].items():
            for c in r["checks_failed"]:
                print(f"  {s} {w}: CHECK FAILED: {c}")
        for w, tb in agg[s]["errors"].items():
            print(f"  {s} {w}: ERROR: {err_summary(tb)}")
    for s, why in failed.items():
        print(f"  {s}: FAILED — {why}")

    md = [f"### items bench, {date}", "",
          f"Command: `{cmdline}` (git {meta.get('git', '?')})", "",
          f"{pa['num']:,} items for dyncore and SQLite, {pa['moto_num']:,} for moto (rates "
          f"are per operation, so comparable); {pa['per_pk']} items per partition key; "
          f"items {size_txt}: pk S, sk N, name S, email S, age N, active BOOL, scores L of 8 N. "
          f"{env}; median of {pa['repeat']} run(s).", ""]
    if rows:
        md += [md_table(header, rows), ""]
    md += ["Rates per second: items for put_item, get_item and batch_write (BatchWriteItem "
           f"of {BATCH} items per call), queries for query (Limit={QUERY_LIMIT}, 10 items "
           "each). Ratios are speed ratios (>1: dyncore is faster). \"Table\" is the "
           "boto3-resource-shaped API on native values, \"client\" the low-level client on "
           "the wire form; SQLite stores json.dumps of the wire form and json.loads it on "
           "reads (one figure per workload). moto's Query reads every item of its table, so "
           f"its query rate is for a table of {pa['moto_num']:,} items and falls as the table "
           "grows.", ""]
    if any(w in CLIENT_ONLY for w in wl):
        md += [new_workloads_note(pa), ""]
    md += ["Systems: " + "; ".join(f"{s} — {agg[s]['info']['module']}"
                                   + (f" ({agg[s]['info']['notes']})"
                                      if agg[s]['info'].get('notes') else "")
                                   for s in done) + "."]
    if tg:
        md += ["", md_table(["target", "result", "measured"], [list(t) for t in tg],
                            ["---", "---", "---"])]
    bad = [f"{s} {w}: {c}" for s in agg for w, r in agg[s]["workloads"].items()
           for c in r["checks_failed"]]
    bad += [f"{s} {w}: error {err_summary(tb)}"
            for s in agg for w, tb in agg[s]["errors"].items()]
    bad += [f"{s}: {why}" for s, why in failed.items()]
    if bad:
        md += ["", "Problems: " + "; ".join(bad) + "."]
    md_text = "\n".join(md)
    print()
    print(md_text)

    result = {**meta, "systems": agg, "failed": failed, "raw": runs, "markdown": md_text}
    if prof is not None:
        result["profile"] = prof
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(result, indent=1, default=repr))
    if md_path:
        Path(md_path).parent.mkdir(parents=True, exist_ok=True)
        Path(md_path).write_text(md_text + "\n")
    return 1 if failed or bad else 0


def rerender(path: str, json_path=None, md_path=None) -> int:
    """Print the tables again from a --json file (e.g. after changing the report)."""
    d = json.loads(Path(path).read_text())
    meta = {k: d.get(k) for k in ("command", "date", "machine", "git", "params", "workloads")}
    meta["systems_requested"] = d.get("systems_requested") or list(d["raw"])
    return report(meta, d["raw"], d["failed"], json_path, md_path)


if __name__ == "__main__":
    sys.exit(main())
