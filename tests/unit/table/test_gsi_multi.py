"""Global secondary indexes with multi-attribute keys (up to four partition
key and four sort key attributes): key schema checks, sparse entries,
Query conditions (every partition key attribute with =, sort key
attributes from the left, only the last one a range), order by each sort
key attribute in turn, pages, legacy KeyConditions, backfill through
UpdateTable, and a hypothesis comparison of random queries with a model."""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dyncore
from dyncore.errors import ValidationException

ATTRS = [("pk", "S"), ("t", "S"), ("r", "S"), ("round", "N"), ("bracket", "S")]
KEYS = (("t", "HASH"), ("r", "HASH"), ("round", "RANGE"), ("bracket", "RANGE"))


def key_schema(keys):
    return [{"AttributeName": n, "KeyType": k} for n, k in keys]


def create(client, keys=KEYS, attrs=ATTRS, name="mat", projection=None):
    return client.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in attrs],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "multi", "KeySchema": key_schema(keys),
                                 "Projection": projection or {"ProjectionType": "ALL"}}])


def item(pk, t, r, rnd, bracket, **extra):
    out = {"pk": {"S": pk}}
    for name, v in (("t", t), ("r", r), ("bracket", bracket)):
        if v is not None:
            out[name] = {"S": v}
    if rnd is not None:
        out["round"] = {"N": str(rnd)}
    out.update(extra)
    return out


def query(client, kce, values, **kw):
    names = {"#r": "round"} if "#r" in kce else {}
    out = client.query(TableName="mat", IndexName="multi", KeyConditionExpression=kce,
                       ExpressionAttributeValues=values,
                       **({"ExpressionAttributeNames": names} if names else {}), **kw)
    return [i["pk"]["S"] for i in out["Items"]], out


@pytest.fixture
def filled(client):
    create(client)
    rows = [("a", "W", "NA", 2, "upper"), ("b", "W", "NA", 1, "lower"),
            ("c", "W", "NA", 10, "upper"), ("d", "W", "NA", 2, "lower"),
            ("e", "W", "EU", 1, "upper"), ("f", "S", "NA", 1, "upper"),
            ("g", "W", "NA", None, "upper"),   # no round: not in the index
            ("h", "W", None, 1, "upper")]      # no region: not in the index
    for row in rows:
        client.put_item(TableName="mat", Item=item(*row))
    return client


V = {":t": {"S": "W"}, ":r": {"S": "NA"}}


def test_describe_echoes_the_key_schema(client):
    create(client)
    d = client.describe_table(TableName="mat")["Table"]["GlobalSecondaryIndexes"][0]
    assert d["KeySchema"] == key_schema(KEYS)


def test_order_is_by_each_sort_key_attribute_in_turn(filled):
    got, _ = query(filled, "t = :t AND r = :r", V)
    # round 1 < 2 < 10 numerically, then bracket within a round
    assert got == ["b", "d", "a", "c"]
    got, _ = query(filled, "t = :t AND r = :r", V, ScanIndexForward=False)
    assert got == ["c", "a", "d", "b"]
    got, _ = query(filled, "r = :r AND t = :t", V)   # conditions in any order
    assert got == ["b", "d", "a", "c"]


def test_sparse_and_other_partitions(filled):
    got, _ = query(filled, "t = :t AND r = :r", {":t": {"S": "W"}, ":r": {"S": "EU"}})
    assert got == ["e"]
    got, _ = query(filled, "t = :t AND r = :r", {":t": {"S": "S"}, ":r": {"S": "NA"}})
    assert got == ["f"]
    scanned = filled.scan(TableName="mat", IndexName="multi")["Items"]
    assert sorted(i["pk"]["S"] for i in scanned) == ["a", "b", "c", "d", "e", "f"]
    assert filled.describe_table(TableName="mat")["Table"]["GlobalSecondaryIndexes"][0][
        "ItemCount"] == 6


@pytest.mark.parametrize("cond,values,want", [
    ("#r = :x", {":x": {"N": "2"}}, ["d", "a"]),
    ("#r > :x", {":x": {"N": "1"}}, ["d", "a", "c"]),
    ("#r >= :x", {":x": {"N": "2"}}, ["d", "a", "c"]),
    ("#r < :x", {":x": {"N": "2"}}, ["b"]),
    ("#r <= :x", {":x": {"N": "2"}}, ["b", "d", "a"]),
    ("#r BETWEEN :x AND :y", {":x": {"N": "2"}, ":y": {"N": "10"}}, ["d", "a", "c"]),
    ("#r = :x AND bracket = :b", {":x": {"N": "2"}, ":b": {"S": "upper"}}, ["a"]),
    ("#r = :x AND bracket > :b", {":x": {"N": "2"}, ":b": {"S": "l"}}, ["d", "a"]),
    ("#r = :x AND begins_with(bracket, :b)", {":x": {"N": "2"}, ":b": {"S": "lo"}}, ["d"]),
    ("#r = :x AND bracket BETWEEN :b AND :c",
     {":x": {"N": "1"}, ":b": {"S": "a"}, ":c": {"S": "z"}}, ["b"]),
])
def test_sort_key_conditions(filled, cond, values, want):
    got, _ = query(filled, "t = :t AND r = :r AND " + cond, {**V, **values})
    assert got == want


@pytest.mark.parametrize("kce,values,message", [
    ("t = :t", {":t": {"S": "W"}}, "Query condition missed key schema element: r"),
    ("t = :t AND r = :r AND bracket = :b", {**V, ":b": {"S": "upper"}},
     "Query condition missed key schema element: round"),
    ("t = :t AND r = :r AND #r > :x AND bracket = :b",
     {**V, ":x": {"N": "1"}, ":b": {"S": "upper"}}, "Query key condition not supported"),
    ("t = :t AND r > :r", V, "Query key condition not supported"),
    ("t = :t AND r = :r AND #r = :x", {**V, ":x": {"S": "1"}},
     "One or more parameter values were invalid: Condition parameter type does not match "
     "schema type"),
    ("t = :t AND r = :r AND begins_with(#r, :x)", {**V, ":x": {"N": "1"}},
     "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
     "operator or function: begins_with, operand type: N"),
    ("t = :t AND r = :r AND pk = :p", {**V, ":p": {"S": "a"}},
     "Query condition missed key schema element: round"),
])
def test_query_condition_errors(filled, kce, values, message):
    with pytest.raises(ValidationException) as e:
        query(filled, kce, values)
    assert e.value.message == message


def test_pages_carry_every_key_attribute(filled):
    seen = []
    esk = None
    while True:
        kw = {"Limit": 1}
        if esk:
            kw["ExclusiveStartKey"] = esk
        got, out = query(filled, "t = :t AND r = :r AND #r >= :x", {**V, ":x": {"N": "1"}},
                         **kw)
        seen += got
        esk = out.get("LastEvaluatedKey")
        if not esk:
            break
        assert set(esk) == {"pk", "t", "r", "round", "bracket"}
    assert seen == ["b", "d", "a", "c"]


def test_a_start_key_missing_an_index_attribute_is_refused(filled):
    esk = {"pk": {"S": "a"}, "t": {"S": "W"}, "r": {"S": "NA"}, "round": {"N": "2"}}
    with pytest.raises(ValidationException, match="The provided starting key is invalid"):
        query(filled, "t = :t AND r = :r", V, ExclusiveStartKey=esk)


def test_legacy_key_conditions(filled):
    out = filled.query(TableName="mat", IndexName="multi", KeyConditions={
        "t": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "W"}]},
        "r": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "NA"}]},
        "round": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}})
    assert [i["pk"]["S"] for i in out["Items"]] == ["d", "a", "c"]
    with pytest.raises(ValidationException) as e:
        filled.query(TableName="mat", IndexName="multi", KeyConditions={
            "t": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "W"}]}})
    assert e.value.message == "Query condition missed key schema element: r"


def test_filter_may_not_name_an_index_key_attribute(filled):
    with pytest.raises(ValidationException, match="Primary key attribute: bracket"):
        query(filled, "t = :t AND r = :r", {**V, ":b": {"S": "x"}},
              FilterExpression="bracket = :b")


def test_writes_move_and_drop_entries(filled):
    filled.update_item(TableName="mat", Key={"pk": {"S": "a"}},
                       UpdateExpression="SET r = :eu", ExpressionAttributeValues={
                           ":eu": {"S": "EU"}})
    filled.update_item(TableName="mat", Key={"pk": {"S": "b"}}, UpdateExpression="REMOVE bracket")
    assert query(filled, "t = :t AND r = :r", V)[0] == ["d", "c"]
    assert query(filled, "t = :t AND r = :r", {":t": {"S": "W"}, ":r": {"S": "EU"}})[0] == \
        ["e", "a"]
    with pytest.raises(ValidationException, match="Type mismatch for Index Key round"):
        filled.put_item(TableName="mat", Item=item("z", "W", "NA", None, "x",
                                                 round={"S": "one"}))


def test_keys_only_projection_holds_every_key_attribute(client):
    create(client, projection={"ProjectionType": "KEYS_ONLY"})
    client.put_item(TableName="mat", Item=item("a", "W", "NA", 1, "upper", extra={"S": "x"}))
    got = client.query(TableName="mat", IndexName="multi",
                       KeyConditionExpression="t = :t AND r = :r",
                       ExpressionAttributeValues=V)["Items"]
    assert got == [{"pk": {"S": "a"}, "t": {"S": "W"}, "r": {"S": "NA"}, "round": {"N": "1"},
                    "bracket": {"S": "upper"}}]


P = "One or more parameter values were invalid: "


@pytest.mark.parametrize("keys,message", [
    ((("t", "HASH"), ("r", "HASH"), ("round", "RANGE"), ("r", "RANGE")),
     "Invalid KeySchema: Duplicate attribute name in KeySchema: r"),
    ((("t", "HASH"), ("round", "RANGE"), ("r", "HASH")),
     "Invalid KeySchema: HASH key attributes must come before RANGE key attributes"),
    ((("round", "RANGE"), ("t", "HASH")),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    (tuple((f"h{i}", "HASH") for i in range(5)),
     "Invalid KeySchema: The number of HASH key attributes (5) exceeds the limit of 4"),
    ((("t", "HASH"),) + tuple((f"s{i}", "RANGE") for i in range(5)),
     "Invalid KeySchema: The number of RANGE key attributes (5) exceeds the limit of 4"),
])
def test_key_schema_errors(client, keys, message):
    names = sorted({n for n, _ in keys} - {"t", "r", "round"})
    attrs = [("pk", "S"), ("t", "S"), ("r", "S"), ("round", "N")] + [(n, "S") for n in names]
    attrs = [a for a in attrs if a[0] == "pk" or a[0] in {n for n, _ in keys}]
    with pytest.raises(ValidationException) as e:
        create(client, keys=keys, attrs=attrs)
    assert e.value.message == message
    assert client.list_tables()["TableNames"] == []


def test_nine_key_attributes_fail_the_shape_check(client):
    keys = tuple((f"h{i}", "HASH") for i in range(4)) + tuple((f"s{i}", "RANGE")
                                                                for i in range(5))
    with pytest.raises(ValidationException, match="length less than or equal to 8"):
        create(client, keys=keys, attrs=[("pk", "S")] + [(n, "S") for n, _ in keys])


def test_local_indexes_and_tables_keep_single_attribute_keys(client):
    with pytest.raises(ValidationException, match="length less than or equal to 2"):
        client.create_table(
            TableName="xyz", BillingMode="PAY_PER_REQUEST",
            KeySchema=key_schema((("pk", "HASH"), ("a", "HASH"), ("b", "RANGE"))),
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                                  for n in ("pk", "a", "b")])
    with pytest.raises(ValidationException) as e:
        client.create_table(
            TableName="xyz", BillingMode="PAY_PER_REQUEST",
            KeySchema=key_schema((("pk", "HASH"), ("sk", "RANGE"))),
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                                  for n in ("pk", "sk", "a")],
            LocalSecondaryIndexes=[{"IndexName": "lsi1", "KeySchema": key_schema(
                (("pk", "HASH"), ("a", "HASH"))), "Projection": {"ProjectionType": "ALL"}}])
    assert e.value.message == ("Invalid KeySchema: The second KeySchemaElement is not a "
                               "RANGE key type")


def test_four_and_four(client):
    keys = tuple((f"h{i}", "HASH") for i in range(4)) + tuple((f"s{i}", "RANGE")
                                                                for i in range(4))
    attrs = [("pk", "S")] + [(n, "N" if n.startswith("s") else "S") for n, _ in keys]
    create(client, keys=keys, attrs=attrs)
    for i in range(20):
        it = {"pk": {"S": f"p{i}"}}
        it.update({f"h{j}": {"S": "x"} for j in range(4)})
        it.update({f"s{j}": {"N": str((i >> (3 - j)) & 1)} for j in range(4)})
        client.put_item(TableName="mat", Item=it)
    values = {f":h{j}": {"S": "x"} for j in range(4)}
    values.update({":a": {"N": "1"}, ":b": {"N": "0"}, ":c": {"N": "1"}})
    kce = " AND ".join(f"h{j} = :h{j}" for j in range(4)) + \
        " AND s0 = :a AND s1 = :b AND s2 >= :c"
    out = client.query(TableName="mat", IndexName="multi", KeyConditionExpression=kce,
                       ExpressionAttributeValues=values)["Items"]
    # i with bits s0=1, s1=0, s2=1: 10, 11, and (16..19 wrap to the same bits) 26/27 > 19
    assert sorted(i["pk"]["S"] for i in out) == ["p10", "p11"]


def test_added_by_update_table_is_backfilled(client):
    client.create_table(
        TableName="mat", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    for row in [("a", "W", "NA", 2, "upper"), ("b", "W", "NA", 1, "lower"),
                ("c", "W", None, 1, "x")]:
        client.put_item(TableName="mat", Item=item(*row))
    client.update_table(
        TableName="mat",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in ATTRS[1:]],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "multi",
                                                 "KeySchema": key_schema(KEYS),
                                                 "Projection": {"ProjectionType": "ALL"}}}])
    deadline = time.monotonic() + 60
    while client.describe_table(TableName="mat")["Table"]["GlobalSecondaryIndexes"][0][
            "IndexStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, "the index never became ACTIVE"
        time.sleep(0.01)
    assert query(client, "t = :t AND r = :r", V)[0] == ["b", "a"]


# -- random queries against a model ----------------------------------------------

ROWS = st.lists(st.tuples(st.sampled_from(["W", "W", "S"]), st.sampled_from(["NA", "NA", "EU"]),
                          st.sampled_from([None, -2, -1, 0, 1, 2, 3]),
                          st.sampled_from([None, "", "a", "ab", "b", "ba"])),
                min_size=4, max_size=40)
OPS = st.sampled_from(["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with", None])


def _holds(v, op, args):
    if op == "=":
        return v == args[0]
    if op == "<":
        return v < args[0]
    if op == "<=":
        return v <= args[0]
    if op == ">":
        return v > args[0]
    if op == ">=":
        return v >= args[0]
    if op == "BETWEEN":
        return args[0] <= v <= args[1]
    return v.startswith(args[0])


@settings(max_examples=100, deadline=None)
@given(rows=ROWS, t=st.sampled_from(["W", "W", "S"]), r=st.sampled_from(["NA", "NA", "EU"]),
       n_sk=st.integers(0, 2), op=OPS, nums=st.lists(st.integers(-2, 3), min_size=2, max_size=2),
       strs=st.lists(st.sampled_from(["a", "ab", "b", "c"]), min_size=2, max_size=2),
       forward=st.booleans(), limit=st.integers(1, 4))
def test_random_queries_match_a_model(rows, t, r, n_sk, op, nums, strs, forward, limit):
    db = dyncore.temporary(sync="none")
    try:
        c = db.client()
        create(c)
        model = []
        for i, (ti, ri, rnd, br) in enumerate(rows):
            br = br or None      # (an empty bracket would be refused)
            c.put_item(TableName="mat", Item=item(f"p{i:02}", ti, ri, rnd, br))
            if rnd is not None and br is not None:
                model.append((ti, ri, rnd, br, f"p{i:02}"))
        kce = "t = :t AND r = :r"
        values = dict(V, **{":t": {"S": t}, ":r": {"S": r}})
        nums, strs = sorted(nums), sorted(strs)
        want = [m for m in model if m[0] == t and m[1] == r]
        if n_sk >= 1 and op is not None:
            if n_sk == 1:   # the condition is on round
                op1 = "=" if op == "begins_with" else op
                args = nums if op1 == "BETWEEN" else nums[:1]
                kce += {"BETWEEN": " AND #r BETWEEN :x AND :y"}.get(op1, f" AND #r {op1} :x")
                values.update({":x": {"N": str(nums[0])}, ":y": {"N": str(nums[1])}})
                want = [m for m in want if _holds(m[2], op1, args)]
            else:           # round = and a condition on bracket
                kce += " AND #r = :n"
                values[":n"] = {"N": str(nums[0])}
                want = [m for m in want if m[2] == nums[0]]
                if op == "BETWEEN":
                    kce += " AND bracket BETWEEN :x AND :y"
                elif op == "begins_with":
                    kce += " AND begins_with(bracket, :x)"
                else:
                    kce += f" AND bracket {op} :x"
                values.update({":x": {"S": strs[0]}, ":y": {"S": strs[1]}})
                want = [m for m in want if _holds(m[3], op, strs if op == "BETWEEN"
                                                  else strs[:1])]
        want.sort(key=lambda m: (m[2], m[3].encode(), m[4]), reverse=not forward)
        got = []
        esk = None
        while True:
            kw = {"Limit": limit, "ScanIndexForward": forward}
            if esk:
                kw["ExclusiveStartKey"] = esk
            names = {"ExpressionAttributeNames": {"#r": "round"}} if "#r" in kce else {}
            out = c.query(TableName="mat", IndexName="multi", KeyConditionExpression=kce,
                          ExpressionAttributeValues={k: v for k, v in values.items()
                                                     if k in kce}, **names, **kw)
            got += [i["pk"]["S"] for i in out["Items"]]
            esk = out.get("LastEvaluatedKey")
            if not esk:
                break
        # ties in (round, bracket) order by the base key, which the
        # model's p-numbers follow
        assert got == [m[4] for m in want]
    finally:
        db.close()


def test_a_cached_key_condition_is_matched_again_for_another_schema(client):
    """The same KeyConditionExpression and values against two tables whose
    key attributes share names but not types: the second still gets the
    type error (a plan's key match is kept per key schema)."""
    for name, t in (("numkeys", "N"), ("strkeys", "S")):
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": t}])
    q = dict(KeyConditionExpression="k = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    assert client.query(TableName="numkeys", **q)["Count"] == 0
    with pytest.raises(ValidationException, match="Condition parameter type does not match"):
        client.query(TableName="strkeys", **q)
    assert client.query(TableName="numkeys", **q)["Count"] == 0
