"""Time to Live (dyncore.table.ttl): which items expire, the rules of
UpdateTimeToLive, and the sweeper — days of a ManualClock in milliseconds,
items deleted only when still expired under their lock, incremental ticks
with resume cursors, the service-deletion hook, reopen, splits, the thread."""
import threading
import time

import pytest

import dyncore
from dyncore import _core
from dyncore.errors import ValidationException
from dyncore.table import ttl

from .conftest import make_table
from tests.unit.clocked import T0, clock, db  # noqa: F401 - fixtures

DAY = 86400.0



@pytest.fixture
def client(db):
    return db.client()


def enable(client, name="tbl", attribute="exp"):
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": attribute})


def put(client, pk, exp=None, name="tbl", **extra):
    item = {"pk": {"S": pk}, "sk": {"N": "1"}, **extra}
    if exp is not None:
        item["exp"] = exp if isinstance(exp, dict) else {"N": str(exp)}
    client.put_item(TableName=name, Item=item)


def keys(client, name="tbl"):
    return sorted(i["pk"]["S"] for i in client.scan(TableName=name)["Items"])


def encode(item):
    schema = _core.KeySchema("pk", "S", None, None)
    return schema.encode_item(item, _core.FORM_CLIENT)[2]


# -- which items expire --------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ({"N": "1700000000"}, 1700000000.0),
    ({"N": "1.7E+9"}, 1.7e9),
    ({"N": "-5"}, -5.0),
    ({"N": "1699999999.5"}, 1699999999.5),
    ({"S": "1600000000"}, None),
    ({"NS": ["1600000000"]}, None),
    ({"L": [{"N": "1600000000"}]}, None),
    ({"M": {"exp": {"N": "1600000000"}}}, None),
    ({"BOOL": True}, None),
    ({"NULL": True}, None),
    ({"B": b"1600000000"}, None),
])
def test_expires_at_reads_only_numbers(value, expected):
    v = encode({"pk": {"S": "a"}, "exp": value})
    assert ttl.expires_at(v, "exp") == expected


def test_expires_at_missing_attribute_and_name_elsewhere():
    assert ttl.expires_at(encode({"pk": {"S": "a"}}), "exp") is None
    # the name's bytes appear, but as a value or nested name: not the attribute
    assert ttl.expires_at(encode({"pk": {"S": "exp"}, "x": {"M": {"exp": {"N": "1"}}}}),
                          "exp") is None
    assert ttl.expires_at(encode({"pk": {"S": "a"}, "é": {"N": "7"}}), "é") == 7.0


@pytest.mark.parametrize("expiry, now, delay, expected", [
    (T0 - 1, T0, 0, True),
    (T0, T0, 0, False),                  # "less than the current time"
    (T0 + 1, T0, 0, False),
    (T0 - 50, T0, 100, False),           # within the delay
    (T0 - 150, T0, 100, True),
    (T0 - ttl.FIVE_YEARS + 1, T0, 0, True),
    (T0 - ttl.FIVE_YEARS, T0, 0, False),  # five years or more in the past: never
    (0.0, T0, 0, False),
    (None, T0, 0, False),
])
def test_is_expired(expiry, now, delay, expected):
    assert ttl.is_expired(expiry, now, delay) is expected


# -- UpdateTimeToLive's rules --------------------------------------------------------------


def test_update_spec_order_of_checks():
    r = {}
    ttl.update_spec(r, True, "a", T0)
    assert r == {"ttl_attribute": "a", "ttl_updated": T0}
    assert ttl.describe(r) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "a"}
    # content checks come before the cooldown, and change nothing
    for enabled, attr, msg in [
            (True, "a", "TimeToLive is already enabled"),
            (True, "b", "TimeToLive is active on a different AttributeName: "
                        "current AttributeName is a"),
            (False, "b", "TimeToLive is active on a different AttributeName: "
                         "current AttributeName is a"),
            (False, "a", "Time to live has been modified multiple times within a fixed "
                         "interval")]:
        with pytest.raises(ValidationException) as e:
            ttl.update_spec(r, enabled, attr, T0 + 3599)
        assert e.value.message == msg
        assert r == {"ttl_attribute": "a", "ttl_updated": T0}
    ttl.update_spec(r, False, "a", T0 + 3600)
    assert r == {"ttl_attribute": None, "ttl_updated": T0 + 3600}
    assert ttl.describe(r) == {"TimeToLiveStatus": "DISABLED"}
    with pytest.raises(ValidationException) as e:
        ttl.update_spec(r, False, "zzz", T0 + 3600)
    assert e.value.message == "TimeToLive is already disabled"
    ttl.update_spec(r, True, "b", T0 + 7200)       # a new attribute after a disable
    assert r["ttl_attribute"] == "b"
    ttl.update_spec(r, False, "b", T0 + 7201, cooldown=0)   # cooldown 0: no rule


# -- the sweeper, through the client -------------------------------------------------------


def test_days_forward_items_disappear_after_a_sweep(db, client, clock):
    make_table(client)
    enable(client)
    put(client, "day1", T0 + DAY)
    put(client, "day3", T0 + 3 * DAY)
    put(client, "past", T0 - 10)
    put(client, "none")
    assert db.ttl_sweep_now() == 1
    assert keys(client) == ["day1", "day3", "none"]
    clock.advance(2 * DAY)
    # expired but not yet swept: still read, queried, scanned, as in DynamoDB
    got = client.get_item(TableName="tbl", Key={"pk": {"S": "day1"}, "sk": {"N": "1"}})
    assert got["Item"]["exp"] == {"N": str(int(T0 + DAY))}
    assert client.query(TableName="tbl", KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": "day1"}})["Count"] == 1
    assert keys(client) == ["day1", "day3", "none"]
    assert db.ttl_sweep_now() == 1
    assert keys(client) == ["day3", "none"]
    clock.advance(30 * DAY)
    assert db.ttl_sweep_now() == 1
    assert keys(client) == ["none"]
    assert db.ttl.stats["deleted"] == 3


def test_non_numbers_and_ancient_values_are_left_alone(db, client, clock):
    make_table(client)
    enable(client)
    past = str(int(T0 - DAY))
    put(client, "s", {"S": past})
    put(client, "ns", {"NS": [past]})
    put(client, "l", {"L": [{"N": past}]})
    put(client, "m", {"M": {"exp": {"N": past}}})
    put(client, "bool", {"BOOL": True})
    put(client, "null", {"NULL": True})
    put(client, "b", {"B": past.encode()})
    put(client, "ancient", T0 - 6 * 365 * DAY)
    put(client, "other", None, other={"N": past})
    put(client, "n", past)
    assert db.ttl_sweep_now() == 1
    assert "n" not in keys(client) and len(keys(client)) == 9


def test_renewing_prevents_deletion(db, client, clock):
    make_table(client)
    enable(client)
    put(client, "a", T0 + 60)
    put(client, "b", T0 + 60)
    put(client, "c", T0 + 60)
    clock.advance(120)
    # expired, then renewed by an update before the sweep (expired items can be updated)
    client.update_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                       UpdateExpression="SET exp = :e",
                       ExpressionAttributeValues={":e": {"N": str(int(T0 + DAY))}})
    # or had the attribute removed
    client.update_item(TableName="tbl", Key={"pk": {"S": "b"}, "sk": {"N": "1"}},
                       UpdateExpression="REMOVE exp")
    assert db.ttl_sweep_now() == 1
    assert keys(client) == ["a", "b"]


def test_a_write_between_the_scan_and_the_delete_wins(db, client, clock):
    """The sweeper found the item expired, but a write renewed it before the
    sweeper took the item's lock: the re-check under the lock keeps it."""
    make_table(client)
    enable(client)
    put(client, "a", T0 - 1)
    put(client, "b", T0 - 1)
    real = db.ttl._delete

    def renew_first(t, key, attribute, name):
        if t.schema.item_key(t.store.get(int.from_bytes(key[:8], "big"), key),
                             _core.FORM_CLIENT)["pk"] == {"S": "a"}:
            put(client, "a", T0 + DAY)
        return real(t, key, attribute, name)

    db.ttl._delete = renew_first
    assert db.ttl_sweep_now() == 1
    assert keys(client) == ["a"]


def test_a_write_racing_under_the_lock_is_never_lost(db, client, clock):
    """Writers renew items while sweeps run: every renewed item survives."""
    make_table(client)
    enable(client)
    n = 300
    for i in range(n):
        put(client, f"k{i}", T0 - 1)
    renewed = []

    def writer():
        for i in range(0, n, 3):
            put(client, f"k{i}", T0 + DAY)
            renewed.append(f"k{i}")

    th = threading.Thread(target=writer)
    th.start()
    while th.is_alive():
        db.ttl_sweep_now()
    th.join()
    db.ttl_sweep_now()
    assert keys(client) == sorted(renewed)


def test_disabling_stops_deletions(db, client, clock):
    make_table(client)
    enable(client)
    put(client, "a", T0 - 1)
    clock.advance(3600)
    client.update_time_to_live(TableName="tbl", TimeToLiveSpecification={
        "Enabled": False, "AttributeName": "exp"})
    assert db.ttl_sweep_now() == 0
    clock.advance(10 * DAY)
    db.ttl.tick()
    assert keys(client) == ["a"]
    # enabled again, on another attribute
    clock.advance(3600)
    enable(client, attribute="other")
    put(client, "b", None, other={"N": str(int(clock.now() - 1))})
    assert db.ttl_sweep_now() == 1
    assert keys(client) == ["a"]


def test_setting_survives_reopen_and_the_sweeper_finds_closed_tables(tmp_path, clock):
    path = tmp_path / "data"
    with dyncore.open(path, sync="none", clock=clock, ttl_sweep_interval=None) as db:
        c = db.client()
        make_table(c)
        make_table(c, name="plain")
        enable(c)
        put(c, "a", T0 + DAY)
        put(c, "a", T0 + DAY, name="plain")
    clock.advance(2 * DAY)
    with dyncore.open(path, sync="none", clock=clock, ttl_sweep_interval=None) as db:
        c = db.client()
        assert not db._tables      # nothing opened yet: the sweep opens what it needs
        assert db.ttl_sweep_now() == 1
        assert list(db._tables) == ["tbl"]
        assert c.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
        assert c.describe_time_to_live(TableName="plain")["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "DISABLED"}
        assert keys(c) == [] and keys(c, "plain") == ["a"]
        # the cooldown is durable too
        with pytest.raises(c.exceptions.ValidationException):
            enable(c)
    clock.advance(3600)
    with dyncore.open(path, sync="none", clock=clock, ttl_sweep_interval=None) as db:
        c = db.client()
        c.update_time_to_live(TableName="tbl", TimeToLiveSpecification={
            "Enabled": False, "AttributeName": "exp"})
    with dyncore.open(path, sync="none", clock=clock, ttl_sweep_interval=None) as db:
        assert db.client().describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] \
            == {"TimeToLiveStatus": "DISABLED"}


def test_delete_observer_gets_the_service_marker(db, client, clock):
    make_table(client)
    enable(client)
    put(client, "a", T0 - 1, data={"B": b"\x00\x01"})
    put(client, "b", T0 + DAY)
    seen = []

    def observer(table, key, old, cause):
        # runs under the item's lock, after the deletion
        assert client.get_item(TableName="tbl", Key=key).get("Item") is None
        seen.append((table, key, old, cause))

    def broken(*args):
        raise RuntimeError("observer bug")

    db.add_delete_observer(broken)
    db.add_delete_observer(observer)
    assert db.ttl_sweep_now() == 1
    assert seen == [("tbl", {"pk": {"S": "a"}, "sk": {"N": "1"}},
                     {"pk": {"S": "a"}, "sk": {"N": "1"}, "exp": {"N": str(int(T0 - 1))},
                      "data": {"B": b"\x00\x01"}}, "ttl")]
    assert isinstance(db.ttl.last_error, RuntimeError)
    # a request's delete is not a service deletion
    client.delete_item(TableName="tbl", Key={"pk": {"S": "b"}, "sk": {"N": "1"}})
    db.remove_delete_observer(observer)
    db.remove_delete_observer(broken)
    put(client, "c", T0 - 1)
    assert db.ttl_sweep_now() == 1
    assert len(seen) == 1


def test_ticks_are_bounded_and_resume_from_a_cursor(tmp_path, clock):
    with dyncore.open(tmp_path / "d", sync="none", clock=clock, ttl_sweep_interval=None,
                      ttl_batch_items=10) as db:
        c = db.client()
        make_table(c)
        make_table(c, name="two")
        enable(c)
        enable(c, "two")
        for i in range(45):
            put(c, f"k{i:02d}", T0 - 1 if i % 2 else T0 + DAY)
        for i in range(5):
            put(c, f"t{i}", T0 - 1, name="two")
        examined = db.ttl.stats["examined"]
        deleted = 0
        ticks = 0
        while deleted < 22 + 5:
            before = db.ttl.stats["examined"]
            deleted += db.ttl.tick()
            assert db.ttl.stats["examined"] - before <= 10
            ticks += 1
            assert ticks < 20
        # 50 items, 10 a tick; the cursors moved on, nothing was read twice
        assert db.ttl.stats["examined"] - examined <= 50 + 10
        assert keys(c) == [f"k{i:02d}" for i in range(0, 45, 2)]
        assert keys(c, "two") == []


def test_sweeping_across_partitions_and_a_deleted_table(tmp_path, clock):
    with dyncore.open(tmp_path / "d", sync="none", clock=clock, ttl_sweep_interval=None,
                      ttl_batch_items=7) as db:
        c = db.client()
        make_table(c)
        make_table(c, name="gone")
        enable(c)
        enable(c, "gone")
        for i in range(200):
            put(c, f"k{i}", T0 - 1 if i % 4 == 0 else T0 + DAY)
            put(c, f"k{i}", T0 - 1, name="gone")
        assert db.split_partition("tbl")
        assert db.split_partition("tbl")
        assert len(db.partitions("tbl")) == 3
        db.ttl.tick()
        c.delete_table(TableName="gone")
        for _ in range(100):
            db.ttl.tick()
        assert len(keys(c)) == 150
        assert db.ttl_sweep_now() == 0


def test_delay_option(tmp_path, clock):
    with dyncore.open(tmp_path / "d", sync="none", clock=clock, ttl_sweep_interval=None,
                      ttl_delay_seconds=100) as db:
        c = db.client()
        make_table(c)
        enable(c)
        put(c, "a", T0 - 50)
        put(c, "b", T0 - 150)
        assert db.ttl_sweep_now() == 1
        assert keys(c) == ["a"]
        clock.advance(60)
        assert db.ttl_sweep_now() == 1


def test_ttl_on_a_key_attribute(db, client, clock):
    make_table(client, pk=("pk", "S"), sk=("exp", "N"))
    enable(client)
    for e in (T0 - 5, T0 + 5):
        client.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "exp": {"N": str(int(e))}})
    assert db.ttl_sweep_now() == 1
    items = client.scan(TableName="tbl")["Items"]
    assert items == [{"pk": {"S": "a"}, "exp": {"N": str(int(T0 + 5))}}]


def test_describe_table_does_not_show_ttl(db, client):
    make_table(client)
    before = client.describe_table(TableName="tbl")["Table"]
    enable(client)
    after = client.describe_table(TableName="tbl")["Table"]
    assert before == after
    assert not any("TimeToLive" in k for k in after)


def test_background_thread_sweeps_and_stops_at_close(tmp_path, clock):
    db = dyncore.open(tmp_path / "d", sync="none", clock=clock, ttl_sweep_interval=0.01)
    try:
        th = db.ttl._thread
        assert th is not None and th.daemon and th.is_alive()
        c = db.client()
        make_table(c)
        enable(c)
        put(c, "a", T0 + DAY)
        put(c, "b", T0 + 3 * DAY)
        clock.advance(2 * DAY)
        deadline = time.monotonic() + 10
        while keys(c) != ["b"]:
            assert time.monotonic() < deadline, db.ttl.last_error
            time.sleep(0.01)
        assert db.ttl.stats["ticks"] > 0
    finally:
        db.close()
    assert not th.is_alive()
    assert db.ttl.last_error is None


def test_no_thread_when_interval_is_none(db):
    assert db.ttl._thread is None
    db.close()
    with pytest.raises(dyncore.errors.ClosedError):
        db.ttl_sweep_now()


@pytest.mark.parametrize("option", [dict(ttl_batch_items=0), dict(ttl_sweep_interval=0),
                                    dict(ttl_delay_seconds=-1)])
def test_bad_options_are_refused_before_anything_opens(tmp_path, option):
    with pytest.raises(ValueError):
        dyncore.open(tmp_path / "d", sync="none", **option)
    with dyncore.open(tmp_path / "d", sync="none") as db:   # nothing was left locked
        assert db.ttl._thread is not None
