"""The HTTP server's fast paths (Service.get_item and Service.write in the
JSON form) answer exactly as the general path (Service.call) does: two
databases in the same state get the same requests, one through each, with
AttributeValues drawn from valid and malformed JSON; every answer or error
and the final contents must agree."""
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

import dyncore
from dyncore import _core
from dyncore.api.service import Service

J = _core.FORM_JSON

scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(
    ["a", "1", "x y", "", "true", "AAE=", "not base64!", "1e400", "-0"]))
av = st.recursive(
    st.dictionaries(st.sampled_from(["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "X"]),
                    st.one_of(scalar, st.lists(scalar, max_size=3)), min_size=1, max_size=2),
    lambda inner: st.one_of(
        st.dictionaries(st.just("M"), st.dictionaries(st.sampled_from(["a", "b"]), inner,
                                                      max_size=2), min_size=1, max_size=1),
        st.dictionaries(st.just("L"), st.lists(inner, max_size=2), min_size=1, max_size=1)),
    max_leaves=4)
good_pk = st.sampled_from([{"S": "k1"}, {"S": "k2"}, {"S": "k3"}])
pk = st.one_of(good_pk, good_pk, av, scalar)
attrs = st.dictionaries(st.sampled_from(["v", "w", "pk"]), st.one_of(av, scalar), max_size=3)

requests = st.one_of(
    st.builds(lambda k: ("GetItem", {"TableName": "tbl", "Key": {"pk": k}}), pk),
    st.builds(lambda k, c: ("GetItem", {"TableName": "tbl", "Key": {"pk": k},
                                        "ConsistentRead": c}), pk, st.one_of(st.booleans(), scalar)),
    st.builds(lambda k, a: ("PutItem", {"TableName": "tbl", "Item": {"pk": k, **a}}), pk, attrs),
    st.builds(lambda k, v: ("UpdateItem", {
        "TableName": "tbl", "Key": {"pk": k}, "UpdateExpression": "SET v = :v",
        "ExpressionAttributeValues": {":v": v}}), pk, st.one_of(av, st.just({"N": "1"}))),
    st.builds(lambda k, v: ("PutItem", {
        "TableName": "tbl", "Item": {"pk": k, "v": {"N": "1"}},
        "ConditionExpression": "attribute_not_exists(v) OR v = :v",
        "ExpressionAttributeValues": {":v": v}}), pk, st.one_of(av, st.just({"N": "1"}))),
    st.builds(lambda k, r: ("DeleteItem", {"TableName": "tbl", "Key": {"pk": k},
                                           "ReturnValues": r}),
              pk, st.sampled_from(["ALL_OLD", "NONE", "BOGUS", None])),
)


def outcome(fn):
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - comparing whatever is raised
        return type(e).__name__, str(e)


def fresh():
    db = dyncore.open(tempfile.mkdtemp(prefix="dyncore-fp-"), sync="none")
    db.client().create_table(
        TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    return db


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(requests, min_size=1, max_size=12))
def test_json_fast_paths_answer_as_the_general_path(reqs):
    fast_db, slow_db = fresh(), fresh()
    try:
        fast, slow = Service(fast_db), Service(slow_db)
        for op, p in reqs:
            for _ in range(2):   # the second time, expression plans are cached
                if op == "GetItem":
                    got = outcome(lambda: fast.get_item(dict(p), J))
                else:
                    got = outcome(lambda: fast.write(op, dict(p), J))
                want = outcome(lambda: slow.call(op, dict(p), J, "json"))
                assert got == want, (op, p)
        scan = {"TableName": "tbl"}
        a = sorted(map(repr, fast.call("Scan", scan, J, "json")["Items"]))
        b = sorted(map(repr, slow.call("Scan", scan, J, "json")["Items"]))
        assert a == b
    finally:
        fast_db.close()
        slow_db.close()
