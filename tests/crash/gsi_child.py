"""Child of test_gsi_crash.py: three threads write random items of a table
with a global secondary index (puts, updates that set, change and remove
the index keys, deletes, batch writes, transactions) until the parent
SIGKILLs it."""
import random
import sys
import threading

import dyncore

path, cycle, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = dyncore.open(path, split_bytes=64 * 1024)
c = db.client()
if cycle == 0:
    c.create_table(
        TableName="crash", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"},
                              {"AttributeName": "gs", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{
            "IndexName": "byG",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                          {"AttributeName": "gs", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}])


def item(rnd, pk):
    it = {"pk": {"S": pk}, "v": {"S": "x" * rnd.randrange(1, 300)}}
    if rnd.random() < 0.8:
        it["g"] = {"S": f"g{rnd.randrange(5)}"}
    if rnd.random() < 0.8:
        it["gs"] = {"N": str(rnd.randrange(100))}
    return it


def writer(t: int) -> None:
    rnd = random.Random(seed * 31 + t)
    while True:
        pk = f"k{rnd.randrange(300)}"
        r = rnd.random()
        if r < 0.35:
            c.put_item(TableName="crash", Item=item(rnd, pk))
        elif r < 0.6:
            attr = rnd.choice(["g", "gs"])
            if rnd.random() < 0.3:
                c.update_item(TableName="crash", Key={"pk": {"S": pk}},
                              UpdateExpression=f"REMOVE {attr}")
            else:
                v = {"S": f"g{rnd.randrange(5)}"} if attr == "g" else {"N": str(rnd.randrange(9))}
                c.update_item(TableName="crash", Key={"pk": {"S": pk}},
                              UpdateExpression=f"SET {attr} = :v",
                              ExpressionAttributeValues={":v": v})
        elif r < 0.7:
            c.delete_item(TableName="crash", Key={"pk": {"S": pk}})
        elif r < 0.85:
            pks = {f"k{rnd.randrange(300)}" for _ in range(rnd.randrange(1, 8))}
            reqs = [{"PutRequest": {"Item": item(rnd, p)}} if rnd.random() < 0.7
                    else {"DeleteRequest": {"Key": {"pk": {"S": p}}}} for p in pks]
            c.batch_write_item(RequestItems={"crash": reqs})
        else:
            pks = {f"k{rnd.randrange(300)}" for _ in range(rnd.randrange(1, 4))}
            acts = [{"Put": {"TableName": "crash", "Item": item(rnd, p)}} if rnd.random() < 0.7
                    else {"Delete": {"TableName": "crash", "Key": {"pk": {"S": p}}}}
                    for p in pks]
            try:
                c.transact_write_items(TransactItems=acts)
            except c.exceptions.TransactionCanceledException:
                pass


print("ready", flush=True)
threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(3)]
for th in threads:
    th.start()
for th in threads:
    th.join()
