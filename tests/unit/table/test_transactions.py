"""TransactWriteItems and TransactGetItems through the embedded client:
all-or-nothing, cancellation reasons in order, duplicates, idempotency
tokens, isolation from readers, and recovery of a logged commit."""
import threading

import pytest

import dyncore

from .conftest import make_table

S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731


def err(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


@pytest.fixture
def t(client):
    make_table(client, "tba", sk=None)
    make_table(client, "tbb", sk=None)
    return client


def get(c, table, pk):
    return c.get_item(TableName=table, Key={"pk": S(pk)}).get("Item")


def put(table, pk, **attrs):
    return {"Put": {"TableName": table, "Item": {"pk": S(pk), **attrs}}}


def test_commit_across_tables(t):
    t.put_item(TableName="tba", Item={"pk": S("gone")})
    t.put_item(TableName="tbb", Item={"pk": S("n"), "v": N(1)})
    t.transact_write_items(TransactItems=[
        put("tba", "x", v=N(1)),
        {"Delete": {"TableName": "tba", "Key": {"pk": S("gone")}}},
        {"Update": {"TableName": "tbb", "Key": {"pk": S("n")}, "UpdateExpression": "ADD v :one",
                    "ConditionExpression": "v = :one",
                    "ExpressionAttributeValues": {":one": N(1)}}},
    ])
    assert get(t, "tba", "x") == {"pk": S("x"), "v": N(1)}
    assert get(t, "tba", "gone") is None
    assert get(t, "tbb", "n")["v"] == N(2)


def test_cancellation_reasons_and_nothing_written(t):
    t.put_item(TableName="tba", Item={"pk": S("exists"), "v": N(5)})
    with pytest.raises(t.exceptions.TransactionCanceledException) as e:
        t.transact_write_items(TransactItems=[
            put("tba", "new1"),
            {"ConditionCheck": {"TableName": "tba", "Key": {"pk": S("exists")},
                                "ConditionExpression": "v = :x",
                                "ExpressionAttributeValues": {":x": N(6)},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            put("tbb", "new2"),
            {"Put": {"TableName": "tbb", "Item": {"pk": S("new3")},
                     "ConditionExpression": "attribute_exists(pk)"}},
        ])
    code, msg = err(e)
    assert code == "TransactionCanceledException"
    assert msg == ("Transaction cancelled, please refer cancellation reasons for specific "
                   "reasons [None, ConditionalCheckFailed, None, ConditionalCheckFailed]")
    reasons = e.value.response["CancellationReasons"]
    assert reasons == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
         "Item": {"pk": S("exists"), "v": N(5)}},
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
    ]
    for table, pk in (("tba", "new1"), ("tbb", "new2"), ("tbb", "new3")):
        assert get(t, table, pk) is None


def test_runtime_update_error_cancels(t):
    t.put_item(TableName="tba", Item={"pk": S("s"), "v": S("text")})
    with pytest.raises(t.exceptions.TransactionCanceledException) as e:
        t.transact_write_items(TransactItems=[
            put("tbb", "x"),
            {"Update": {"TableName": "tba", "Key": {"pk": S("s")}, "UpdateExpression": "ADD v :one",
                        "ExpressionAttributeValues": {":one": N(1)}}},
        ])
    reasons = e.value.response["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ValidationError"
    assert get(t, "tbb", "x") is None


def test_request_errors(t):
    with pytest.raises(t.exceptions.ClientError) as e:
        t.transact_write_items(TransactItems=[put("tba", "x"), {"Delete": {
            "TableName": "tba", "Key": {"pk": S("x")}}}])
    assert err(e) == ("ValidationException",
                      "Transaction request cannot include multiple operations on one item")
    with pytest.raises(t.exceptions.ClientError) as e:
        t.transact_write_items(TransactItems=[put("tba", "x"), put("nosuch", "y")])
    assert err(e)[0] == "ResourceNotFoundException"
    with pytest.raises(t.exceptions.ClientError) as e:
        t.transact_write_items(TransactItems=[
            {"Put": {"TableName": "tba", "Item": {"pk": S("x")}, "ConditionExpression": "a = "}}])
    assert err(e)[0] == "ValidationException"
    with pytest.raises(t.exceptions.ClientError) as e:
        t.transact_get_items(TransactItems=[{"Get": {"TableName": "tba", "Key": {"pk": S("x")}}},
                                            {"Get": {"TableName": "tba", "Key": {"pk": S("x")}}}])
    assert err(e) == ("ValidationException",
                      "Transaction request cannot include multiple operations on one item")
    assert get(t, "tba", "x") is None


def test_client_request_token(t):
    items = [{"Update": {"TableName": "tba", "Key": {"pk": S("c")}, "UpdateExpression": "ADD v :one",
                         "ExpressionAttributeValues": {":one": N(1)}}}]
    t.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    t.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    assert get(t, "tba", "c")["v"] == N(1)          # the repeat did nothing
    with pytest.raises(t.exceptions.IdempotentParameterMismatchException):
        t.transact_write_items(TransactItems=items + [put("tbb", "z")],
                               ClientRequestToken="tok-1")
    t.transact_write_items(TransactItems=items, ClientRequestToken="tok-2")
    assert get(t, "tba", "c")["v"] == N(2)


def test_token_survives_reopen(tmp_path):
    path = tmp_path / "db"
    items = [{"Update": {"TableName": "tba", "Key": {"pk": S("c")}, "UpdateExpression": "ADD v :one",
                         "ExpressionAttributeValues": {":one": N(1)}}}]
    with dyncore.open(path) as db:
        c = db.client()
        make_table(c, "tba", sk=None)
        c.transact_write_items(TransactItems=items, ClientRequestToken="t")
    with dyncore.open(path) as db:
        c = db.client()
        c.transact_write_items(TransactItems=items, ClientRequestToken="t")
        assert get(c, "tba", "c")["v"] == N(1)


def test_transact_get(t):
    t.put_item(TableName="tba", Item={"pk": S("x"), "v": N(1), "w": N(2)})
    out = t.transact_get_items(TransactItems=[
        {"Get": {"TableName": "tba", "Key": {"pk": S("x")}, "ProjectionExpression": "w"}},
        {"Get": {"TableName": "tbb", "Key": {"pk": S("missing")}}},
        {"Get": {"TableName": "tba", "Key": {"pk": S("y")}}},
    ])
    assert out["Responses"] == [{"Item": {"w": N(2)}}, {}, {}]


def move_units(t, n):
    """n transactions, each moving one unit from tba's "acct" to tbb's
    (two tables: the logged, multi-partition commit)."""
    for _ in range(n):
        t.transact_write_items(TransactItems=[
            {"Update": {"TableName": "tba", "Key": {"pk": S("acct")},
                        "UpdateExpression": "SET v = v - :one",
                        "ExpressionAttributeValues": {":one": N(1)}}},
            {"Update": {"TableName": "tbb", "Key": {"pk": S("acct")},
                        "UpdateExpression": "SET v = v + :one",
                        "ExpressionAttributeValues": {":one": N(1)}}}])


def test_readers_never_see_half_a_transaction(t):
    """A writer moves one unit between an item in table a and one in table
    b (two partitions, so the logged commit); readers with TransactGetItems
    must always see the total unchanged, and GetItem pairs taken in order
    must never see the second item older than the first allows."""
    t.put_item(TableName="tba", Item={"pk": S("acct"), "v": N(1000)})
    t.put_item(TableName="tbb", Item={"pk": S("acct"), "v": N(0)})
    stop = threading.Event()
    bad = []

    def writer():
        move_units(t, 150)
        stop.set()

    def reader():
        while not stop.is_set():
            out = t.transact_get_items(TransactItems=[
                {"Get": {"TableName": "tba", "Key": {"pk": S("acct")}}},
                {"Get": {"TableName": "tbb", "Key": {"pk": S("acct")}}}])
            total = sum(int(r["Item"]["v"]["N"]) for r in out["Responses"])
            if total != 1000:
                bad.append(total)

    ths = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(2)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    assert not bad
    assert get(t, "tba", "acct")["v"] == N(850) and get(t, "tbb", "acct")["v"] == N(150)


def test_recovery_applies_a_logged_record(tmp_path):
    """A record left in the log (a crash between its steps) is applied on
    open, then removed."""
    from dyncore.table.txn import Write
    path = tmp_path / "db"
    with dyncore.open(path) as db:
        c = db.client()
        make_table(c, "tba", sk=None)
        make_table(c, "tbb", sk=None)
        ta, tb = db.table("tba"), db.table("tbb")
        writes = []
        for t_, pk in ((ta, "x"), (tb, "y")):
            h, k, v, _ = t_.schema.encode_item({"pk": S(pk), "v": N(7)}, 1)
            writes.append(Write(t_.name, t_.record["id"], t_.store, h, k, v))
        steps = []

        def stop_after_log(name):
            steps.append(name)
            if name == "logged":
                raise KeyboardInterrupt   # leaves the record, as a crash would
        db.txlog.hooks = stop_after_log
        with pytest.raises(KeyboardInterrupt):
            db.txlog.commit(writes)
        assert len(db.txlog.pending()) == 1
        assert get(c, "tba", "x") is None
    with dyncore.open(path) as db:
        c = db.client()
        assert db.txlog.pending() == []
        assert get(c, "tba", "x") == {"pk": S("x"), "v": N(7)}
        assert get(c, "tbb", "y") == {"pk": S("y"), "v": N(7)}


def test_get_item_never_sees_half_a_transaction(t):
    """GetItem is serializable with transactions: a reader that reads the
    source account and then the destination must never find the unit gone
    from the first and not yet in the second."""
    t.put_item(TableName="tba", Item={"pk": S("acct"), "v": N(1000)})
    t.put_item(TableName="tbb", Item={"pk": S("acct"), "v": N(0)})
    stop = threading.Event()
    bad = []

    def writer():
        move_units(t, 150)
        stop.set()

    def reader():
        while not stop.is_set():
            a = int(get(t, "tba", "acct")["v"]["N"])
            b = int(get(t, "tbb", "acct")["v"]["N"])
            if a + b < 1000:
                bad.append((a, b))

    ths = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(2)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    assert not bad


def test_token_expires_after_ten_minutes(tmp_path):
    from dyncore.clock import ManualClock
    clock = ManualClock()
    items = [{"Update": {"TableName": "tba", "Key": {"pk": S("c")}, "UpdateExpression": "ADD v :one",
                         "ExpressionAttributeValues": {":one": N(1)}}}]
    path = tmp_path / "db"
    with dyncore.open(path, clock=clock) as db:
        c = db.client()
        make_table(c, "tba", sk=None)
        c.transact_write_items(TransactItems=items, ClientRequestToken="t")
        clock.advance(599)
        c.transact_write_items(TransactItems=items, ClientRequestToken="t")
        assert get(c, "tba", "c")["v"] == N(1)
        clock.advance(2)
        c.transact_write_items(TransactItems=items, ClientRequestToken="t")
        assert get(c, "tba", "c")["v"] == N(2)
    clock.advance(601)
    with dyncore.open(path, clock=clock) as db:   # the expired token is dropped from the log
        assert db.txlog.engine.get(b"tok/t") is None
