"""Crash tests of transactions: a TransactWriteItems across two tables (so
through the transaction log) is killed at each step of its commit, and a
child running transactions in a loop is killed at random moments. After
each kill the database must open with every transaction whole or absent:
in each table, a counter k and exactly the items x<max(0, k-3)> .. x<k-1>
(see txn_child.py), and every acknowledged transaction present."""
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dyncore

CHILD = Path(__file__).with_name("txn_child.py")
ROOT = Path(__file__).resolve().parents[2]
STEPS = ("before-log", "logged", "applied-0", "applied-1", "done")


def _env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))


def make_tables(path):
    with dyncore.open(path) as db:
        c = db.client()
        for t in ("tba", "tbb"):
            c.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")


def table_state(c, table):
    """The table's counter, after checking that it holds exactly the items
    that counter implies."""
    items = []
    esk = None
    while True:
        page = c.scan(TableName=table, **({"ExclusiveStartKey": esk} if esk else {}))
        items += page["Items"]
        esk = page.get("LastEvaluatedKey")
        if not esk:
            break
    counter = [i for i in items if i["pk"]["S"] == "counter"]
    k = int(counter[0]["v"]["N"]) if counter else 0
    xs = sorted((i["pk"]["S"], i["n"]["N"]) for i in items if i["pk"]["S"] != "counter")
    want = sorted((f"x{i}", str(i)) for i in range(max(0, k - 3), k))
    assert xs == want, f"table {table}: counter {k} but items {xs}: half a transaction"
    return k


def test_kill_at_each_commit_step(tmp_path):
    path = tmp_path / "db"
    make_tables(path)
    expect = 0
    for rounds in range(2):
        for step in STEPS:
            p = subprocess.run([sys.executable, str(CHILD), str(path), "step", step],
                               capture_output=True, env=_env(), timeout=120)
            out = p.stdout.decode()
            assert out.startswith("ready"), (out, p.stderr.decode())
            assert p.returncode == -signal.SIGKILL, (step, out, p.stderr.decode())
            assert "committed" not in out
            if step != "before-log":
                expect += 1   # the record was durable: recovery finishes it
            with dyncore.open(path) as db:
                c = db.client()
                assert table_state(c, "tba") == expect, step
                assert table_state(c, "tbb") == expect, step
                assert db.txlog.pending() == []


def _loop_cycles(path, cycles, seed):
    rnd = random.Random(seed)
    acked = 0
    for _ in range(cycles):
        p = subprocess.Popen([sys.executable, str(CHILD), str(path), "loop",
                              str(rnd.getrandbits(32))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
        first = p.stdout.readline()
        assert first == b"ready\n", (first, p.stderr.read())
        time.sleep(rnd.uniform(0.05, 0.4))
        os.kill(p.pid, signal.SIGKILL)
        rest = p.stdout.read().decode().split()
        p.wait()
        oks = [int(x) for x in rest if x.isdigit()]
        if oks:
            acked = max(acked, max(oks))
        with dyncore.open(path) as db:
            c = db.client()
            ka, kb = table_state(c, "tba"), table_state(c, "tbb")
            assert ka >= acked and kb >= acked, "an acknowledged transaction was lost"
            assert abs(ka - kb) <= 1
            if kb > ka:
                # a one-table transaction on "tbb" is only ever run after "tba"'s
                raise AssertionError(f"b ahead of a: {ka} {kb}")
            # bring b level with a, as the child would have next
            if ka > kb:
                items = [{"Put": {"TableName": "tbb", "Item": {"pk": {"S": f"x{kb}"},
                                                             "n": {"N": str(kb)}}}},
                         {"Update": {"TableName": "tbb", "Key": {"pk": {"S": "counter"}},
                                     "UpdateExpression": "ADD v :one",
                                     "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
                if kb >= 3:
                    items.append({"Delete": {"TableName": "tbb",
                                             "Key": {"pk": {"S": f"x{kb - 3}"}}}})
                c.transact_write_items(TransactItems=items)
    assert acked > 0, "the child never got going"


def test_kill_transactions_at_random(tmp_path):
    path = tmp_path / "db"
    make_tables(path)
    _loop_cycles(path, 6, 1)


def test_kill_conditional_updates_at_random(tmp_path):
    """A counter advanced only by conditional updates (v = old + 1 if v =
    old): after each kill it holds every acknowledged step and at most the
    one in flight."""
    path = tmp_path / "db"
    make_tables(path)
    rnd = random.Random(3)
    acked = 0
    for _ in range(4):
        p = subprocess.Popen([sys.executable, str(CHILD), str(path), "cond",
                              str(rnd.getrandbits(32))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
        first = p.stdout.readline()
        assert first == b"ready\n", (first, p.stderr.read())
        time.sleep(rnd.uniform(0.05, 0.3))
        os.kill(p.pid, signal.SIGKILL)
        oks = [int(x) for x in p.stdout.read().decode().split() if x.isdigit()]
        p.wait()
        if oks:
            acked = max(oks)
        with dyncore.open(path) as db:
            got = db.client().get_item(TableName="tba", Key={"pk": {"S": "cond"}}).get("Item")
            v = int(got["v"]["N"]) if got else 0
            assert acked <= v <= acked + 1, (acked, v)
            acked = v
    assert acked > 0, "the child never got going"


@pytest.mark.long
def test_kill_transactions_at_random_long(tmp_path):
    path = tmp_path / "db"
    make_tables(path)
    _loop_cycles(path, 100, 2)
