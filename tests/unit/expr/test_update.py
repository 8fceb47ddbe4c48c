"""UpdateExpression applied to items: one row per action, function, edge and
error, with DynamoDB's answer.

Sources: [S] ScyllaDB's alternator test_update_expression.py / test_number.py
(run against AWS; test name given), [D] dynalite test/updateItem.js (recorded
against DynamoDB), [X] live captures quoted in other emulators' issue threads,
[I] inferred.
"""
import copy

import pytest

from dyncore.errors import ValidationException
from dyncore.expr import (
    Path, apply_update, check_update_keys, parse_update, updated_paths,
)
from dyncore.expr.update import (
    INCORRECT_TYPE, INVALID_PATH, MISSING_ATTRIBUTE, NUMBER_OVERFLOW, NUMBER_UNDERFLOW,
)


def S(s):
    return {"S": s}


def N(n):
    return {"N": str(n)}


def L(*xs):
    return {"L": list(xs)}


def M(**kw):
    return {"M": kw}


BASE = {
    "pk": S("k1"),
    "a": N(2),
    "s": S("hi"),
    "l": L(N(2), N(3), N(4), N(5), N(6), N(7)),
    "m": M(x=N(1), y=M(z=S("deep"))),
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01"]},
    "nl": L(),
    "e": M(),
    "l2": L({"SS": ["a"]}, N(1)),
}

V = {
    ":v": S("new"), ":w": S("w"), ":one": N(1), ":ten": N(10), ":lst": L(N(8), N(9)),
    ":s": {"SS": ["d"]}, ":sa": {"SS": ["a"]}, ":sbx": {"SS": ["b", "x"]},
    ":sall": {"SS": ["c", "a", "b"]},
    ":ns": {"NS": ["2.0", "3"]}, ":n2": {"NS": ["2.0"]}, ":bs": {"BS": [b"\x01", b"\x02"]},
    ":b1": {"BS": [b"\x01"]}, ":a": S("a1"), ":b": S("a2"), ":c": S("a3"), ":d": S("a4"),
    ":x": N("0.1"), ":y": N("0.3"), ":big": N("1E+125"), ":tiny": N("1E-130"),
    ":ninees": N("9E+125"), ":negnines": N("-9E+125"), ":e50": N("1E+50"), ":tiny9": N("9E-131"),
    ":seventeen": N(17),
}

MISSING = object()     # marks an attribute the update removes


def _tokens(text):
    out, cur = [], ""
    for ch in text:
        if ch.isalnum() or ch in ":_":
            cur += ch
        else:
            if cur:
                out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def run(text, item, names=None, key=None):
    values = {k: v for k, v in V.items() if k in _tokens(text)}
    tree = parse_update(text, names, values or None)
    before = copy.deepcopy(item)
    try:
        return apply_update(tree, item, key)
    finally:
        assert item == before, "apply_update modified its input"


# (update, changed attributes {name: new AttributeValue or MISSING})
CASES = [
    # -- SET ---------------------------------------------------------------------
    ("SET a = :v", {"a": S("new")}),
    ("SET z = :v", {"z": S("new")}),
    ("SET z = s", {"z": S("hi")}),                                    # copy [S set_copy]
    ("SET a = a", {}),                                                # [S set_copy]
    ("SET s = a, a = s", {"s": N(2), "a": S("hi")}),                  # reads the original item
    ("SET z = m.y.z", {"z": S("deep")}),                              # [S nested_attribute_rhs]
    ("SET z = l[5]", {"z": N(7)}),
    ("REMOVE a SET b = a", {"a": MISSING, "b": N(2)}),                # [S multi_with_copy]
    ("SET c = s REMOVE s", {"s": MISSING, "c": S("hi")}),             # [S multi_with_copy]
    # arithmetic
    ("SET a = a + :one", {"a": N(3)}),                                # [S plus_rmw]
    ("SET a = :one + a", {"a": N(3)}),
    ("SET a = a - :ten", {"a": N(-8)}),
    ("SET z = :one - a", {"z": N(-1)}),                               # [S set_nested_copy]
    ("SET z = a + a", {"z": N(4)}),                                   # [S set_key]
    ("SET z = :x - :y", {"z": N("-0.2")}),                            # exact decimal
    ("SET z = :x + :x", {"z": N("0.2")}),
    ("SET z = :one - :one", {"z": N(0)}),                             # no "-0"
    ("SET z = :big - :big", {"z": N(0)}),
    ("SET z = :big + :big", {"z": N("2" + "0" * 125)}),               # positional, no exponent
    ("SET z = :tiny + :tiny", {"z": N("0." + "0" * 129 + "2")}),
    ("SET z = (a) + (m.x)", {"z": N(3)}),
    ("SET z = if_not_exists(z, :one) + :ten", {"z": N(11)}),          # [S function_plus_nesting]
    # if_not_exists / list_append
    ("SET a = if_not_exists(a, :v)", {}),                             # kept [S if_not_exists]
    ("SET z = if_not_exists(z, :v)", {"z": S("new")}),                # [S]
    ("SET z = if_not_exists(a, :v)", {"z": N(2)}),                    # [S]
    ("SET z = if_not_exists(m.q, s)", {"z": S("hi")}),
    ("SET z = if_not_exists(s.q, :v)", {"z": S("new")}),              # a step into S is missing
    ("SET l = list_append(l, :lst)",
     {"l": L(N(2), N(3), N(4), N(5), N(6), N(7), N(8), N(9))}),       # [S list_append]
    ("SET l = list_append(:lst, l)",
     {"l": L(N(8), N(9), N(2), N(3), N(4), N(5), N(6), N(7))}),       # [S]
    ("SET z = list_append(nl, :lst)", {"z": L(N(8), N(9))}),          # empty list [S]
    ("SET z = list_append(l2, l2)", {"z": L({"SS": ["a"]}, N(1), {"SS": ["a"]}, N(1))}),
    # nested targets
    ("SET m.x = :v", {"m": M(x=S("new"), y=M(z=S("deep")))}),          # [S nested_attribute_dot]
    ("SET m.w = :v", {"m": M(x=N(1), y=M(z=S("deep")), w=S("new"))}),  # [S]
    ("SET m.y.z = :v", {"m": M(x=N(1), y=M(z=S("new")))}),
    ("SET m.y = :one", {"m": M(x=N(1), y=N(1))}),                     # [S nested_different_type]
    ("SET e.k = :v", {"e": M(k=S("new"))}),
    ("SET l[1] = :v", {"l": L(N(2), S("new"), N(4), N(5), N(6), N(7))}),   # [S ..._index]
    ("SET l[10] = :v", {"l": L(N(2), N(3), N(4), N(5), N(6), N(7), S("new"))}),  # appends [S]
    ("SET l[84] = :a, l[37] = :b, l[17] = :c, l[50] = :d",            # by index [S out_of_bounds]
     {"l": L(N(2), N(3), N(4), N(5), N(6), N(7), S("a3"), S("a2"), S("a4"), S("a1"))}),
    ("SET nl[0] = :v", {"nl": L(S("new"))}),
    ("SET nl[5] = :v", {"nl": L(S("new"))}),
    ("SET l2[0] = :v, m.y.w = :w",
     {"l2": L(S("new"), N(1)), "m": M(x=N(1), y=M(z=S("deep"), w=S("w")))}),
    # -- REMOVE ---------------------------------------------------------------------
    ("REMOVE a", {"a": MISSING}),                                     # [S remove]
    ("REMOVE nope", {}),                                              # missing: no-op [S]
    ("REMOVE m.x", {"m": M(y=M(z=S("deep")))}),
    ("REMOVE m.q", {}),                                               # [S remove_missing_leaf]
    ("REMOVE m.y.z", {"m": M(x=N(1), y=M())}),                        # empty map stays [S]
    ("REMOVE l[0], l[2]", {"l": L(N(3), N(5), N(6), N(7))}),          # original positions
    ("REMOVE l[17]", {}),                                             # past the end [S]
    ("REMOVE l[0], l[1], l[2], l[3], l[4], l[5]", {"l": L()}),        # empty list stays [S]
    ("REMOVE a, s, m", {"a": MISSING, "s": MISSING, "m": MISSING}),
    # -- ADD ------------------------------------------------------------------------
    ("ADD a :one", {"a": N(3)}),                                      # [S add_numbers]
    ("ADD z :one", {"z": N(1)}),                                      # creates [S add_numbers_new]
    ("ADD ss :s", {"ss": {"SS": ["a", "b", "c", "d"]}}),              # [S add_sets]
    ("ADD ss :sbx", {"ss": {"SS": ["a", "b", "c", "x"]}}),            # duplicates dropped [S]
    ("ADD ss :sall", {}),
    ("ADD z :s", {"z": {"SS": ["d"]}}),                               # [S add_sets_new]
    ("ADD ns :ns", {"ns": {"NS": ["1", "2", "3"]}}),                  # numeric duplicates
    ("ADD bs :bs", {"bs": {"BS": [b"\x01", b"\x02"]}}),
    ("ADD m.c :one", {"m": M(x=N(1), y=M(z=S("deep")), c=N(1))}),
    ("ADD m.x :ten", {"m": M(x=N(11), y=M(z=S("deep")))}),
    ("ADD l[0] :one", {"l": L(N(3), N(3), N(4), N(5), N(6), N(7))}),
    ("ADD l[9] :one", {"l": L(N(2), N(3), N(4), N(5), N(6), N(7), N(1))}),   # appends [D]
    ("ADD l2[0] :s", {"l2": L({"SS": ["a", "d"]}, N(1))}),
    # -- DELETE -----------------------------------------------------------------------
    ("DELETE ss :sa", {"ss": {"SS": ["b", "c"]}}),                    # [S delete_sets]
    ("DELETE ss :s", {}),                                             # absent element [S]
    ("DELETE ss :sall", {"ss": MISSING}),                             # emptied: removed [S]
    ("DELETE nope :sa", {}),                                          # missing: no-op [S]
    ("DELETE ns :n2", {"ns": {"NS": ["1"]}}),                         # numeric match
    ("DELETE bs :b1", {"bs": MISSING}),
    ("DELETE bs :bs", {"bs": MISSING}),
    ("DELETE l2[0] :sa", {"l2": L(N(1))}),                            # emptied element goes [I]
    ("DELETE m.q :sa", {}),
    # -- several clauses -----------------------------------------------------------------
    ("SET a = :v REMOVE s ADD z :one DELETE ss :sa",
     {"a": S("new"), "s": MISSING, "z": N(1), "ss": {"SS": ["b", "c"]}}),
    ("REMOVE s SET a = s", {"s": MISSING, "a": S("hi")}),
]

LIST_ORDER = [2, 4, 17, 6, 7]   # [S nested_remove_list_item_original_number]


@pytest.mark.parametrize("text,changes", CASES, ids=[c[0] for c in CASES])
def test_update(text, changes):
    new = run(text, BASE)
    expected = dict(BASE)
    for name, value in changes.items():
        if value is MISSING:
            expected.pop(name)
        else:
            expected[name] = value
    assert new == expected


@pytest.mark.parametrize("text", ["REMOVE l[1] SET l[3] = :seventeen",
                                  "SET l[3] = :seventeen REMOVE l[1]"])
def test_list_positions_are_original(text):
    # [S test_update_expression_nested_remove_list_item_original_number]
    tree = parse_update(text, None, {":seventeen": N(17)})
    new = apply_update(tree, BASE)
    assert new["l"] == L(*(N(x) for x in LIST_ORDER))


def test_dynalite_nested_update():
    # [D "should update nested attributes"]: the item DynamoDB returned.
    k = S("key")
    item = {"a": k, "b": M(a=N(1), b=N(2), c=N(3)), "c": L(N(1), N(3))}
    text = ("set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c "
            "add c[8] :b, c[6] :a")
    tree = parse_update(text, None, {":a": N(2), ":b": {"SS": ["a"]}})
    new = apply_update(tree, item)
    assert new == {"a": k, "b": M(a=k, b=N(2), c=N(4)),
                   "c": L(N(1), k, N(3), N(-1), N(2), {"SS": ["a"]})}


# -- a missing item ---------------------------------------------------------------------
NO_ITEM = [
    ("SET a = :v", None, {"a": S("new")}),                            # [S set]
    ("SET a = :v", {"pk": S("k")}, {"pk": S("k"), "a": S("new")}),
    ("SET b = if_not_exists(b, pk)", {"pk": S("k")},                  # [D "...other attributes"]
     {"pk": S("k"), "b": S("k")}),
    ("REMOVE x.y", None, {}),                                         # [S remove_from_missing_item]
    ("REMOVE x[0]", {"pk": S("k")}, {"pk": S("k")}),                  # [S]
    ("ADD n :one", None, {"n": N(1)}),                                # [S add_numbers_new]
    ("ADD ss :s", None, {"ss": {"SS": ["d"]}}),                       # [S add_sets_new]
    ("DELETE ss :s", None, {}),
]


@pytest.mark.parametrize("text,key,expected", NO_ITEM, ids=[c[0] for c in NO_ITEM])
def test_update_missing_item(text, key, expected):
    assert run(text, None, key=key) == expected


# -- errors: (update, item, message) -------------------------------------------------
ERRORS = [
    # operands
    ("SET z = nope", BASE, MISSING_ATTRIBUTE),                        # [D, S set_copy]
    ("SET z = nope", None, MISSING_ATTRIBUTE),                        # [S]
    ("SET x = :v, y = x", BASE, MISSING_ATTRIBUTE),                   # original item [S set_copy]
    ("SET nope = nope", BASE, MISSING_ATTRIBUTE),                     # [S]
    ("SET z = list_append(nope, :lst)", BASE, MISSING_ATTRIBUTE),     # [D]
    ("SET z = list_append(:lst, nope)", BASE, MISSING_ATTRIBUTE),
    ("SET z = nope + :one", BASE, MISSING_ATTRIBUTE),
    ("SET z = :one - m.q", BASE, MISSING_ATTRIBUTE),
    ("SET z = if_not_exists(nope, m.q)", BASE, MISSING_ATTRIBUTE),
    ("SET z = s + :one", BASE, INCORRECT_TYPE),                       # [D "set e = a + :a"]
    ("SET z = :one - s", BASE, INCORRECT_TYPE),
    ("SET z = l - :one", BASE, INCORRECT_TYPE),
    ("SET z = s + nope", BASE, INCORRECT_TYPE),                       # left operand first [D code]
    ("SET z = nope + s", BASE, MISSING_ATTRIBUTE),
    ("SET z = list_append(s, :lst)", BASE, INCORRECT_TYPE),           # [S list_append_non_list]
    ("SET z = list_append(:lst, ns)", BASE, INCORRECT_TYPE),          # [D "list_append(d, ...)"]
    ("SET z = list_append(:lst, m)", BASE, INCORRECT_TYPE),
    # numbers [S test_number.py; X extenddb #94]
    ("SET z = :ninees + :ninees", BASE, NUMBER_OVERFLOW),             # 1.8E126
    ("SET z = :ninees - :negnines", BASE, NUMBER_OVERFLOW),
    ("SET z = :e50 + :one", BASE, NUMBER_OVERFLOW),                   # 51 digits [S plus_imprecise]
    ("SET z = :e50 - :one", BASE, NUMBER_OVERFLOW),
    ("SET z = :big + :one", BASE, NUMBER_OVERFLOW),
    ("SET z = :tiny - :tiny9", BASE, NUMBER_UNDERFLOW),               # 1E-131
    ("ADD big :ninees", {"big": N("9E+125")}, NUMBER_OVERFLOW),
    # target paths [S nested_attribute_update_bad_path_dot/_array, D]
    ("SET s.c = :v", BASE, INVALID_PATH),
    ("SET l.c = :v", BASE, INVALID_PATH),
    ("SET nope.c = :v", BASE, INVALID_PATH),
    ("SET s[0] = :v", BASE, INVALID_PATH),
    ("SET m[0] = :v", BASE, INVALID_PATH),                            # [D "set c[1]" on a map]
    ("SET nope[0] = :v", BASE, INVALID_PATH),
    ("SET l[9].x = :v", BASE, INVALID_PATH),                          # parent past the end [I]
    ("SET m.q.r = :v", BASE, INVALID_PATH),
    ("SET c.c = :v", None, INVALID_PATH),                             # missing item too [S]
    ("SET b[1] = :v", None, INVALID_PATH),                            # [D]
    ("REMOVE s.c", BASE, INVALID_PATH),                               # [S, D "remove b.a"]
    ("REMOVE nope.c", BASE, INVALID_PATH),                            # [S, D "remove y.a"]
    ("REMOVE m[1]", BASE, INVALID_PATH),                              # [D "remove c[1]"]
    ("REMOVE l.x", BASE, INVALID_PATH),                               # [D "remove d.#1"]
    ("REMOVE s[0]", BASE, INVALID_PATH),                              # [S bad_path_array]
    ("DELETE nope.a :sa", BASE, INVALID_PATH),                        # [D "delete y.a :a"]
    ("DELETE s.a :sa", BASE, INVALID_PATH),                           # [D "delete b.a :a"]
    ("ADD nope.a :one", BASE, INVALID_PATH),                          # [D "add y.a :a"]
    ("ADD m[1] :one", BASE, INVALID_PATH),                            # [D "add c[1] :a"]
    ("ADD l.x :one", BASE, INVALID_PATH),                             # [D "add d.#1 :a"]
    # ADD / DELETE types [D "using expression to delete/add incorrect types", S]
    ("ADD s :one", BASE, INCORRECT_TYPE),                             # [S add_numbers]
    ("ADD ns :one", BASE, INCORRECT_TYPE),                            # [D "add d :a"]
    ("ADD ss :ns", BASE, INCORRECT_TYPE),
    ("ADD m :ns", BASE, INCORRECT_TYPE),                              # [D "add b :a"]
    ("ADD l :s", BASE, INCORRECT_TYPE),                               # [S add_lists]
    ("ADD a :s", BASE, INCORRECT_TYPE),
    ("DELETE ns :sa", BASE, INCORRECT_TYPE),                          # [D "delete d :a"]
    ("DELETE a :ns", BASE, INCORRECT_TYPE),                           # [D "delete c :a"]
    ("DELETE m :ns", BASE, INCORRECT_TYPE),                           # [D "delete b :a"]
    ("DELETE bs :sa", BASE, INCORRECT_TYPE),
    # order: SET values first, then targets in textual order [I, D code]
    ("SET s.c = :v, z = nope", BASE, MISSING_ATTRIBUTE),
    ("ADD s :one SET m[0] = :v", BASE, INCORRECT_TYPE),
    ("SET m[0] = :v ADD s :one", BASE, INVALID_PATH),
    ("ADD s :one REMOVE m.x.q", BASE, INCORRECT_TYPE),
    ("REMOVE m.x.q ADD s :one", BASE, INVALID_PATH),
]

@pytest.mark.parametrize("text,item,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_update_error(text, item, message):
    with pytest.raises(ValidationException) as info:
        run(text, item)
    assert info.value.message == message                              # no prefix [D]


# -- keys -----------------------------------------------------------------------------
KEY_MSG = ("One or more parameter values were invalid: Cannot update attribute {}. "
           "This attribute is part of the key")
KEYS = [
    ("SET pk = :v", ("pk",), "pk"),                                   # [S cannot_modify_key]
    ("REMOVE pk", ("pk",), "pk"),                                     # [S]
    ("ADD pk :one", ("pk",), "pk"),                                   # [S]
    ("DELETE pk :sa", ("pk",), "pk"),                                 # [S]
    ("ADD pk.b :one", ("pk",), "pk"),                                 # nested: same message [D]
    ("SET pk[1] = :v", ("pk", "sk"), "pk"),
    ("REMOVE d SET b = :v, pk = :v", ("pk",), "pk"),                  # [D]
    ("DELETE b :sa REMOVE pk", ("pk",), "pk"),                        # [D]
    ("SET pk = pk.b + pk[1]", ("pk",), "pk"),                         # [D]
    ("SET d[1] = :v ADD sk.b :one", ("pk", "sk"), "sk"),              # [D range key]
    ("SET a = :v, sk = :v, pk = :v", ("pk", "sk"), "sk"),             # first in text [I]
    ("SET a = pk, b = sk", ("pk", "sk"), None),                       # reading is fine [S set_key]
    ("SET pkx = :v REMOVE xpk", ("pk",), None),
]


@pytest.mark.parametrize("text,keys,bad", KEYS, ids=[k[0] for k in KEYS])
def test_check_update_keys(text, keys, bad):
    tree = parse_update(text, None, {k: v for k, v in V.items() if k in _tokens(text)} or None)
    if bad is None:
        assert check_update_keys(tree, keys) is None
    else:
        with pytest.raises(ValidationException) as info:
            check_update_keys(tree, keys)
        assert info.value.message == KEY_MSG.format(bad)


def test_updated_paths():
    tree = parse_update("SET a = :v, m.x = :one REMOVE l[1] ADD n :one DELETE ss :sa", None,
                        {":v": S("x"), ":one": N(1), ":sa": {"SS": ["a"]}})
    assert updated_paths(tree) == (Path(("a",)), Path(("m", "x")), Path(("l", 1)), Path(("n",)),
                                   Path(("ss",)))


def test_result_shares_only_unchanged_values():
    new = run("SET m.x = :v", BASE)
    assert new["m"] is not BASE["m"]
    assert new["m"]["M"]["y"] is BASE["m"]["M"]["y"]                  # untouched sub-value shared
    assert new["l"] is BASE["l"]
    assert new is not BASE
