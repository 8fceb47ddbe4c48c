"""Request-level checks: the two maps, the order across expressions, unused
placeholders. Sources as in test_messages.py: [D] dynalite, [P] capture, [I]
inferred."""
import pytest

from dyncore.errors import ValidationException
from dyncore.expr import dump, parse_expressions

S = {"S": "x"}

UPDATE = ("UpdateExpression", "ConditionExpression")
QUERY = ("KeyConditionExpression", "FilterExpression", "ProjectionExpression")


def exprs(params, *texts):
    return dict(zip(params, texts))


CASES = [
    # maps without expressions
    (exprs(("ConditionExpression",), None), {}, None, {},
     "ExpressionAttributeNames can only be specified when using expressions"),               # [D]
    (exprs(UPDATE, None, None), None, {}, {},
     "ExpressionAttributeValues can only be specified when using expressions: "
     "UpdateExpression and ConditionExpression are null"),                                    # [P]
    (exprs(QUERY, None, None, None), None, {}, {"values_null_order": ("FilterExpression", "KeyConditionExpression")},
     "ExpressionAttributeValues can only be specified when using expressions: "
     "FilterExpression and KeyConditionExpression are null"),                                 # [D]
    (exprs(("ConditionExpression",), None), None, {}, {},
     "ExpressionAttributeValues can only be specified when using expressions: "
     "ConditionExpression is null"),                                                          # [D]
    (exprs(QUERY, None, None, "a"), None, {":v": S}, {},
     "ExpressionAttributeValues can only be specified when using expressions: "
     "KeyConditionExpression and FilterExpression are null"),                                 # [I] order
    (exprs(("ConditionExpression",), None), {"#a": "a"}, {":v": S}, {},
     "ExpressionAttributeNames can only be specified when using expressions"),               # [I] names first
    # the maps themselves
    (exprs(QUERY, "", None, None), {}, {}, {}, "ExpressionAttributeNames must not be empty"),  # [D]
    (exprs(QUERY, "", None, None), {"a": "a"}, {}, {},
     'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),                # [D]
    (exprs(QUERY, "", None, None), None, {}, {}, "ExpressionAttributeValues must not be empty"),  # [D]
    (exprs(QUERY, "", None, None), None, {"a": S}, {},
     'ExpressionAttributeValues contains invalid key: Syntax error; key: "a"'),               # [D]
    (exprs(UPDATE, "", ""), None, {":b": S, "b": S}, {},
     'ExpressionAttributeValues contains invalid key: Syntax error; key: "b"'),               # [D]
    (exprs(UPDATE, "", ""), {"#a.b": "x"}, None, {},
     'ExpressionAttributeNames contains invalid key: Syntax error; key: "#a.b"'),
    (exprs(UPDATE, "", ""), {"#a": ""}, None, {},
     "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"),     # [I]
    # empty expressions, in the operation's order
    (exprs(QUERY, "", "", ""), None, {":0": S}, {},
     "Invalid KeyConditionExpression: The expression can not be empty;"),                     # [D]
    (exprs(QUERY, "attribute_type(a, :a)", "", ""), None, {":a": {"S": "N"}}, {},
     "Invalid FilterExpression: The expression can not be empty;"),                           # [D]
    (exprs(QUERY, "attribute_type(a, :a)", "a > b", ""), None, {":a": {"S": "N"}}, {},
     "Invalid ProjectionExpression: The expression can not be empty;"),                       # [D]
    (exprs(UPDATE, "", ""), None, None, {}, "Invalid UpdateExpression: The expression can not be empty;"),  # [D]
    # all expressions are parsed before placeholders are resolved [I]
    (exprs(QUERY, "#undefined = :v", "a b", None), None, {":v": S}, {},
     'Invalid FilterExpression: Syntax error; token: "b", near: "a b"'),
    (exprs(QUERY, "#undefined = :v", "status = :v", None), None, {":v": S}, {},
     "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: status"),
    (exprs(QUERY, "k = :v", "#x = :v", "#y"), {"#x": "x"}, {":v": S}, {},
     "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; "
     "attribute name: #y"),
    # key-condition shape is checked with the other semantics, before unused placeholders
    (exprs(QUERY, "k = :v OR j = :v", None, None), {"#unused": "u"}, {":v": S}, {},
     "Invalid operator used in KeyConditionExpression: OR"),
    # unused placeholders [D]
    (exprs(UPDATE, "remove a set b = list_append(b, if_not_exists(a, :a))", "a = :b"),
     {"#a": "a", "#b": "b"}, {":a": S, ":b": S}, {},
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"),
    (exprs(UPDATE, "remove a", "a = :b"), None, {":a": S, ":b": S, ":c": S}, {},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}"),
    (exprs(QUERY, "k = :v", None, "a"), {"#n": "n"}, {":v": S, ":w": S}, {},
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}"),      # [I] names first
    (exprs(("ProjectionExpression",), "a"), None, {":v": S}, {},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"),     # [I] GetItem
]


@pytest.mark.parametrize("expressions,names,values,kwargs,message", CASES)
def test_request_errors(expressions, names, values, kwargs, message):
    with pytest.raises(ValidationException) as info:
        parse_expressions(expressions, names, values, **kwargs)
    assert info.value.message == message


def test_returns_resolved_trees_for_present_expressions():
    out = parse_expressions(
        {"KeyConditionExpression": "#k = :k", "FilterExpression": "#a.b > :n",
         "ProjectionExpression": "#a, c"},
        {"#k": "pk", "#a": "attr"}, {":k": S, ":n": {"N": "1"}})
    assert list(out) == ["KeyConditionExpression", "FilterExpression", "ProjectionExpression"]
    assert dump(out["KeyConditionExpression"]) == "(= pk :k)"
    assert dump(out["FilterExpression"]) == "(> attr.b :n)"
    assert out["FilterExpression"].right.value == {"N": "1"}
    assert dump(out["ProjectionExpression"]) == "attr, c"


def test_absent_expressions_are_skipped():
    assert parse_expressions({"UpdateExpression": "SET a = :v", "ConditionExpression": None},
                             None, {":v": S}).keys() == {"UpdateExpression"}


def test_no_maps_no_expressions():
    assert parse_expressions({"ConditionExpression": None}) == {}


def test_check_value_hook_sees_every_value_after_key_checks():
    seen = []

    def check(key, av):
        seen.append(key)
        if av == {"N": "x"}:
            raise ValidationException(f"ExpressionAttributeValues contains invalid value: bad for key {key}")

    with pytest.raises(ValidationException) as info:
        parse_expressions({"ConditionExpression": "a = :a"}, None,
                          {":a": S, ":b": {"N": "x"}}, check_value=check)
    assert info.value.message == "ExpressionAttributeValues contains invalid value: bad for key :b"
    assert seen == [":a", ":b"]


def test_unknown_parameter_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_expressions({"Expression": "a = :v"})
