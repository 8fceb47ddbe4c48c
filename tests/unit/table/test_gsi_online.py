"""Global secondary indexes added and removed by UpdateTable: a backfill in
the background while writers keep writing ends equal to the model; a
backfill cut short by close goes on at open, from its last checkpoint;
it consumes a provisioned index's write capacity and waits when there is
none; Delete goes through DELETING; DynamoDB's one-online-change limit."""
import random
import threading
import time

import pytest

import dyncore
from dyncore.clock import ManualClock
from dyncore.database import Database
from dyncore.errors import LimitExceededException, ValidationException
from dyncore.table.index import Index

CREATE = {"Create": {"IndexName": "byG",
                     "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                   {"AttributeName": "n", "KeyType": "RANGE"}],
                     "Projection": {"ProjectionType": "ALL"}}}
DEFS = [{"AttributeName": "g", "AttributeType": "S"},
        {"AttributeName": "n", "AttributeType": "N"}]


def make(c):
    c.create_table(TableName="onl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")


def item(rnd, pk):
    it = {"pk": {"S": pk}}
    if rnd.random() < 0.8:
        it["g"] = {"S": f"g{rnd.randrange(4)}"}
    if rnd.random() < 0.8:
        it["n"] = {"N": str(rnd.randrange(50))}
    return it


def wait_active(c, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        gs = c.describe_table(TableName="onl")["Table"].get("GlobalSecondaryIndexes") or []
        if all(g["IndexStatus"] == "ACTIVE" for g in gs):
            return gs
        time.sleep(0.01)
    raise AssertionError("index never became ACTIVE")


def fill_then_index(c, model, n, seed):
    """Create the table, put n random items (kept in model), then add byG."""
    make(c)
    rnd = random.Random(seed)
    for i in range(n):
        it = item(rnd, f"k{i:04}")
        c.put_item(TableName="onl", Item=it)
        model[f"k{i:04}"] = it
    c.update_table(TableName="onl", AttributeDefinitions=DEFS,
                   GlobalSecondaryIndexUpdates=[CREATE])


def index_rows(c):
    out, esk = [], None
    while True:
        r = c.scan(TableName="onl", IndexName="byG", **({"ExclusiveStartKey": esk} if esk else {}))
        out += r["Items"]
        esk = r.get("LastEvaluatedKey")
        if not esk:
            return sorted(map(repr, out))


def expected(model):
    return sorted(repr(i) for i in model.values() if "g" in i and "n" in i)


def test_backfill_during_concurrent_writes(tmp_path):
    with dyncore.open(tmp_path / "d", sync="none") as db:
        c = db.client()
        make(c)
        rnd = random.Random(5)
        model = {}
        for i in range(3000):
            it = item(rnd, f"k{i}")
            c.put_item(TableName="onl", Item=it)
            model[f"k{i}"] = it
        stop = threading.Event()
        models = [{} for _ in range(3)]

        def writer(t):   # each thread owns the keys k<n> with n % 3 == t
            r = random.Random(t)
            while not stop.is_set():
                pk = f"k{r.randrange(1000) * 3 + t}"
                if r.random() < 0.2:
                    c.delete_item(TableName="onl", Key={"pk": {"S": pk}})
                    models[t][pk] = None
                else:
                    it = item(r, pk)
                    c.put_item(TableName="onl", Item=it)
                    models[t][pk] = it
        threads = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
        for th in threads:
            th.start()
        time.sleep(0.05)
        out = c.update_table(TableName="onl", AttributeDefinitions=DEFS,
                             GlobalSecondaryIndexUpdates=[CREATE])
        g = out["TableDescription"]["GlobalSecondaryIndexes"][0]
        assert g["IndexStatus"] in ("CREATING", "ACTIVE")
        if g["IndexStatus"] == "CREATING":
            assert g["Backfilling"] is True
        time.sleep(0.2)
        wait_active(c)
        stop.set()
        for th in threads:
            th.join()
        for m in models:
            for pk, it in m.items():
                if it is None:
                    model.pop(pk, None)
                else:
                    model[pk] = it
        assert index_rows(c) == expected(model)


def test_backfill_restarts_after_close_and_delete(tmp_path):
    path = tmp_path / "d"
    model = {}
    with dyncore.open(path, sync="none") as db:
        c = db.client()
        fill_then_index(c, model, 5000, 9)
        with pytest.raises(LimitExceededException):
            c.update_table(TableName="onl", GlobalSecondaryIndexUpdates=[
                {"Delete": {"IndexName": "byG"}}])
    with dyncore.open(path, sync="none") as db:   # the backfill goes on
        c = db.client()
        g = wait_active(c)[0]
        assert g["ItemCount"] == len(expected(model))
        assert index_rows(c) == expected(model)
        out = c.update_table(TableName="onl", GlobalSecondaryIndexUpdates=[
            {"Delete": {"IndexName": "byG"}}])
        assert out["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"] in (
            "DELETING",)
        deadline = time.monotonic() + 30
        while c.describe_table(TableName="onl")["Table"].get("GlobalSecondaryIndexes"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(ValidationException, match="does not have the specified index"):
            c.scan(TableName="onl", IndexName="byG")
        c.put_item(TableName="onl", Item={"pk": {"S": "after"}, "g": {"N": "1"}})
    with dyncore.open(path, sync="none") as db:
        assert db.table("onl").indexes == {}


def test_backfill_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    """A backfill stopped after a checkpoint does not start over at open: it
    goes on from the key recorded, and the index still ends complete."""
    path = tmp_path / "d"
    model = {}
    monkeypatch.setattr(Database, "BACKFILL_CHECKPOINT_ITEMS", 1000)
    monkeypatch.setattr(Database, "BACKFILL_CHECKPOINT_SECONDS", 1e9)
    real = Database._backfill_checkpoint
    marks = []

    def stop_after_first(self, t, idx, start):
        real(self, t, idx, start)
        marks.append(start)
        raise RuntimeError("stopped here by the test")   # the job ends, CREATING
    monkeypatch.setattr(Database, "_backfill_checkpoint", stop_after_first)
    with dyncore.open(path, sync="none") as db:
        c = db.client()
        fill_then_index(c, model, 4000, 4)
        deadline = time.monotonic() + 30
        while not marks:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        while db._index_jobs:   # the job has ended
            assert time.monotonic() < deadline
            time.sleep(0.01)
        g = db.table("onl").record["gsis"][0]
        assert g["status"] == "CREATING" and g["backfill_from"] == marks[0].hex()
    monkeypatch.setattr(Database, "_backfill_checkpoint", real)
    seen = []
    entry = Index.entry

    def counting(self, item, raw, base_key):
        seen.append(base_key)
        return entry(self, item, raw, base_key)
    monkeypatch.setattr(Index, "entry", counting)
    with dyncore.open(path, sync="none") as db:
        c = db.client()
        wait_active(c)
        assert index_rows(c) == expected(model)
        # only the items from the checkpoint on were read again
        assert seen and min(seen) >= marks[0] and 0 < len(seen) <= 4000 - 1000


def test_backfill_consumes_and_waits_for_index_write_capacity(tmp_path):
    clock = ManualClock(1_700_000_000.0)
    with dyncore.open(tmp_path / "d", sync="none", clock=clock) as db:
        c = db.client()
        c.create_table(TableName="onl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PROVISIONED",
                       ProvisionedThroughput={"ReadCapacityUnits": 5000,
                                              "WriteCapacityUnits": 5000})
        for i in range(500):
            c.put_item(TableName="onl", Item={"pk": {"S": f"k{i}"}, "g": {"S": f"g{i % 7}"},
                                              "n": {"N": str(i)}})
        create = {"Create": dict(CREATE["Create"], ProvisionedThroughput={
            "ReadCapacityUnits": 1, "WriteCapacityUnits": 1})}
        c.update_table(TableName="onl", AttributeDefinitions=DEFS,
                       GlobalSecondaryIndexUpdates=[create])
        # 300 s of burst at 1 WCU: about 300 entries, then the backfill waits
        deadline = time.monotonic() + 30
        while db.capacity_stats("onl")["indexes"]["byG"]["consumed"][1] < 300:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.3)
        g = c.describe_table(TableName="onl")["Table"]["GlobalSecondaryIndexes"][0]
        assert g["IndexStatus"] == "CREATING"
        assert db.capacity_stats("onl")["indexes"]["byG"]["consumed"][1] <= 301
        clock.advance(250)   # the bucket refills: the rest goes through
        g = wait_active(c)[0]
        assert g["ItemCount"] == 500
        assert db.capacity_stats("onl")["indexes"]["byG"]["consumed"][1] == 500
