"""dyncore.api.legacy: legacy parameters -> expression trees, and DynamoDB's
validation of them.

Sources of the expected texts and results (see the module docstring):
  [D]   dynalite test/*.js, run against live DynamoDB (validations blocks for
        messages; the scan functionality tests pair each legacy ScanFilter
        operator with its FilterExpression and expect the same items);
  [L]   DynamoDB Local's validator and LocalDBComparisonOperator (order of
        checks, operator semantics on missing attributes);
  [X]   ExtendDB's dual-target ConditionalOperator tests (run against AWS);
  [C26] live captures of 2026 (DeleteItem "every malformed Expected condition");
  [Doc] Developer Guide, LegacyConditionalParameters.*.

The evaluation and update-application rows need dyncore.expr.evaluate /
dyncore.expr.update and are skipped until those modules exist.
"""
from __future__ import annotations

import importlib.util
from decimal import Decimal

import pytest

from dyncore.api import legacy as L
from dyncore.errors import ValidationException
from dyncore.expr import (
    And, Between, Call, Compare, In, Not, Or, Path, Projection, Update, Value, dump,
    parse_condition, parse_projection, parse_update, to_text,
)

INVALID = "One or more parameter values were invalid: "


def _msg(fn, *args, **kw) -> str:
    with pytest.raises(ValidationException) as info:
        fn(*args, **kw)
    return info.value.message


def _mixed(non_expr: str, expr: str) -> str:
    return ("Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{non_expr}}} Expression parameters: {{{expr}}}")


S = {"S": "a"}
N = {"N": "1"}
B = {"B": b"ab"}
SAMPLES = {
    "S": {"S": "a"}, "N": {"N": "1"}, "B": {"B": b"ab"}, "BOOL": {"BOOL": True},
    "NULL": {"NULL": True}, "SS": {"SS": ["a"]}, "NS": {"NS": ["1"]}, "BS": {"BS": [b"ab"]},
    "M": {"M": {}}, "L": {"L": []},
}


# ---------------------------------------------------------------------------
# check_mixed
# ---------------------------------------------------------------------------

MIXED = [
    # [D updateItem.js]: an empty AttributeUpdates map still counts; lists in fixed order
    ("UpdateItem", {"Key": {}, "Expected": {"a": {}}, "AttributeUpdates": {},
                    "ExpressionAttributeNames": {}, "ExpressionAttributeValues": {},
                    "ConditionExpression": "", "UpdateExpression": ""},
     _mixed("AttributeUpdates, Expected", "UpdateExpression, ConditionExpression")),
    # [X] full sets, request order differs from the listed order
    ("UpdateItem", {"ConditionExpression": "attribute_exists(pk)", "UpdateExpression": "SET a = :v",
                    "ConditionalOperator": "AND", "Expected": {"a": {}},
                    "AttributeUpdates": {"a": {"Value": S}}},
     _mixed("AttributeUpdates, Expected, ConditionalOperator",
            "UpdateExpression, ConditionExpression")),
    # [C26] mixing UpdateExpression with AttributeUpdates
    ("UpdateItem", {"UpdateExpression": "SET attr1 = :v", "AttributeUpdates": {"attr1": {"Value": S}}},
     _mixed("AttributeUpdates", "UpdateExpression")),
    ("UpdateItem", {"AttributeUpdates": {"a": {"Value": S}}, "ConditionExpression": "x"},
     _mixed("AttributeUpdates", "ConditionExpression")),  # [X]
    ("UpdateItem", {"Expected": {"a": {}, "b": {}}, "UpdateExpression": "SET c = :v"},
     _mixed("Expected", "UpdateExpression")),  # [X]
    ("UpdateItem", {"ConditionalOperator": "AND", "UpdateExpression": "SET a = :v"},
     _mixed("ConditionalOperator", "UpdateExpression")),  # [X]
    # [D query.js]
    ("Query", {"AttributesToGet": ["a", "a"], "KeyConditions": {"a": {}}, "QueryFilter": {"a": {}},
               "ConditionalOperator": "OR", "ProjectionExpression": "", "FilterExpression": "",
               "KeyConditionExpression": ""},
     _mixed("AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions",
            "ProjectionExpression, FilterExpression, KeyConditionExpression")),
    # [X] query full sets without AttributesToGet
    ("Query", {"KeyConditions": {"pk": {}}, "QueryFilter": {"a": {}}, "ConditionalOperator": "AND",
               "KeyConditionExpression": "pk = :p", "FilterExpression": "a = :v",
               "ProjectionExpression": "b"},
     _mixed("QueryFilter, ConditionalOperator, KeyConditions",
            "ProjectionExpression, FilterExpression, KeyConditionExpression")),
    ("Query", {"ConditionalOperator": "AND", "KeyConditionExpression": "pk = :p"},
     _mixed("ConditionalOperator", "KeyConditionExpression")),  # [X]
    ("Query", {"AttributesToGet": ["a"], "KeyConditionExpression": "pk = :p"},
     _mixed("AttributesToGet", "KeyConditionExpression")),  # [X]
    ("Query", {"QueryFilter": {"a": {}}, "KeyConditionExpression": "pk = :p"},
     _mixed("QueryFilter", "KeyConditionExpression")),  # [X]
    ("Query", {"KeyConditions": {"pk": {}}, "KeyConditionExpression": "pk = :p"},
     _mixed("KeyConditions", "KeyConditionExpression")),  # [L]
    # KeyConditions is exempt unless KeyConditionExpression is present [L][X]
    ("Query", {"KeyConditions": {"pk": {}}, "FilterExpression": "a = :v"}, None),
    ("Query", {"KeyConditions": {"pk": {}}, "ProjectionExpression": "a"}, None),
    ("Query", {"KeyConditions": {"pk": {}}, "QueryFilter": {"a": {}},
               "FilterExpression": "a = :v"}, _mixed("QueryFilter", "FilterExpression")),
    # [D scan.js]
    ("Scan", {"ScanFilter": {"a": {}}, "Segment": 1, "Limit": 1, "AttributesToGet": ["a", "a"],
              "ConditionalOperator": "OR", "Select": "SPECIFIC_ATTRIBUTES", "FilterExpression": "",
              "ProjectionExpression": "", "ExpressionAttributeNames": {},
              "ExpressionAttributeValues": {}},
     _mixed("AttributesToGet, ScanFilter, ConditionalOperator",
            "ProjectionExpression, FilterExpression")),
    ("Scan", {"ConditionalOperator": "AND", "FilterExpression": "a = :v"},
     _mixed("ConditionalOperator", "FilterExpression")),  # [X]
    ("Scan", {"ConditionalOperator": "AND", "ProjectionExpression": "a"},
     _mixed("ConditionalOperator", "ProjectionExpression")),  # [X]
    ("Scan", {"ScanFilter": {"a": {}}, "ProjectionExpression": "b"},
     _mixed("ScanFilter", "ProjectionExpression")),  # [X]
    ("Scan", {"AttributesToGet": ["a"], "FilterExpression": "a = :v"},
     _mixed("AttributesToGet", "FilterExpression")),  # [X]
    # PutItem / DeleteItem [C26][X]
    ("PutItem", {"Expected": {"pk": {"Exists": False}}, "ConditionExpression": "attribute_not_exists(pk)"},
     _mixed("Expected", "ConditionExpression")),
    ("PutItem", {"ConditionalOperator": "AND", "ConditionExpression": "attribute_exists(pk)"},
     _mixed("ConditionalOperator", "ConditionExpression")),
    ("PutItem", {"ConditionalOperator": "AND", "Expected": {"a": {}},
                 "ConditionExpression": "attribute_exists(pk)"},
     _mixed("Expected, ConditionalOperator", "ConditionExpression")),
    ("DeleteItem", {"Expected": {"pk": {"Exists": False}},
                    "ConditionExpression": "attribute_not_exists(pk)"},
     _mixed("Expected", "ConditionExpression")),
    ("DeleteItem", {"ConditionalOperator": "AND", "ConditionExpression": "attribute_exists(pk)"},
     _mixed("ConditionalOperator", "ConditionExpression")),
    # GetItem and a BatchGetItem entry [D getItem.js, batchGetItem.js]
    ("GetItem", {"AttributesToGet": ["a"], "ProjectionExpression": ""},
     _mixed("AttributesToGet", "ProjectionExpression")),
    ("BatchGetItem", {"Keys": [{}], "AttributesToGet": ["a"], "ExpressionAttributeNames": {},
                      "ProjectionExpression": ""},
     _mixed("AttributesToGet", "ProjectionExpression")),
    # one side only, or nothing
    ("UpdateItem", {"AttributeUpdates": {}, "Expected": {}, "ConditionalOperator": "OR"}, None),
    ("UpdateItem", {"UpdateExpression": "SET a = :v", "ConditionExpression": "x"}, None),
    ("Scan", {"AttributesToGet": None, "ScanFilter": None, "FilterExpression": "x"}, None),
    ("GetItem", {}, None),
    # operations without legacy parameters
    ("TransactGetItems", {"AttributesToGet": ["a"], "ProjectionExpression": "a"}, None),
    ("ConditionCheck", {"Expected": {}, "ConditionExpression": "x"}, None),
]


@pytest.mark.parametrize("operation,params,expected", MIXED)
def test_check_mixed(operation, params, expected):
    if expected is None:
        assert L.check_mixed(operation, params) is None
    else:
        assert _msg(L.check_mixed, operation, params) == expected


def test_check_mixed_lists_only_the_operations_own_parameters():
    # A parameter that the operation does not take is the shape check's business.
    assert L.check_mixed("GetItem", {"Expected": {}, "ProjectionExpression": "a"}) is None
    assert _msg(L.check_mixed, "PutItem", {"Expected": {}, "AttributesToGet": ["a"],
                                           "ConditionExpression": "x", "FilterExpression": "y"}) \
        == _mixed("Expected", "ConditionExpression")


# ---------------------------------------------------------------------------
# ConditionalOperator
# ---------------------------------------------------------------------------

_WITHOUT = "ConditionalOperator cannot be used without Filter or Expected"
_ONE = "ConditionalOperator can only be used when Filter or Expected has two or more elements"
_EQ_X = {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}

CONDOP = [
    # [L][X]
    ("expected", None, "AND", _WITHOUT),
    ("expected", None, "OR", _WITHOUT),
    ("expected", {}, "AND", _WITHOUT),
    ("expected", {"a": _EQ_X}, "AND", _ONE),
    ("expected", {"a": {"Value": S}}, "OR", _ONE),
    ("scan", None, "AND", _WITHOUT),
    ("scan", None, "OR", _WITHOUT),
    ("scan", {}, "AND", _WITHOUT),  # [X] an empty ScanFilter counts as none
    ("scan", {"a": _EQ_X}, "AND", _ONE),
    ("query", None, "AND", _WITHOUT),
    ("query", {"a": _EQ_X}, "AND", _ONE),
    # the rule comes before the entries' own problems (module docstring: inferred)
    ("expected", {"a": {}}, "AND", _ONE),
    ("scan", {"a": {"ComparisonOperator": "EQ"}}, "AND", _ONE),
]


def _build(kind, conditions, op):
    if kind == "expected":
        return L.expected_condition(conditions, op)
    return L.filter_condition(conditions, op, "QueryFilter" if kind == "query" else "ScanFilter")


@pytest.mark.parametrize("kind,conditions,op,expected", CONDOP)
def test_conditional_operator_rule(kind, conditions, op, expected):
    assert _msg(_build, kind, conditions, op) == expected


@pytest.mark.parametrize("kind", ["expected", "scan", "query"])
@pytest.mark.parametrize("conditions", [None, {}])
def test_no_entries_no_operator_is_no_condition(kind, conditions):
    assert _build(kind, conditions, None) is None


@pytest.mark.parametrize("kind", ["expected", "scan", "query"])
def test_two_entries_with_operator(kind):
    two = {"a": _EQ_X, "b": {"ComparisonOperator": "NULL"}} if kind != "expected" else \
        {"a": _EQ_X, "b": {"Exists": False}}
    assert dump(_build(kind, two, "AND")) == "(AND (= a :legacy0) (attribute_not_exists b))"
    assert dump(_build(kind, two, "OR")) == "(OR (= a :legacy0) (attribute_not_exists b))"
    assert dump(_build(kind, two, None)) == "(AND (= a :legacy0) (attribute_not_exists b))"


def test_entries_join_left_to_right_in_request_order():
    three = {"c": {"ComparisonOperator": "NULL"}, "a": {"ComparisonOperator": "NOT_NULL"},
             "b": _EQ_X}
    assert dump(L.filter_condition(three, "OR", "ScanFilter")) == \
        "(OR (OR (attribute_not_exists c) (attribute_exists a)) (= b :legacy0))"
    tree = L.filter_condition(three, None, "QueryFilter")
    assert tree == And(And(Call("attribute_not_exists", (Path(("c",)),)),
                           Call("attribute_exists", (Path(("a",)),))),
                       Compare("=", Path(("b",)), Value(":legacy0", {"S": "x"})))


def test_check_conditional_operator_direct():
    assert L.check_conditional_operator(None, 0) is None
    assert L.check_conditional_operator("AND", 2) is None
    assert _msg(L.check_conditional_operator, "OR", 0) == _WITHOUT
    assert _msg(L.check_conditional_operator, "OR", 1) == _ONE


# ---------------------------------------------------------------------------
# Expected: structure
# ---------------------------------------------------------------------------

EXPECTED_ERRORS = [
    # [D putItem.js / updateItem.js], [C26 deleteItem], order [L]
    ({"a": {}}, "Value must be provided when Exists is null for Attribute: a"),
    ({"a": {"Exists": True}}, "Value must be provided when Exists is true for Attribute: a"),
    ({"a": {"Exists": False, "Value": S}}, "Value cannot be used when Exists is false for Attribute: a"),
    ({"a": {"Exists": True, "ComparisonOperator": "LT"}},
     "Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ({"a": {"Exists": False, "ComparisonOperator": "NULL"}},
     "Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ({"a": {"AttributeValueList": [S], "Value": S, "ComparisonOperator": "LT"}},
     "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"Value": {"S": "x"}, "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}},
     "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"Exists": True, "AttributeValueList": [S]}},
     "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
    ({"a": {"Exists": False, "AttributeValueList": [S]}},
     "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ"}},
     "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
    ({"a": {"ComparisonOperator": "BEGINS_WITH"}},
     "Value or AttributeValueList must be used with ComparisonOperator: BEGINS_WITH for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}},
     "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"a": {"ComparisonOperator": "NULL", "AttributeValueList": [S]}},
     "Invalid number of argument(s) for the NULL ComparisonOperator"),
    ({"a": {"ComparisonOperator": "NULL", "Value": S}},
     "Invalid number of argument(s) for the NULL ComparisonOperator"),
    ({"a": {"ComparisonOperator": "IN", "AttributeValueList": []}},
     "Invalid number of argument(s) for the IN ComparisonOperator"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N, {"N": "10"}, {"N": "12"}]}},
     "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "x"}]}},
     "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": {"ComparisonOperator": "BETWEEN", "Value": S}},
     "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": {"ComparisonOperator": "LT", "Value": {"SS": ["a"]}}},
     "ComparisonOperator LT is not valid for SS AttributeValue type"),
    ({"a": {"ComparisonOperator": "IN", "AttributeValueList": [S, N]}},
     "AttributeValues inside AttributeValueList must be of same type"),
    # the first malformed entry wins; good entries before it are fine
    ({"ok": {"Value": S}, "a": {}, "b": {"Exists": True}},
     "Value must be provided when Exists is null for Attribute: a"),
    ({"dotted.name[0]": {"Exists": True}},
     "Value must be provided when Exists is true for Attribute: dotted.name[0]"),
]


@pytest.mark.parametrize("expected,message", EXPECTED_ERRORS)
def test_expected_errors(expected, message):
    assert _msg(L.expected_condition, expected, None) == INVALID + message


def test_expected_between_order_has_no_prefix():
    assert _msg(L.expected_condition, {"a": {"ComparisonOperator": "BETWEEN",
                                             "AttributeValueList": [{"N": "2"}, N]}}) == \
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"


EXPECTED_TREES = [
    ({"a": {"Value": {"S": "x"}}}, "(= a :legacy0)", "a = :legacy0"),
    ({"a": {"Value": {"S": "x"}, "Exists": True}}, "(= a :legacy0)", "a = :legacy0"),
    ({"a": {"Exists": False}}, "(attribute_not_exists a)", "attribute_not_exists(a)"),
    ({"a": {"ComparisonOperator": "NULL"}}, "(attribute_not_exists a)", "attribute_not_exists(a)"),
    ({"a": {"ComparisonOperator": "NOT_NULL", "AttributeValueList": []}},
     "(attribute_exists a)", "attribute_exists(a)"),
    ({"a": {"ComparisonOperator": "LE", "AttributeValueList": [{"N": "2.00"}]}},
     "(<= a :legacy0)", "a <= :legacy0"),
    # Value stands for a one-element AttributeValueList [L]
    ({"a": {"ComparisonOperator": "GT", "Value": {"N": "2"}}}, "(> a :legacy0)", "a > :legacy0"),
    ({"a": {"ComparisonOperator": "NE", "Value": {"S": "x"}}}, "(<> a :legacy0)", "a <> :legacy0"),
    ({"a": {"ComparisonOperator": "IN", "Value": {"S": "x"}}}, "(IN a :legacy0)", "a IN (:legacy0)"),
    ({"a": {"Value": {"S": "x"}}, "b": {"Exists": False}, "c": {"ComparisonOperator": "EQ",
                                                                 "Value": {"N": "1"}}},
     "(AND (AND (= a :legacy0) (attribute_not_exists b)) (= c :legacy1))",
     "a = :legacy0 AND attribute_not_exists(b) AND c = :legacy1"),
]


@pytest.mark.parametrize("expected,dumped,text", EXPECTED_TREES)
def test_expected_trees(expected, dumped, text):
    tree = L.expected_condition(expected, None)
    assert dump(tree) == dumped
    values = {v.name: v.value for v in _values(tree)}
    assert tree == parse_condition(text, None, values)


def _values(tree):
    from dyncore.expr import iter_nodes
    return [n for n in iter_nodes(tree) if isinstance(n, Value)]


def test_expected_values_are_carried_untouched():
    av = {"M": {"x": {"L": [{"N": "1"}, {"B": b"\x00"}]}}}
    tree = L.expected_condition({"a": {"Value": av}})
    assert tree == Compare("=", Path(("a",)), Value(":legacy0", av))


# ---------------------------------------------------------------------------
# Operators: arity, types, BETWEEN order (filters and Expected alike)
# ---------------------------------------------------------------------------

# [D query.js / scan.js "incorrect number of ... arguments"]
ARITY = [
    ("EQ", None), ("EQ", []), ("NE", None), ("LE", None), ("LT", None), ("GE", None), ("GT", None),
    ("CONTAINS", None), ("NOT_CONTAINS", None), ("BEGINS_WITH", None), ("IN", None), ("IN", []),
    ("BETWEEN", None), ("NULL", [S]), ("NOT_NULL", [S]),
    ("EQ", [S, S]), ("NE", [S, S]), ("LE", [S, S]), ("LT", [S, S]), ("GE", [S, S]),
    ("GT", [S, S]), ("CONTAINS", [S, S]), ("NOT_CONTAINS", [S, S]), ("BEGINS_WITH", [S, S]),
    ("NULL", [S, S]), ("NOT_NULL", [S, S]), ("BETWEEN", [S]), ("BETWEEN", [S, S, S]),
]


@pytest.mark.parametrize("param", ["ScanFilter", "QueryFilter"])
@pytest.mark.parametrize("op,values", ARITY)
def test_filter_arity(param, op, values):
    cond = {"ComparisonOperator": op}
    if values is not None:
        cond["AttributeValueList"] = values
    assert _msg(L.filter_condition, {"a": cond}, None, param) == \
        f"{INVALID}Invalid number of argument(s) for the {op} ComparisonOperator"


@pytest.mark.parametrize("op,values", [r for r in ARITY if r[1]])
def test_expected_arity(op, values):
    assert _msg(L.expected_condition, {"a": {"ComparisonOperator": op, "AttributeValueList": values}}) \
        == f"{INVALID}Invalid number of argument(s) for the {op} ComparisonOperator"


def test_filter_arity_first_bad_entry_wins():
    # [D]: {a: EQ without values, b: NULL, c: NULL} reports a
    filters = {"a": {"ComparisonOperator": "EQ"}, "b": {"ComparisonOperator": "NULL"},
               "c": {"ComparisonOperator": "NULL"}}
    assert _msg(L.filter_condition, filters, None, "QueryFilter") == \
        f"{INVALID}Invalid number of argument(s) for the EQ ComparisonOperator"


ALLOWED = {
    "EQ": set(SAMPLES), "NE": set(SAMPLES),
    "LE": {"S", "N", "B"}, "LT": {"S", "N", "B"}, "GE": {"S", "N", "B"}, "GT": {"S", "N", "B"},
    "IN": {"S", "N", "B"}, "BETWEEN": {"S", "N", "B"},
    "CONTAINS": {"S", "N", "B", "BOOL", "NULL"}, "NOT_CONTAINS": {"S", "N", "B", "BOOL", "NULL"},
    "BEGINS_WITH": {"S", "B"},
}
TYPE_ROWS = [(op, t) for op in ALLOWED for t in SAMPLES]


@pytest.mark.parametrize("op,t", TYPE_ROWS)
def test_operator_value_types(op, t):
    """[D] lists the refused types per operator (LT/LE/GT/GE/IN: BOOL NULL SS
    NS BS M L; CONTAINS/NOT_CONTAINS: SS NS BS M L; BETWEEN: BOOL NULL SS NS BS
    M L; BEGINS_WITH: N BOOL NULL SS NS BS M L); EQ/NE take any type [Doc]."""
    values = [SAMPLES[t], SAMPLES[t]] if op == "BETWEEN" else [SAMPLES[t]]
    for build in (lambda: L.filter_condition({"a": {"ComparisonOperator": op,
                                                    "AttributeValueList": values}}, None, "ScanFilter"),
                  lambda: L.expected_condition({"a": {"ComparisonOperator": op,
                                                      "AttributeValueList": values}})):
        if t in ALLOWED[op]:
            assert build() is not None
        else:
            assert _msg(build) == \
                f"{INVALID}ComparisonOperator {op} is not valid for {t} AttributeValue type"


SAME_TYPE = [
    ("IN", [{"S": "b"}, {"N": "1"}], "AttributeValues inside AttributeValueList must be of same type"),
    ("BETWEEN", [{"S": "b"}, {"N": "1"}], "AttributeValues inside AttributeValueList must be of same type"),
    ("IN", [{"N": "1"}, {"N": "2"}, {"B": b"x"}],
     "AttributeValues inside AttributeValueList must be of same type"),
    # per value: the type check comes before the same-type check [L]
    ("IN", [{"SS": ["a"]}, {"N": "1"}], "ComparisonOperator IN is not valid for SS AttributeValue type"),
    ("IN", [{"S": "a"}, {"SS": ["a"]}], "ComparisonOperator IN is not valid for SS AttributeValue type"),
    ("BETWEEN", [{"N": "1"}, {"M": {}}], "ComparisonOperator BETWEEN is not valid for M AttributeValue type"),
]


@pytest.mark.parametrize("op,values,message", SAME_TYPE)
def test_same_type(op, values, message):
    assert _msg(L.filter_condition, {"a": {"ComparisonOperator": op, "AttributeValueList": values}},
                None, "ScanFilter") == INVALID + message


_BETWEEN_ORDER = ("The BETWEEN condition was provided a range where the lower bound is greater "
                  "than the upper bound")
BETWEEN_ROWS = [
    ([{"S": "b"}, {"S": "a"}], _BETWEEN_ORDER),  # [D query.js]
    ([{"N": "10"}, {"N": "9"}], _BETWEEN_ORDER),  # numeric, not textual
    ([{"N": "-1"}, {"N": "-2"}], _BETWEEN_ORDER),
    ([{"B": b"\x02"}, {"B": b"\x01\xff"}], _BETWEEN_ORDER),  # bytewise, unsigned
    ([{"N": "9"}, {"N": "10"}], None),
    ([{"N": "1.0"}, {"N": "1"}], None),  # equal bounds
    ([{"S": "a"}, {"S": "a"}], None),
    ([{"B": b"\x01\xff"}, {"B": b"\x02"}], None),
]


@pytest.mark.parametrize("values,message", BETWEEN_ROWS)
def test_between_bounds(values, message):
    def build():
        return L.filter_condition({"a": {"ComparisonOperator": "BETWEEN",
                                         "AttributeValueList": values}}, None, "QueryFilter")
    if message is None:
        assert dump(build()) == "(BETWEEN a :legacy0 :legacy1)"
    else:
        assert _msg(build) == message


def test_malformed_values_without_a_hook_get_the_codecs_messages():
    for av, message in [({}, "Supplied AttributeValue is empty, must contain exactly one of the "
                             "supported datatypes"),
                        ({"X": "1"}, "Supplied AttributeValue is empty, must contain exactly one of "
                                     "the supported datatypes"),
                        ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes "
                                              "set, must contain exactly one of the supported "
                                              "datatypes")]:
        assert _msg(L.filter_condition, {"a": {"ComparisonOperator": "EQ",
                                               "AttributeValueList": [av]}}, None, "ScanFilter") \
            == message
        assert _msg(L.expected_condition, {"a": {"Value": av}}) == message


# ---------------------------------------------------------------------------
# Operator mapping (trees)
# ---------------------------------------------------------------------------

V0 = {"S": "x"}
V1 = {"S": "y"}
MAPPING = [
    # op, values, dump, equivalent expression text (None: no textual twin needed)
    ("EQ", [V0], "(= a :legacy0)", "a = :legacy0"),
    ("NE", [V0], "(<> a :legacy0)", "a <> :legacy0"),
    ("LE", [V0], "(<= a :legacy0)", "a <= :legacy0"),
    ("LT", [V0], "(< a :legacy0)", "a < :legacy0"),
    ("GE", [V0], "(>= a :legacy0)", "a >= :legacy0"),
    ("GT", [V0], "(> a :legacy0)", "a > :legacy0"),
    ("NOT_NULL", None, "(attribute_exists a)", "attribute_exists(a)"),
    ("NULL", [], "(attribute_not_exists a)", "attribute_not_exists(a)"),
    ("CONTAINS", [V0], "(contains a :legacy0)", "contains(a, :legacy0)"),
    ("NOT_CONTAINS", [V0], "(AND (attribute_exists a) (NOT (contains a :legacy0)))",
     "attribute_exists(a) AND NOT contains(a, :legacy0)"),
    ("BEGINS_WITH", [V0], "(begins_with a :legacy0)", "begins_with(a, :legacy0)"),
    ("BEGINS_WITH", [{"B": b"\x01"}], "(begins_with a :legacy0)", "begins_with(a, :legacy0)"),
    ("IN", [V0], "(IN a :legacy0)", "a IN (:legacy0)"),
    ("IN", [V0, V1, {"S": "z"}], "(IN a :legacy0 :legacy1 :legacy2)",
     "a IN (:legacy0, :legacy1, :legacy2)"),
    ("BETWEEN", [V0, V1], "(BETWEEN a :legacy0 :legacy1)", "a BETWEEN :legacy0 AND :legacy1"),
    ("EQ", [{"SS": ["a", "b"]}], "(= a :legacy0)", "a = :legacy0"),
    ("EQ", [{"M": {"k": {"L": []}}}], "(= a :legacy0)", "a = :legacy0"),
    ("NE", [{"NULL": True}], "(<> a :legacy0)", "a <> :legacy0"),
    ("CONTAINS", [{"N": "2"}], "(contains a :legacy0)", "contains(a, :legacy0)"),
]


@pytest.mark.parametrize("param", ["ScanFilter", "QueryFilter", "Expected"])
@pytest.mark.parametrize("op,values,dumped,text", MAPPING)
def test_operator_mapping(param, op, values, dumped, text):
    cond = {"ComparisonOperator": op}
    if values is not None:
        cond["AttributeValueList"] = values
    if param == "Expected":
        tree = L.expected_condition({"a": cond})
    else:
        tree = L.filter_condition({"a": cond}, None, param)
    assert dump(tree) == dumped
    assert [v.value for v in _values(tree)] == list(values or [])
    assert tree == parse_condition(text, None, {f":legacy{i}": v for i, v in enumerate(values or [])})
    # and it prints back to an expression that parses to itself
    assert parse_condition(*to_text(tree)) == tree


NAMES = ["a.b", "x[1]", "#n", ":v", "name", "size", "with space", "ü", "", "a.b[0].c"]


@pytest.mark.parametrize("name", NAMES)
def test_names_are_literal_top_level_attributes(name):
    tree = L.filter_condition({name: {"ComparisonOperator": "EQ", "AttributeValueList": [V0]}},
                              None, "ScanFilter")
    assert tree == Compare("=", Path((name,)), Value(":legacy0", V0))
    tree = L.expected_condition({name: {"Exists": False}})
    assert tree == Call("attribute_not_exists", (Path((name,)),))
    assert L.projection_of([name]) == Projection((Path((name,)),))
    upd = L.update_of({name: {"Action": "DELETE"}})
    assert upd.actions[0].path == Path((name,))
    if name:
        text, names, values = to_text(L.expected_condition({name: {"Value": V0}}))
        assert parse_condition(text, names, values).left == Path((name,))


def test_placeholders_are_numbered_per_tree_in_textual_order():
    filters = {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]},
               "b": {"ComparisonOperator": "NULL"},
               "c": {"ComparisonOperator": "IN", "AttributeValueList": [V0, V1]}}
    tree = L.filter_condition(filters, "OR", "ScanFilter")
    assert [v.name for v in _values(tree)] == [":legacy0", ":legacy1", ":legacy2", ":legacy3"]
    # each call starts again from :legacy0
    assert [v.name for v in _values(L.expected_condition({"z": {"Value": V0}}))] == [":legacy0"]


def test_filter_param_must_be_a_filter():
    with pytest.raises(ValueError):
        L.filter_condition({}, None, "Expected")


# ---------------------------------------------------------------------------
# check_value hook (the codec): called on every value, before operator checks
# ---------------------------------------------------------------------------

def _hook(seen):
    def check(av):
        seen.append(av)
        if av.get("S") == "bad":
            raise ValidationException("One or more parameter values were invalid: bad value")
    return check


def test_hook_runs_before_the_operator_checks():
    seen = []
    filters = {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}, {"S": "bad"}]}}
    # [D]: an invalid value in a list too long for EQ reports the value
    assert _msg(L.filter_condition, filters, None, "ScanFilter", check_value=_hook(seen)) == \
        "One or more parameter values were invalid: bad value"
    assert seen == [{"N": "1"}, {"S": "bad"}]


def test_hook_order_in_expected():
    seen = []
    expected = {"a": {"Value": {"S": "v"}}, "b": {"ComparisonOperator": "BETWEEN",
                                                  "AttributeValueList": [{"S": "1"}, {"S": "2"}]}}
    L.expected_condition(expected, "OR", check_value=_hook(seen))
    assert seen == [{"S": "v"}, {"S": "1"}, {"S": "2"}]
    # structure first, then the value [L]
    seen.clear()
    assert _msg(L.expected_condition, {"a": {"Exists": False, "Value": {"S": "bad"}}},
                check_value=_hook(seen)) == \
        INVALID + "Value cannot be used when Exists is false for Attribute: a"
    assert seen == []
    assert _msg(L.expected_condition, {"a": {"ComparisonOperator": "NULL", "Value": {"S": "bad"}}},
                check_value=_hook(seen)) == "One or more parameter values were invalid: bad value"


def test_hook_in_update_of():
    seen = []
    assert _msg(L.update_of, {"a": {"Action": "ADD", "Value": {"S": "bad"}}},
                check_value=_hook(seen)) == "One or more parameter values were invalid: bad value"
    L.update_of({"a": {"Value": V0}, "b": {"Action": "DELETE"}}, check_value=_hook(seen))
    assert seen == [{"S": "bad"}, V0]


# ---------------------------------------------------------------------------
# AttributesToGet
# ---------------------------------------------------------------------------

def test_projection_of():
    assert L.projection_of(["a", "b.c", "d"]) == Projection(
        (Path(("a",)), Path(("b.c",)), Path(("d",))))
    assert L.projection_of(("x", "y")) == parse_projection("x, y")
    proj = L.projection_of(["a", "b.c", "#x"])
    assert parse_projection(*to_text(proj)[:2]) == proj


@pytest.mark.parametrize("names,dup", [(["a", "a"], "a"), (["a", "b", "c", "b", "a"], "b"),
                                       (["x.y", "x.y"], "x.y")])
def test_projection_duplicates(names, dup):
    # [D getItem.js, query.js, scan.js, batchGetItem.js][L]
    assert _msg(L.projection_of, names) == f"{INVALID}Duplicate value in attribute name: {dup}"


# ---------------------------------------------------------------------------
# AttributeUpdates
# ---------------------------------------------------------------------------

UPDATE_ERRORS = [
    # [D updateItem.js][L]
    ({"a": {"x": "whatever"}}, "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {}}, "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "PUT"}}, "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "ADD"}}, "Only DELETE action is allowed when no attribute value is specified"),
    ({"ok": {"Action": "DELETE"}, "a": {"Action": "PUT"}},
     "Only DELETE action is allowed when no attribute value is specified"),
] + [
    ({"a": {"Action": "DELETE", "Value": SAMPLES[t]}},
     f"DELETE action with value is not supported for the type {t}")
    for t in ("S", "N", "B", "NULL", "BOOL", "M", "L")
] + [
    ({"a": {"Action": "ADD", "Value": SAMPLES[t]}}, f"ADD action is not supported for the type {t}")
    for t in ("S", "B", "NULL", "BOOL", "M")
]


@pytest.mark.parametrize("updates,message", UPDATE_ERRORS)
def test_update_errors(updates, message):
    assert _msg(L.update_of, updates) == INVALID + message


UPDATE_TREES = [
    ({"a": {"Action": "PUT", "Value": V0}}, "SET a=:legacy0", "SET a = :legacy0"),
    ({"a": {"Value": V0}}, "SET a=:legacy0", "SET a = :legacy0"),  # Action absent: PUT
    ({"a": {"Action": "DELETE"}}, "REMOVE a", "REMOVE a"),
    ({"a": {"Action": "DELETE", "Value": {"SS": ["x"]}}}, "DELETE a :legacy0", "DELETE a :legacy0"),
    ({"a": {"Action": "DELETE", "Value": {"NS": ["1"]}}}, "DELETE a :legacy0", "DELETE a :legacy0"),
    ({"a": {"Action": "DELETE", "Value": {"BS": [b"x"]}}}, "DELETE a :legacy0", "DELETE a :legacy0"),
    ({"a": {"Action": "ADD", "Value": {"N": "1"}}}, "ADD a :legacy0", "ADD a :legacy0"),
    ({"a": {"Action": "ADD", "Value": {"SS": ["x"]}}}, "ADD a :legacy0", "ADD a :legacy0"),
    ({"a": {"Action": "ADD", "Value": {"NS": ["1"]}}}, "ADD a :legacy0", "ADD a :legacy0"),
    ({"a": {"Action": "ADD", "Value": {"BS": [b"x"]}}}, "ADD a :legacy0", "ADD a :legacy0"),
    ({"a": {"Action": "ADD", "Value": {"L": [{"S": "x"}]}}},
     "SET a=(list_append (if_not_exists a :legacy0) :legacy1)",
     "SET a = list_append(if_not_exists(a, :legacy0), :legacy1)"),
    # grouped SET, REMOVE, ADD, DELETE; request order within each clause
    ({"d": {"Action": "DELETE", "Value": {"SS": ["x"]}}, "c": {"Action": "ADD", "Value": {"N": "1"}},
      "b": {"Action": "DELETE"}, "a": {"Value": V0}, "e": {"Action": "ADD", "Value": {"L": []}},
      "f": {"Value": V1}},
     "SET a=:legacy0, f=:legacy1, e=(list_append (if_not_exists e :legacy2) :legacy3); "
     "REMOVE b; ADD c :legacy4; DELETE d :legacy5",
     "SET a = :legacy0, f = :legacy1, e = list_append(if_not_exists(e, :legacy2), :legacy3) "
     "REMOVE b ADD c :legacy4 DELETE d :legacy5"),
]


@pytest.mark.parametrize("updates,dumped,text", UPDATE_TREES)
def test_update_trees(updates, dumped, text):
    tree = L.update_of(updates)
    assert isinstance(tree, Update)
    assert dump(tree) == dumped
    values = {v.name: v.value for v in _values(tree)}
    assert tree == parse_update(text, None, values)
    assert parse_update(*to_text(tree)) == tree


def test_update_add_list_uses_an_empty_list_default():
    tree = L.update_of({"a": {"Action": "ADD", "Value": {"L": [{"N": "1"}]}}})
    (action,) = tree.actions
    assert action.value == Call("list_append", (
        Call("if_not_exists", (Path(("a",)), Value(":legacy0", {"L": []}))),
        Value(":legacy1", {"L": [{"N": "1"}]})))


def test_update_of_empty_map():
    assert L.update_of({}) == Update(())


def test_legacy_update_error():
    e = ValidationException("An operand in the update expression has an incorrect data type")
    assert L.legacy_update_error(e).message == "Type mismatch for attribute to update"
    other = ValidationException("Item size to update has exceeded the maximum allowed size")
    assert L.legacy_update_error(other) is other


# ---------------------------------------------------------------------------
# QueryFilter keys
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("filters,keys,message", [
    ({"a": {}}, ["a"], "a"),                      # [D query.js]
    ({"b": {}, "a": {}}, ["a", "b"], "a"),        # hash key reported first
    ({"b": {}}, ["a", "b"], "b"),
    ({"c": {}}, ["a", "b"], None),
    ({"c": {}}, ["a", None], None),
    (None, ["a"], None),
])
def test_check_query_filter_keys(filters, keys, message):
    if message is None:
        assert L.check_query_filter_keys(filters, keys) is None
    else:
        assert _msg(L.check_query_filter_keys, filters, keys) == \
            f"QueryFilter can only contain non-primary key attributes: Primary key attribute: {message}"


# ---------------------------------------------------------------------------
# Evaluation against items (needs dyncore.expr.evaluate)
# ---------------------------------------------------------------------------

def _eq(*values):
    return {"ComparisonOperator": "EQ", "AttributeValueList": list(values)}


def _op(op, *values):
    cond = {"ComparisonOperator": op}
    if values:
        cond["AttributeValueList"] = list(values)
    return cond


MISSING = {}
# condition on attribute b, item, expected result; [Doc][L] unless noted
EVAL = [
    (_op("EQ", {"S": "x"}), {"b": {"S": "x"}}, True),
    (_op("EQ", {"S": "x"}), {"b": {"S": "y"}}, False),
    (_op("EQ", {"N": "6"}), {"b": {"S": "6"}}, False),       # [Doc] {"S":"6"} != {"N":"6"}
    (_op("EQ", {"N": "6"}), {"b": {"NS": ["6", "2"]}}, False),
    (_op("EQ", {"N": "1"}), {"b": {"N": "1.0"}}, True),
    (_op("EQ", {"SS": ["b", "a"]}), {"b": {"SS": ["a", "b"]}}, True),  # [D] set equality
    (_op("EQ", {"S": "x"}), MISSING, False),
    (_op("NE", {"S": "x"}), {"b": {"S": "x"}}, False),
    (_op("NE", {"S": "x"}), {"b": {"S": "y"}}, True),
    (_op("NE", {"S": "1234"}), {"b": {"N": "1234"}}, True),  # [D] NE on different types
    (_op("NE", {"S": "x"}), MISSING, True),                  # [L] NE = not EQ
    (_op("NE", {"NS": ["2", "1"]}), {"b": {"NS": ["1", "2"]}}, False),  # [D]
    (_op("LT", {"N": "5"}), {"b": {"N": "3"}}, True),
    (_op("LT", {"N": "5"}), {"b": {"N": "5"}}, False),
    (_op("LE", {"N": "5"}), {"b": {"N": "5"}}, True),
    (_op("LE", {"N": "2"}), {"b": {"N": "19999"}}, False),   # [D] numeric order
    (_op("LT", {"S": "abd"}), {"b": {"S": "abc\xff"}}, True),  # [D]
    (_op("GE", {"N": "5"}), {"b": {"N": "5"}}, True),
    (_op("GT", {"N": "5"}), {"b": {"N": "5"}}, False),
    (_op("GT", {"B": b"\x01"}), {"b": {"B": b"\xff"}}, True),  # unsigned bytes
    (_op("LT", {"N": "5"}), {"b": {"S": "3"}}, False),
    (_op("LT", {"N": "5"}), MISSING, False),
    (_op("GT", {"N": "5"}), MISSING, False),
    (_op("NOT_NULL"), {"b": {"NULL": True}}, True),          # [Doc]
    (_op("NOT_NULL"), MISSING, False),
    (_op("NULL"), {"b": {"NULL": True}}, False),             # [Doc]
    (_op("NULL"), MISSING, True),
    (_op("CONTAINS", {"S": "bd"}), {"b": {"S": "abde"}}, True),
    (_op("CONTAINS", {"S": "bd"}), {"b": {"SS": ["bd", "x"]}}, True),
    (_op("CONTAINS", {"S": "bd"}), {"b": {"SS": ["abd"]}}, False),
    (_op("CONTAINS", {"S": "bde"}), {"b": {"L": [{"N": "123"}, {"S": "bde"}]}}, True),  # [D]
    (_op("CONTAINS", {"S": "bde"}), {"b": {"L": [{"S": "abde"}]}}, False),  # [D]
    (_op("CONTAINS", {"N": "234"}), {"b": {"NS": ["123", "234"]}}, True),   # [D]
    (_op("CONTAINS", {"N": "234"}), {"b": {"N": "1234"}}, False),           # [D]
    (_op("CONTAINS", {"N": "234"}), {"b": {"SS": ["234"]}}, False),         # [D]
    (_op("CONTAINS", {"B": b"bde"}), {"b": {"B": b"abdef"}}, True),         # [D]
    (_op("CONTAINS", {"B": b"bde"}), {"b": {"BS": [b"bde", b"x"]}}, True),  # [D]
    (_op("CONTAINS", {"BOOL": True}), {"b": {"L": [{"BOOL": True}]}}, True),
    (_op("CONTAINS", {"S": "x"}), MISSING, False),
    (_op("NOT_CONTAINS", {"S": "bde"}), {"b": {"S": "abd"}}, True),         # [D]
    (_op("NOT_CONTAINS", {"S": "bde"}), {"b": {"S": "abdef"}}, False),      # [D]
    (_op("NOT_CONTAINS", {"S": "bde"}), {"b": {"SS": ["abd", "bde"]}}, False),  # [D]
    (_op("NOT_CONTAINS", {"S": "bde"}), {"b": {"B": b"abdef"}}, True),      # [D] other type
    (_op("NOT_CONTAINS", {"N": "234"}), {"b": {"N": "1234"}}, True),        # [D]
    (_op("NOT_CONTAINS", {"S": "x"}), MISSING, False),                      # [L] missing
    (_op("BEGINS_WITH", {"S": "ab"}), {"b": {"S": "abc"}}, True),
    (_op("BEGINS_WITH", {"S": "ab"}), {"b": {"S": "xab"}}, False),
    (_op("BEGINS_WITH", {"S": "ab"}), {"b": {"SS": ["abc"]}}, False),
    (_op("BEGINS_WITH", {"B": b"\x01\x02"}), {"b": {"B": b"\x01\x02\x03"}}, True),
    (_op("BEGINS_WITH", {"B": b"\x01\x02"}), {"b": {"B": b"\x01"}}, False),
    (_op("BEGINS_WITH", {"S": "ab"}), MISSING, False),
    (_op("IN", {"N": "1"}, {"N": "2"}), {"b": {"N": "2"}}, True),
    (_op("IN", {"N": "1"}, {"N": "2"}), {"b": {"N": "3"}}, False),
    (_op("IN", {"N": "1"}, {"N": "2"}), {"b": {"S": "1"}}, False),
    (_op("IN", {"N": "1"}, {"N": "2"}), {"b": {"NS": ["1"]}}, False),
    (_op("IN", {"N": "1"}), MISSING, False),
    (_op("BETWEEN", {"N": "1"}, {"N": "3"}), {"b": {"N": "1"}}, True),
    (_op("BETWEEN", {"N": "1"}, {"N": "3"}), {"b": {"N": "3"}}, True),
    (_op("BETWEEN", {"N": "1"}, {"N": "3"}), {"b": {"N": "4"}}, False),
    (_op("BETWEEN", {"N": "1"}, {"N": "3"}), {"b": {"S": "2"}}, False),
    (_op("BETWEEN", {"N": "1"}, {"N": "3"}), MISSING, False),
]


def _evaluate():
    if importlib.util.find_spec("dyncore.expr.evaluate") is None:
        pytest.importorskip("dyncore.expr.evaluate")
    from dyncore.expr.evaluate import evaluate
    return evaluate


@pytest.mark.parametrize("cond,item,result", EVAL)
def test_filter_evaluation(cond, item, result):
    evaluate = _evaluate()
    item = dict(item, a={"S": "key"})
    tree = L.filter_condition({"b": cond}, None, "ScanFilter")
    assert evaluate(tree, item, "Filter") is result


@pytest.mark.parametrize("cond,item,result", EVAL)
def test_expected_evaluation(cond, item, result):
    evaluate = _evaluate()
    tree = L.expected_condition({"b": cond})
    assert evaluate(tree, item, "Condition") is result


EXPECTED_EVAL = [
    ({"b": {"Value": {"S": "x"}}}, {"b": {"S": "x"}}, True),
    ({"b": {"Value": {"S": "x"}}}, {"b": {"S": "y"}}, False),
    ({"b": {"Value": {"S": "x"}, "Exists": True}}, MISSING, False),
    ({"b": {"Exists": False}}, MISSING, True),
    ({"b": {"Exists": False}}, {"b": {"NULL": True}}, False),
    ({"b": {"Value": {"S": "x"}}, "c": {"Exists": False}}, {"b": {"S": "x"}}, True),
    ({"b": {"Value": {"S": "x"}}, "c": {"Exists": False}}, {"b": {"S": "x"}, "c": {"N": "1"}}, False),
]


@pytest.mark.parametrize("expected,item,result", EXPECTED_EVAL)
def test_expected_value_forms_evaluation(expected, item, result):
    evaluate = _evaluate()
    assert evaluate(L.expected_condition(expected), item, "Condition") is result


@pytest.mark.parametrize("op,item,result", [
    ("AND", {"b": {"S": "x"}, "c": {"N": "1"}}, True),
    ("AND", {"b": {"S": "x"}}, False),
    ("OR", {"b": {"S": "x"}}, True),
    ("OR", {"c": {"N": "1"}}, True),
    ("OR", {}, False),
])
def test_conditional_operator_evaluation(op, item, result):
    evaluate = _evaluate()
    tree = L.filter_condition({"b": _eq({"S": "x"}), "c": _op("NOT_NULL")}, op, "ScanFilter")
    assert evaluate(tree, item, "Filter") is result


# ---------------------------------------------------------------------------
# Applying AttributeUpdates (needs dyncore.expr.update)
# ---------------------------------------------------------------------------

def _apply():
    if importlib.util.find_spec("dyncore.expr.update") is None:
        pytest.importorskip("dyncore.expr.update")
    from dyncore.expr.update import apply_update
    return apply_update


def _norm(item):
    """Items compared with sets unordered and numbers by value."""
    out = {}
    for k, av in item.items():
        (t, v), = av.items()
        if t in ("SS", "BS"):
            v = sorted(v)
        elif t == "NS":
            v = sorted(Decimal(x) for x in v)
        elif t == "N":
            v = Decimal(v)
        elif t == "L":
            v = [_norm({"_": x})["_"] for x in v]
        out[k] = (t, v)
    return out


APPLY = [
    # [Doc][D updateItem.js functionality]
    ({"b": {"Action": "PUT", "Value": {"S": "x"}}}, {}, {"b": {"S": "x"}}),
    ({"b": {"Value": {"S": "x"}}}, {"b": {"N": "1"}}, {"b": {"S": "x"}}),
    ({"b": {"Action": "DELETE"}}, {"b": {"S": "x"}, "c": {"S": "y"}}, {"c": {"S": "y"}}),
    ({"b": {"Action": "DELETE"}}, {}, {}),
    ({"b": {"Action": "DELETE", "Value": {"NS": ["1", "4"]}}}, {"b": {"NS": ["1", "2", "3"]}},
     {"b": {"NS": ["2", "3"]}}),
    ({"b": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}}}, {"b": {"SS": ["a", "b"]}}, {}),
    ({"b": {"Action": "DELETE", "Value": {"SS": ["a"]}}}, {}, {}),
    ({"b": {"Action": "ADD", "Value": {"N": "2"}}}, {"b": {"N": "1"}}, {"b": {"N": "3"}}),
    ({"b": {"Action": "ADD", "Value": {"N": "-2"}}}, {"b": {"N": "1"}}, {"b": {"N": "-1"}}),
    ({"b": {"Action": "ADD", "Value": {"N": "5"}}}, {}, {"b": {"N": "5"}}),
    ({"b": {"Action": "ADD", "Value": {"SS": ["b", "c"]}}}, {"b": {"SS": ["a", "b"]}},
     {"b": {"SS": ["a", "b", "c"]}}),
    ({"b": {"Action": "ADD", "Value": {"SS": ["a", "b"]}}}, {}, {"b": {"SS": ["a", "b"]}}),
    ({"b": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}}}, {"b": {"L": [{"N": "1"}]}},
     {"b": {"L": [{"N": "1"}, {"N": "2"}]}}),
    ({"b": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}}}, {}, {"b": {"L": [{"N": "2"}]}}),
    # [D] "should just add valid ADD actions if nothing exists"
    ({"b": {"Action": "DELETE"}, "c": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}},
      "d": {"Action": "ADD", "Value": {"N": "5"}}, "e": {"Action": "ADD", "Value": {"SS": ["a", "b"]}}},
     {}, {"d": {"N": "5"}, "e": {"SS": ["a", "b"]}}),
]


@pytest.mark.parametrize("updates,item,result", APPLY)
def test_apply_attribute_updates(updates, item, result):
    apply_update = _apply()
    key = {"k": {"S": "key"}}
    new = apply_update(L.update_of(updates), dict(item, **key))
    assert _norm(new) == _norm(dict(result, **key))


@pytest.mark.parametrize("updates,item", [
    # [D updateItem.js]: "Type mismatch for attribute to update"
    ({"b": {"Action": "DELETE", "Value": {"NS": ["1"]}}}, {"b": {"SS": ["1"]}}),
    ({"b": {"Action": "DELETE", "Value": {"NS": ["1"]}}}, {"b": {"N": "1"}}),
    ({"b": {"Action": "ADD", "Value": {"NS": ["2"]}}}, {"b": {"SS": ["1"]}}),
    ({"b": {"Action": "ADD", "Value": {"N": "2"}}}, {"b": {"NS": ["1"]}}),
    ({"b": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}}}, {"b": {"N": "1"}}),
])
def test_apply_type_mismatch(updates, item):
    apply_update = _apply()
    with pytest.raises(ValidationException) as info:
        apply_update(L.update_of(updates), dict(item, k={"S": "key"}))
    assert L.legacy_update_error(info.value).message == "Type mismatch for attribute to update"


# ---------------------------------------------------------------------------
# Trees are plain node trees (no legacy-only nodes)
# ---------------------------------------------------------------------------

def test_trees_use_only_expression_nodes():
    from dyncore.expr import iter_nodes
    allowed = (And, Or, Not, Compare, Between, In, Call, Path, Value)
    def args(op):
        if op == "BETWEEN":
            return [{"S": "1"}, {"S": "2"}]
        return [] if op in ("NULL", "NOT_NULL") else [{"S": "1"}]
    filters = {op: _op(op, *args(op)) for op in L.COMPARISON_OPERATORS}
    tree = L.filter_condition(filters, "OR", "ScanFilter")
    assert all(isinstance(n, allowed) for n in iter_nodes(tree))
    assert parse_condition(*to_text(tree)) == tree


# ---------------------------------------------------------------------------
# Odds and ends
# ---------------------------------------------------------------------------

def test_hook_may_convert_values():
    """What check_value returns replaces the value (e.g. the codec bringing a
    native value to the client form)."""
    def to_client(av):
        return {"N": str(av)} if isinstance(av, int) else None

    tree = L.filter_condition({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [1, 5]}},
                              None, "ScanFilter", check_value=to_client)
    assert tree == Between(Path(("a",)), Value(":legacy0", {"N": "1"}), Value(":legacy1", {"N": "5"}))
    assert L.expected_condition({"a": {"Value": 3}}, check_value=to_client) == \
        Compare("=", Path(("a",)), Value(":legacy0", {"N": "3"}))
    assert L.expected_condition({"a": {"ComparisonOperator": "IN", "AttributeValueList": [3, 4]}},
                                check_value=to_client) == \
        In(Path(("a",)), (Value(":legacy0", {"N": "3"}), Value(":legacy1", {"N": "4"})))
    assert L.update_of({"a": {"Action": "ADD", "Value": 2}}, check_value=to_client).actions[0].value \
        == Value(":legacy0", {"N": "2"})
    # the converted values are what the operator checks see
    assert _msg(L.filter_condition, {"a": {"ComparisonOperator": "BETWEEN",
                                           "AttributeValueList": [10, 9]}}, None, "ScanFilter",
                check_value=to_client) == _BETWEEN_ORDER


def test_null_entries():
    # [L] texts; a null map value normally stops at the shape check
    assert _msg(L.expected_condition, {"a": None}) == \
        INVALID + "ExpectedAttributeValue must not be null for Attribute: a"
    assert _msg(L.filter_condition, {"a": None}, None, "ScanFilter") == \
        "The filter condition for an attribute cannot be null"


def test_update_first_bad_entry_wins():
    updates = {"a": {"Action": "ADD", "Value": {"S": "x"}}, "b": {"Action": "PUT"}}
    assert _msg(L.update_of, updates) == INVALID + "ADD action is not supported for the type S"
    updates = {"b": {"Action": "PUT"}, "a": {"Action": "ADD", "Value": {"S": "x"}}}
    assert _msg(L.update_of, updates) == \
        INVALID + "Only DELETE action is allowed when no attribute value is specified"


def test_not_contains_differs_from_the_expression_on_a_missing_attribute():
    """Why NOT_CONTAINS carries attribute_exists: `NOT contains(b, :v)` holds
    for an item without b, legacy NOT_CONTAINS does not [L]; NE needs no such
    guard because `<>` already holds for a missing operand."""
    evaluate = _evaluate()
    plain = parse_condition("NOT contains(b, :v)", None, {":v": {"S": "x"}})
    assert evaluate(plain, {}, "Filter") is True
    legacy = L.filter_condition({"b": _op("NOT_CONTAINS", {"S": "x"})}, None, "ScanFilter")
    assert evaluate(legacy, {}, "Filter") is False
    ne = parse_condition("b <> :v", None, {":v": {"S": "x"}})
    assert evaluate(ne, {}, "Filter") is True
    assert L.filter_condition({"b": _op("NE", {"S": "x"})}, None, "ScanFilter") == \
        Compare("<>", Path(("b",)), Value(":legacy0", {"S": "x"}))
