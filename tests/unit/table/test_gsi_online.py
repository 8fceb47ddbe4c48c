"""Global secondary indexes added and removed by UpdateTable: a backfill in
the background while writers keep writing ends equal to the model; a
backfill cut short by close starts over at open; Delete goes through
DELETING; DynamoDB's one-online-change limit."""
import random
import threading
import time

import pytest

import dyncore
from dyncore.errors import LimitExceededException, ValidationException

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
        make(c)
        rnd = random.Random(9)
        for i in range(5000):
            it = item(rnd, f"k{i}")
            c.put_item(TableName="onl", Item=it)
            model[f"k{i}"] = it
        c.update_table(TableName="onl", AttributeDefinitions=DEFS,
                       GlobalSecondaryIndexUpdates=[CREATE])
        with pytest.raises(LimitExceededException):
            c.update_table(TableName="onl", GlobalSecondaryIndexUpdates=[
                {"Delete": {"IndexName": "byG"}}])
    with dyncore.open(path, sync="none") as db:   # the backfill starts over
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
