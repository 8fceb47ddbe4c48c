"""dyncore.sharding: the write-sharding helper (random and calculated suffixes,
the fan-out Query merged in sort-key order, its continuation token) against
the embedded client, the resource Table, and boto3 against `dyncore serve`.
The property test compares the merged sharded query with an unsharded table
holding the same items."""
import hashlib
import itertools
import json
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dyncore
from dyncore.sharding import Sharding, ShardedKey, ShardingError, canonical_bytes, shard_hash


def create(c, name, sk_type="N", pk_type="S", sk="sk"):
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    defs = [{"AttributeName": "pk", "AttributeType": pk_type}]
    if sk_type:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
        defs.append({"AttributeName": sk, "AttributeType": sk_type})
    c.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=defs,
                   BillingMode="PAY_PER_REQUEST")


@pytest.fixture
def db(tmp_path):
    d = dyncore.open(tmp_path / "d", sync="none")
    yield d
    d.close()


@pytest.fixture
def c(db):
    cl = db.client()
    create(cl, "events")
    return cl


def item(pk, sk, **extra):
    it = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    it.update({k: {"S": v} if isinstance(v, str) else {"N": str(v)} for k, v in extra.items()})
    return it


class Counting:
    """A client that counts the calls of each method."""

    def __init__(self, client):
        self._c = client
        self.calls = Counter()

    def __getattr__(self, name):
        fn = getattr(self._c, name)

        def call(**kw):
            self.calls[name] += 1
            return fn(**kw)
        return call


# --------------------------------------------------------------------------- the key scheme

def test_physical_and_split_round_trip():
    k = ShardedKey(12, separator="#")
    assert k.physical("user#7", 11) == "user#7#11"
    assert k.split("user#7#11") == ("user#7", 11)
    assert k.physicals("a") == [f"a#{i}" for i in range(12)]
    for bad in ("user", "user#", "user#12", "user#x", "user#01", "user#-1", "user#٣"):
        with pytest.raises(ShardingError, match="is not a key of this sharding"):
            k.split(bad)
    with pytest.raises(ShardingError, match=r"shard must be an int in \[0, 12\)"):
        k.physical("a", 12)


@pytest.mark.parametrize("kw, msg", [
    (dict(shards=0), "shards must be an int >= 1"),
    (dict(shards=True), "shards must be an int >= 1"),
    (dict(shards=3, separator=""), "separator must be a non-empty str without digits"),
    (dict(shards=3, separator="_1"), "separator must be a non-empty str without digits"),
    (dict(shards=3, by="pk"), "is the partition key itself"),
])
def test_bad_schemes_refused(kw, msg):
    with pytest.raises(ShardingError, match=msg):
        ShardedKey(**kw)


def test_shard_hash_is_stable_and_documented():
    # Pinned: a reader in another process, version or language computes the same.
    assert shard_hash(b"o-123", 10) == 3
    assert shard_hash(b"1.5", 7) == 3
    assert shard_hash("é".encode(), 16) == 3
    assert shard_hash(b"\x00\xff", 5) == 4
    # ... and it is the documented formula
    for data, n in ((b"o-123", 10), (b"xyz", 1000)):
        assert shard_hash(data, n) == int.from_bytes(hashlib.sha256(data).digest()[:8],
                                                     "big") % n


def test_canonical_bytes_of_numbers_strings_binaries():
    same = [{"N": "1.5"}, {"N": "1.50"}, {"N": "15E-1"}, {"N": "0.15e1"}]
    assert {canonical_bytes(v) for v in same} == {b"1.5"}
    assert {canonical_bytes(v, native=True) for v in (Decimal("1.50"), Decimal("15E-1"))} \
        == {b"1.5"}
    assert canonical_bytes({"N": "-0.00"}) == b"0" == canonical_bytes(0, native=True)
    assert canonical_bytes({"N": "1E2"}) == b"100" == canonical_bytes(100, native=True)
    assert canonical_bytes({"N": "-12.3400e-3"}) == b"-0.01234"
    assert canonical_bytes({"N": "9" * 38}) == b"9" * 38
    assert canonical_bytes({"S": "é"}) == "é".encode() == canonical_bytes("é", native=True)
    assert canonical_bytes({"B": b"\x00"}) == b"\x00" == canonical_bytes(b"\x00", native=True)
    assert canonical_bytes(dyncore.Binary(b"\x01"), native=True) == b"\x01"
    for bad in ({"BOOL": True}, {"S": 1}, "x", {"S": "a", "N": "1"}):
        with pytest.raises(ShardingError, match="S, N or B value"):
            canonical_bytes(bad)
    with pytest.raises(ShardingError, match="use Decimal"):
        canonical_bytes(1.5, native=True)
    with pytest.raises(ShardingError, match="got bool"):
        canonical_bytes(True, native=True)


# --------------------------------------------------------------------------- single items

def test_calculated_suffix_get_is_one_request(c):
    s = Sharding(c, "events", shards=10, by="oid")
    for i in range(30):
        s.put_item(Item=item("shop", i, oid=f"o-{i}", v=i))
    raw = {x["pk"]["S"] for x in c.scan(TableName="events")["Items"]}
    assert len(raw) > 3 and all(p.startswith("shop#") for p in raw)
    cc = Counting(c)
    s2 = Sharding(cc, "events", shards=10, by="oid", sort_key="sk")
    got = s2.get_item(Key={"pk": {"S": "shop"}, "sk": {"N": "17"}}, by_value={"S": "o-17"})
    assert got["Item"] == item("shop", 17, oid="o-17", v=17)
    assert cc.calls == {"get_item": 1}
    # the physical key is the documented one
    phys = f"shop#{shard_hash(b'o-17', 10)}"
    assert c.get_item(TableName="events", Key={"pk": {"S": phys}, "sk": {"N": "17"}})["Item"]
    # the wrong value finds nothing (another shard, or the right one by chance)
    assert s.get_item(Key={"pk": {"S": "shop"}, "sk": {"N": "17"}}, by_value={"S": "o-3"}) \
        .get("Item") in (None, got["Item"])
    with pytest.raises(ShardingError, match="calculated from 'oid'; pass by_value="):
        s.get_item(Key={"pk": {"S": "shop"}, "sk": {"N": "17"}})
    out = s.update_item(Key={"pk": {"S": "shop"}, "sk": {"N": "17"}}, by_value={"S": "o-17"},
                        UpdateExpression="SET v = v + :one",
                        ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
    assert out["Attributes"]["v"] == {"N": "18"} and out["Attributes"]["pk"] == {"S": "shop"}
    out = s.delete_item(Key={"pk": {"S": "shop"}, "sk": {"N": "17"}}, by_value={"S": "o-17"},
                        ReturnValues="ALL_OLD")
    assert out["Attributes"]["pk"] == {"S": "shop"}
    assert "Item" not in s.get_item(Key={"pk": {"S": "shop"}, "sk": {"N": "17"}},
                                    by_value={"S": "o-17"})
    with pytest.raises(ShardingError, match="which the item lacks"):
        s.put_item(Item=item("shop", 99))


def test_calculated_from_the_sort_key_and_number_forms(c):
    s = Sharding(c, "events", shards=7, by="sk")
    s.put_item(Item={"pk": {"S": "k"}, "sk": {"N": "1.50"}, "v": {"S": "x"}})
    # 1.5 in any form finds it: the canonical text of the number is hashed
    for form in ("1.5", "15E-1", "1.500"):
        assert s.get_item(Key={"pk": {"S": "k"}, "sk": {"N": form}})["Item"]["v"] == {"S": "x"}
    assert s.delete_item(Key={"pk": {"S": "k"}, "sk": {"N": "1.5"}}, ReturnValues="ALL_OLD")
    assert c.scan(TableName="events")["Items"] == []


def test_random_suffix_get_needs_shard_or_fan_out(c):
    s = Sharding(c, "events", shards=5, seed=7)
    s.put_item(Item=item("hot", 1, v=1))
    key = {"pk": {"S": "hot"}, "sk": {"N": "1"}}
    with pytest.raises(ShardingError, match="random suffixes the shard of an existing item is "
                                            "unknown; pass shard=.*fan_out=True"):
        s.get_item(Key=key)
    with pytest.raises(ShardingError, match="random suffixes"):
        s.delete_item(Key=key)
    cc = Counting(c)
    fan = Sharding(cc, "events", shards=5, workers=3)
    assert fan.get_item(Key=key, fan_out=True)["Item"] == item("hot", 1, v=1)
    assert cc.calls == {"get_item": 5}
    fan.close()
    assert "Item" not in s.get_item(Key={"pk": {"S": "hot"}, "sk": {"N": "2"}}, fan_out=True)
    # restore_keys=False shows the physical key; split gives the shard for shard=
    raw = Sharding(c, "events", shards=5, restore_keys=False)
    phys = raw.query("hot")["Items"][0]["pk"]["S"]
    logical, shard = raw.key.split(phys)
    assert logical == "hot"
    assert s.get_item(Key=key, shard=shard)["Item"]["pk"] == {"S": "hot"}
    s.delete_item(Key=key, shard=shard)
    assert s.query("hot")["Items"] == []


def test_random_suffixes_spread_evenly(c):
    s = Sharding(c, "events", shards=8, seed=1234, restore_keys=False)
    assert s.batch_write(item("hot", i) for i in range(4000)) == 4000
    counts = Counter(s.key.split(x["pk"]["S"])[1] for x in s.query_items("hot"))
    assert sum(counts.values()) == 4000 and set(counts) == set(range(8))
    assert all(400 <= n <= 600 for n in counts.values()), counts   # 500 expected each
    # calculated suffixes spread as the values do
    s2 = Sharding(c, "events", shards=8, by="sk", restore_keys=False)
    s2.batch_write(item("calc", i) for i in range(4000))
    counts = Counter(s2.key.split(x["pk"]["S"])[1] for x in s2.query_items("calc"))
    assert all(400 <= n <= 600 for n in counts.values()), counts


def test_batch_write_dedupes_deletes_and_resends_unprocessed(c):
    class Flaky:
        def __init__(self, client):
            self._c, self.calls = client, 0

        def __getattr__(self, name):
            return getattr(self._c, name)

        def batch_write_item(self, RequestItems):  # noqa: N803
            self.calls += 1
            (name, reqs), = RequestItems.items()
            if self.calls % 2:  # every other call processes 5 requests only
                self._c.batch_write_item(RequestItems={name: reqs[:5]})
                return {"UnprocessedItems": {name: reqs[5:]} if reqs[5:] else {}}
            return self._c.batch_write_item(RequestItems=RequestItems)

    f = Flaky(c)
    s = Sharding(f, "events", shards=3, by="sk")
    items = [item("b", i % 40, v=i) for i in range(60)]   # keys 0..19 written twice
    assert s.batch_write(items) == 40
    got = list(s.query_items("b"))
    assert [x["sk"]["N"] for x in got] == [str(i) for i in range(40)]
    assert all(x["v"]["N"] == str(i + 40 if i < 20 else i) for i, x in enumerate(got))
    assert f.calls > 2
    s.batch_write(delete_keys=[{"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in range(0, 40, 2)])
    assert [x["sk"]["N"] for x in s.query_items("b")] == [str(i) for i in range(1, 40, 2)]
    with pytest.raises(ShardingError, match="random suffixes"):
        Sharding(c, "events", shards=3).batch_write(delete_keys=[{"pk": {"S": "b"},
                                                                  "sk": {"N": "1"}}])


# --------------------------------------------------------------------------- query

def test_query_merges_numerically_and_pages(c):
    s = Sharding(c, "events", shards=4, seed=3)
    nums = [-100, -2.5, 0, 1, 2, 9, 10, 11, 100, 1e3, 123456789012345678901234567890]
    s.batch_write(item("n", Decimal(str(x)), v=i) for i, x in enumerate(nums))
    want = [str(Decimal(str(x))) for x in sorted(nums)]
    assert [x["sk"]["N"] for x in s.query_items("n")] == [str(Decimal(w)) for w in want] \
        or [Decimal(x["sk"]["N"]) for x in s.query_items("n")] == [Decimal(w) for w in want]
    got, token, pages = [], None, 0
    while True:
        kw = {"ExclusiveStartKey": token} if token else {}
        page = s.query("n", Limit=3, ScanIndexForward=False, **kw)
        assert len(page["Items"]) <= 3 and page["Count"] == len(page["Items"])
        got += [Decimal(x["sk"]["N"]) for x in page["Items"]]
        pages += 1
        token = page.get("LastEvaluatedKey")
        if token is None:
            break
        token = json.loads(json.dumps(token))  # plain data: survives JSON (S and N keys)
    assert got == sorted((Decimal(str(x)) for x in nums), reverse=True)
    assert pages in (4, 5)


def test_query_sort_key_condition_filter_projection(c):
    s = Sharding(c, "events", shards=3, by="sk")
    s.batch_write(item("p", i, v=i % 4, name=f"n{i}") for i in range(30))
    page = s.query("p", KeyConditionExpression="sk BETWEEN :a AND :b",
                   FilterExpression="v = :z", ProjectionExpression="#n",
                   ExpressionAttributeNames={"#n": "name"},
                   ExpressionAttributeValues={":a": {"N": "5"}, ":b": {"N": "25"},
                                              ":z": {"N": "0"}}, Limit=3)
    # Limit counts the items returned (after the filter); sk was added and removed
    assert page["Items"] == [{"name": {"S": "n8"}}, {"name": {"S": "n12"}},
                             {"name": {"S": "n16"}}]
    rest = s.query("p", KeyConditionExpression="sk BETWEEN :a AND :b",
                   FilterExpression="v = :z", ProjectionExpression="#n",
                   ExpressionAttributeNames={"#n": "name"},
                   ExpressionAttributeValues={":a": {"N": "5"}, ":b": {"N": "25"},
                                              ":z": {"N": "0"}},
                   ExclusiveStartKey=page["LastEvaluatedKey"])
    assert rest["Items"] == [{"name": {"S": "n20"}}, {"name": {"S": "n24"}}]
    assert "LastEvaluatedKey" not in rest
    # a projection that names the sort key (by placeholder) keeps it
    items = list(s.query_items("p", ProjectionExpression="#s, pk",
                               ExpressionAttributeNames={"#s": "sk"},
                               KeyConditionExpression="sk < :x",
                               ExpressionAttributeValues={":x": {"N": "3"}}))
    assert items == [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(3)]
    assert s.query("p", Select="COUNT", FilterExpression="v = :z",
                   ExpressionAttributeValues={":z": {"N": "1"}}) == \
        {"Count": 8, "ScannedCount": 30}


def test_query_resumes_in_a_new_helper_and_checks_the_token(c):
    s = Sharding(c, "events", shards=4, seed=9)
    s.batch_write(item("r", i) for i in range(20))
    page = s.query("r", Limit=5)
    tok = page["LastEvaluatedKey"]
    assert tok["Version"] == 1 and len(tok["Shards"]) == 4
    other = Sharding(c, "events", shards=4, workers=2)
    rest = other.query("r", ExclusiveStartKey=tok)
    assert [x["sk"]["N"] for x in page["Items"] + rest["Items"]] == [str(i) for i in range(20)]
    other.close()
    with pytest.raises(ShardingError, match="not a LastEvaluatedKey of a query over these 3"):
        Sharding(c, "events", shards=3).query("r", ExclusiveStartKey=tok)
    with pytest.raises(ShardingError, match="is not a key of 'x#"):
        s.query("x", ExclusiveStartKey=tok)


def test_query_empty_and_done_shards(c):
    s = Sharding(c, "events", shards=6)
    assert s.query("none") == {"Items": [], "Count": 0, "ScannedCount": 0}
    s.put_item(Item=item("one", 1), shard=4)
    page = s.query("one", Limit=1)
    assert [x["sk"] for x in page["Items"]] == [{"N": "1"}]
    # shards 0..3 were read to their end (None), shard 5 too; shard 4 may have more
    if "LastEvaluatedKey" in page:
        assert page["LastEvaluatedKey"]["Shards"][:4] == [None] * 4
        assert s.query("one", ExclusiveStartKey=page["LastEvaluatedKey"])["Items"] == []


@pytest.mark.parametrize("kw, msg", [
    (dict(IndexName="gsi"), "IndexName is not supported"),
    (dict(KeyConditions={}), "KeyConditions is not supported"),
    (dict(AttributesToGet=["a"]), "AttributesToGet is not supported"),
    (dict(Select="ALL_PROJECTED_ATTRIBUTES"), "Select='ALL_PROJECTED_ATTRIBUTES'"),
    (dict(Limit=0), "Limit must be an int >= 1"),
    (dict(Select="COUNT", Limit=3), "Limit and ExclusiveStartKey are not supported"),
    (dict(ExpressionAttributeValues={":shardpk": {"S": "x"}}), "belongs to the sharding"),
    (dict(ExpressionAttributeNames={"#shardsk": "x"}), "belongs to the sharding"),
    (dict(ExclusiveStartKey={"pk": {"S": "a"}}), "not a LastEvaluatedKey"),
])
def test_query_refuses_clearly(c, kw, msg):
    with pytest.raises(ShardingError, match=msg):
        Sharding(c, "events", shards=2).query("a", **kw)


def test_query_items_refuses_paging_and_count(c):
    s = Sharding(c, "events", shards=2)
    for kw in (dict(Limit=3), dict(ExclusiveStartKey={}), dict(Select="COUNT")):
        with pytest.raises(ShardingError, match="query_items"):
            next(s.query_items("a", **kw))


def test_consumed_capacity_is_summed(c):
    s = Sharding(c, "events", shards=3, by="sk")
    s.batch_write(item("cc", i) for i in range(9))
    page = s.query("cc", ReturnConsumedCapacity="TOTAL")
    assert page["Count"] == 9
    per_shard = sum(c.query(TableName="events", KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": p}},
                            ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"]
                    for p in s.key.physicals("cc"))
    assert page["ConsumedCapacity"] == {"TableName": "events", "CapacityUnits": per_shard}


def test_describe_checks_the_table(db, c):
    create(c, "numkeys", pk_type="N")
    with pytest.raises(ShardingError, match="of type N: sharding needs a string"):
        Sharding(c, "numkeys", shards=2).query("a")
    with pytest.raises(ShardingError, match="has partition key 'pk', not key_attribute='id'"):
        Sharding(c, "events", shards=2, key_attribute="id").query("a")
    with pytest.raises(ShardingError, match="needs the table name"):
        Sharding(c, shards=2)
    with pytest.raises(ShardingError, match="expected a boto3-shaped DynamoDB client"):
        Sharding(object(), "events", shards=2)


def test_hash_only_table(c):
    create(c, "hashonly", sk_type=None)
    s = Sharding(c, "hashonly", shards=3, by="pk2")
    s.put_item(Item={"pk": {"S": "a"}, "pk2": {"S": "x"}, "v": {"N": "1"}})
    assert s.get_item(Key={"pk": {"S": "a"}}, by_value={"S": "x"})["Item"]["v"] == {"N": "1"}
    assert s.sort_key is None
    assert [x["v"] for x in s.query_items("a")] == [{"N": "1"}]


def test_workers_give_the_same_pages(c):
    s0 = Sharding(c, "events", shards=5, seed=5)
    s0.batch_write(item("w", i, v=i % 3) for i in range(200))
    with Sharding(c, "events", shards=5, workers=4) as s4:
        for kw in (dict(Limit=7), dict(Limit=50, ScanIndexForward=False),
                   dict(FilterExpression="v = :v", ExpressionAttributeValues={":v": {"N": "2"}},
                        page_size=4)):
            assert s0.query("w", **kw)["Items"] == s4.query("w", **kw)["Items"]


# --------------------------------------------------------------------------- native values

def test_resource_table_native_values(db, c):
    from boto3.dynamodb.conditions import Key

    t = db.Table("events")
    s = Sharding(t, shards=4, by="sk")
    for i in (10, 9, 100, -1, Decimal("2.5")):
        s.put_item(Item={"pk": "nat", "sk": i, "v": "x"})
    got = s.get_item(Key={"pk": "nat", "sk": Decimal("2.50")})["Item"]
    assert got == {"pk": "nat", "sk": Decimal("2.5"), "v": "x"}
    assert [x["sk"] for x in s.query_items("nat")] == [-1, Decimal("2.5"), 9, 10, 100]
    page = s.query("nat", KeyConditionExpression=Key("sk").gt(5), ScanIndexForward=False,
                   Limit=2)
    assert [x["sk"] for x in page["Items"]] == [100, 10]
    rest = s.query("nat", KeyConditionExpression=Key("sk").gt(5), ScanIndexForward=False,
                   ExclusiveStartKey=page["LastEvaluatedKey"])
    assert [x["sk"] for x in rest["Items"]] == [9]
    assert [x["sk"] for x in s.query_items("nat", KeyConditionExpression="sk < :m",
                                           ExpressionAttributeValues={":m": 3})] == \
        [-1, Decimal("2.5")]
    # the same shards as the client's wire form
    w = Sharding(c, "events", shards=4, by="sk")
    assert w.get_item(Key={"pk": {"S": "nat"}, "sk": {"N": "2.5"}})["Item"]["v"] == {"S": "x"}
    assert s.batch_write([{"pk": "nat", "sk": i} for i in range(20, 30)],
                         delete_keys=[{"pk": "nat", "sk": 100}]) == 11
    assert [x["sk"] for x in s.query_items("nat")][-3:] == [27, 28, 29]
    with pytest.raises(ShardingError, match="must be a str"):
        s.put_item(Item={"pk": 1, "sk": 1})


# --------------------------------------------------------------------------- the property

_ids = itertools.count()
_NUM = st.one_of(st.integers(-20, 20), st.integers(-10**12, 10**12),
                 st.decimals(min_value=-10**6, max_value=10**6, places=3,
                             allow_nan=False, allow_infinity=False)).map(
    lambda d: str(Decimal(d)))
_STR = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=5)
_BIN = st.binary(min_size=1, max_size=5)
_VALS = {"N": _NUM, "S": _STR, "B": _BIN}


def _order(t, v):
    return Decimal(v) if t == "N" else v


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = dyncore.open(tmp_path_factory.mktemp("prop") / "d", sync="none")
    cl = d.client()
    for t in _VALS:
        create(cl, f"plain{t}", sk_type=t)
        create(cl, f"shard{t}", sk_type=t)
    yield cl
    d.close()


@st.composite
def cases(draw):
    t = draw(st.sampled_from(sorted(_VALS)))
    vals = draw(st.lists(_VALS[t], max_size=25, unique_by=lambda v: _order(t, v)))
    cond = draw(st.sampled_from([None, ">", "<=", "between", "begins"]
                                if t != "N" else [None, ">", "<=", "between"]))
    a, b = draw(_VALS[t]), draw(_VALS[t])
    if cond == "between" and _order(t, b) < _order(t, a):
        a, b = b, a
    return dict(t=t, vals=vals, vs=draw(st.lists(st.integers(0, 3), min_size=len(vals),
                                                 max_size=len(vals))),
                shards=draw(st.integers(1, 6)), by=draw(st.sampled_from([None, "sk", "grp"])),
                cond=cond, a=a, b=b, limit=draw(st.one_of(st.none(), st.integers(1, 8))),
                forward=draw(st.booleans()), filt=draw(st.booleans()),
                workers=draw(st.sampled_from([0, 0, 2])), seed=draw(st.integers(0, 99)))


def _pages(query, **kw):
    pages, token = [], None
    for _ in range(200):
        page = query(**kw, **({"ExclusiveStartKey": token} if token else {}))
        pages.append(page["Items"])
        token = page.get("LastEvaluatedKey")
        if token is None:
            return pages
    raise AssertionError("no end of pages")


@settings(deadline=None, max_examples=max(300, settings.default.max_examples))
@given(case=cases())
def test_sharded_query_equals_unsharded(tables, case):
    cl, t = tables, case["t"]
    pk = f"ex{next(_ids)}"
    s = Sharding(cl, f"shard{t}", shards=case["shards"], by=case["by"], seed=case["seed"],
                 workers=case["workers"], sort_key="sk")
    items = [{"pk": {"S": pk}, "sk": {t: v}, "v": {"N": str(n)}, "grp": {"S": f"g{n}"}}
             for v, n in zip(case["vals"], case["vs"])]
    for it in items:
        cl.put_item(TableName=f"plain{t}", Item=it)
    s.batch_write(items)

    kw = {"ScanIndexForward": case["forward"]}
    names, values = {}, {}
    cond = case["cond"]
    if cond is not None:
        values[":a"] = {t: case["a"]}
        kce = {">": "sk > :a", "<=": "sk <= :a", "begins": "begins_with(sk, :a)",
               "between": "sk BETWEEN :a AND :b"}[cond]
        if cond == "between":
            values[":b"] = {t: case["b"]}
        kw["KeyConditionExpression"] = kce
    if case["filt"]:
        kw["FilterExpression"] = "#v < :two"
        names["#v"], values[":two"] = "v", {"N": "2"}
    if names:
        kw["ExpressionAttributeNames"] = names
    if values:
        kw["ExpressionAttributeValues"] = values
    if case["limit"]:
        kw["Limit"] = case["limit"]

    def plain(**q):
        q = dict(q)
        q["KeyConditionExpression"] = "pk = :pk" + (f" AND {q['KeyConditionExpression']}"
                                                   if "KeyConditionExpression" in q else "")
        q["ExpressionAttributeValues"] = {**q.get("ExpressionAttributeValues", {}),
                                          ":pk": {"S": pk}}
        return cl.query(TableName=f"plain{t}", **q)

    want = _pages(plain, **kw)
    got = _pages(lambda **q: s.query(pk, **q), **kw)
    flat = [x for p in want for x in p]
    assert [x for p in got for x in p] == flat
    if not case["filt"]:  # without a filter the pages themselves agree
        assert [p for p in got if p] == [p for p in want if p]
    elif case["limit"]:  # with one, a page holds Limit items that passed it
        assert all(len(p) == case["limit"] for p in got[:-1] if p)
    # the lazy iterator agrees too
    kw.pop("Limit", None)
    assert list(s.query_items(pk, **kw)) == flat
    s.close()


# --------------------------------------------------------------------------- boto3 over HTTP

def test_boto3_client_against_dyncore_serve():
    from tests.server.test_server import client as boto_client
    from tests.server.test_server import start, stop

    p, port = start("--temporary")
    try:
        c = boto_client(port)
        create(c, "srvshard")
        s = Sharding(c, "srvshard", shards=4, by="oid", workers=2)
        s.batch_write(item("h", i, oid=f"o{i}") for i in range(40))
        s.put_item(Item=item("h", 40, oid="o40"))
        assert s.get_item(Key={"pk": {"S": "h"}, "sk": {"N": "33"}},
                          by_value={"S": "o33"})["Item"] == item("h", 33, oid="o33")
        got, token = [], None
        while True:
            page = s.query("h", Limit=6, ScanIndexForward=False,
                           **({"ExclusiveStartKey": token} if token else {}))
            got += [int(x["sk"]["N"]) for x in page["Items"]]
            token = page.get("LastEvaluatedKey")
            if not token:
                break
        assert got == list(range(40, -1, -1))
        raw = {x["pk"]["S"] for x in c.scan(TableName="srvshard")["Items"]}
        assert raw == {f"h#{i}" for i in range(4)}
        s.close()
        # boto3's resource Table, native values, the same shards
        import boto3
        t = boto3.resource("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                           region_name="us-east-1", aws_access_key_id="k",
                           aws_secret_access_key="s").Table("srvshard")
        r = Sharding(t, shards=4, by="oid")
        assert r.get_item(Key={"pk": "h", "sk": 33}, by_value="o33")["Item"] == \
            {"pk": "h", "sk": 33, "oid": "o33"}
        r.batch_write([{"pk": "h", "sk": Decimal(i) / 2 - 5, "oid": f"half{i}"}
                       for i in range(5)])
        assert [x["sk"] for x in r.query_items("h", KeyConditionExpression="sk < :m",
                                               ExpressionAttributeValues={":m": 1})] == \
            [-5, Decimal("-4.5"), -4, Decimal("-3.5"), -3, 0]
    finally:
        stop(p)
    assert p.returncode == 0
