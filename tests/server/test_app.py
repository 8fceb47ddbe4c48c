"""The ASGI app in process: while a transaction holds an item's lock, a
single-item write to that item waits in the worker pool, not on the event
loop, so other requests are still answered."""
import asyncio
import json
import threading

import dyncore
from dyncore.server import App


async def _call(app, op, body):
    sent = []
    data = json.dumps(body).encode()
    done = False

    async def receive():
        nonlocal done
        if done:
            await asyncio.sleep(3600)
        done = True
        return {"type": "http.request", "body": data, "more_body": False}

    async def send(msg):
        sent.append(msg)
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [
        (b"content-type", b"application/x-amz-json-1.0"),
        (b"x-amz-target", b"DynamoDB_20120810." + op.encode())]}
    await app(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_writes_behind_a_transaction_do_not_block_the_loop(tmp_path):
    db = dyncore.open(tmp_path / "d", sync="none")
    app = App(db)
    c = db.client()
    for t in ("tba", "tbb"):
        c.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
    c.put_item(TableName="tba", Item={"pk": {"S": "other"}})
    in_commit, release = threading.Event(), threading.Event()

    def hook(step):
        if step == "logged":
            in_commit.set()
            release.wait(30)
    db.txlog.hooks = hook

    async def main():
        txn = asyncio.ensure_future(_call(app, "TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": "tba", "Item": {"pk": {"S": "k"}, "v": {"N": "1"}}}},
            {"Put": {"TableName": "tbb", "Item": {"pk": {"S": "k"}}}}]}))
        while not in_commit.is_set():
            await asyncio.sleep(0.01)
        # a write to the locked item: must wait off the loop
        blocked = asyncio.ensure_future(_call(app, "PutItem", {
            "TableName": "tba", "Item": {"pk": {"S": "k"}, "v": {"N": "2"}}}))
        await asyncio.sleep(0.05)
        # meanwhile the loop answers others
        status, body = await asyncio.wait_for(
            _call(app, "GetItem", {"TableName": "tba", "Key": {"pk": {"S": "other"}}}), 20)
        assert status == 200 and body["Item"]["pk"] == {"S": "other"}
        assert not blocked.done()
        release.set()
        assert (await txn)[0] == 200
        assert (await blocked)[0] == 200
    try:
        asyncio.run(main())
        assert c.get_item(TableName="tba", Key={"pk": {"S": "k"}})["Item"]["v"] == {"N": "2"}
    finally:
        release.set()
        app.close()
        db.close()
