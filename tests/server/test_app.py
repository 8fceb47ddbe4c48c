"""The HTTP server in process: while a transaction holds an item's lock, a
single-item write to that item waits in the worker pool, not on the event
loop, so other requests are still answered."""
import concurrent.futures
import threading

import dyncore
from tests.server.inproc import Running


def test_writes_behind_a_transaction_do_not_block_the_loop(tmp_path):
    db = dyncore.open(tmp_path / "d", sync="none")
    srv = Running(db)
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
    calls = concurrent.futures.ThreadPoolExecutor(4)
    try:
        txn = calls.submit(srv.call, "TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": "tba", "Item": {"pk": {"S": "k"}, "v": {"N": "1"}}}},
            {"Put": {"TableName": "tbb", "Item": {"pk": {"S": "k"}}}}]})
        assert in_commit.wait(20)
        # a write to the locked item: must wait off the loop
        blocked = calls.submit(srv.call, "PutItem", {
            "TableName": "tba", "Item": {"pk": {"S": "k"}, "v": {"N": "2"}}})
        try:
            blocked.result(0.1)
        except concurrent.futures.TimeoutError:
            pass
        # meanwhile the loop answers others
        status, body = srv.call("GetItem", {"TableName": "tba", "Key": {"pk": {"S": "other"}}},
                                timeout=20)
        assert status == 200 and body["Item"]["pk"] == {"S": "other"}
        assert not blocked.done()
        release.set()
        assert txn.result(20)[0] == 200
        assert blocked.result(20)[0] == 200
        assert c.get_item(TableName="tba", Key={"pk": {"S": "k"}})["Item"]["v"] == {"N": "2"}
    finally:
        release.set()
        calls.shutdown()
        srv.close()
        db.close()
