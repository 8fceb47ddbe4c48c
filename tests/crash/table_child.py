"""Child of test_table_crash.py: writes items through the embedded client
from 3 threads, with a tiny split threshold so that partitions split while
it writes, and prints each acknowledged write ("put <pk>" / "del <pk>")
after the call returned. The parent SIGKILLs it at a random moment."""
import random
import sys
import threading

import dyncore

path, cycle, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = dyncore.open(path, split_bytes=32 * 1024)
c = db.client()
if cycle == 0:
    c.create_table(TableName="crash", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
out = sys.stdout
lock = threading.Lock()


def value_for(pk: str) -> str:
    return pk * 5


def writer(t: int) -> None:
    rnd = random.Random(seed * 31 + t)
    i = 0
    while True:
        i += 1
        pk = f"c{cycle}-t{t}-{i}"
        c.put_item(TableName="crash", Item={"pk": {"S": pk}, "v": {"S": value_for(pk)}})
        line = f"put {pk}\n"
        if rnd.random() < 0.2:
            c.delete_item(TableName="crash", Key={"pk": {"S": pk}})
            line += f"del {pk}\n"
        with lock:
            out.write(line)
            out.flush()


print("ready", flush=True)
threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(3)]
for th in threads:
    th.start()
for th in threads:
    th.join()
