"""Child process of test_txn_crash.py.

    txn_child.py <path> step <step name>
        one transaction across tables "tba" and "tbb"; the process SIGKILLs
        itself when the commit reaches <step name> (TxnLog hook names).
    txn_child.py <path> loop <seed>
        transactions in a loop until killed, printing "ok <n>" after each.
    txn_child.py <path> cond <seed>
        conditional updates of one counter (SET v = :new if v = :old) in a
        loop until killed, printing "ok <n>" after each.
"""
import os
import random
import signal
import sys

import dyncore


def one(c, n, tables=("tba", "tbb")):
    """Transaction n: in each table, put item x<n>, add 1 to the counter and
    delete x<n-3>. So a table whose counter is k holds exactly the items
    x<max(0, k-3)> .. x<k-1>: anything else is half a transaction."""
    items = []
    for t in tables:
        items.append({"Put": {"TableName": t, "Item": {"pk": {"S": f"x{n}"},
                                                       "n": {"N": str(n)}}}})
        items.append({"Update": {"TableName": t, "Key": {"pk": {"S": "counter"}},
                                 "UpdateExpression": "ADD v :one",
                                 "ExpressionAttributeValues": {":one": {"N": "1"}}}})
        if n >= 3:
            items.append({"Delete": {"TableName": t, "Key": {"pk": {"S": f"x{n - 3}"}}}})
    c.transact_write_items(TransactItems=items)


def main():
    path, mode = sys.argv[1], sys.argv[2]
    db = dyncore.open(path, sync="commit")
    c = db.client()
    start = int(c.get_item(TableName="tba", Key={"pk": {"S": "counter"}})
                .get("Item", {}).get("v", {}).get("N", "0"))
    if mode == "step":
        step = sys.argv[3]

        def hook(name):
            if name == step:
                os.kill(os.getpid(), signal.SIGKILL)
        db.txlog.hooks = hook
        print("ready", flush=True)
        one(c, start)
        print("committed", flush=True)
        db.close()
        return
    rnd = random.Random(int(sys.argv[3]))
    if mode == "cond":
        key = {"pk": {"S": "cond"}}
        got = c.get_item(TableName="tba", Key=key).get("Item")
        n = int(got["v"]["N"]) if got else 0
        print("ready", flush=True)
        while True:
            cond = ("attribute_not_exists(v)" if n == 0 else "v = :old")
            values = {":new": {"N": str(n + 1)}}
            if n:
                values[":old"] = {"N": str(n)}
            c.update_item(TableName="tba", Key=key, UpdateExpression="SET v = :new, #p = :pad",
                          ConditionExpression=cond, ExpressionAttributeNames={"#p": "pad"},
                          ExpressionAttributeValues=dict(values, **{":pad": {"S": "p" * rnd.randrange(2000)}}))
            n += 1
            print(f"ok {n}", flush=True)
    print("ready", flush=True)
    n = start
    while True:
        tables = ("tba", "tbb") if rnd.random() < 0.7 else ("tba",)
        if tables != ("tba", "tbb"):
            # keep both tables' counters in step: a one-table transaction
            # then the other one, each atomic on its own
            one(c, n, ("tba",))
            one(c, n, ("tbb",))
        else:
            one(c, n)
        n += 1
        print(f"ok {n}", flush=True)


if __name__ == "__main__":
    main()
