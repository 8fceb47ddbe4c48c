"""Key-condition analysis against a key schema; filter key check; value
helpers. Sources: [D] dynalite, [P] live capture, [I] inferred."""
import pytest

from dyncore.errors import ValidationException
from dyncore.expr import (
    KeyCondition, analyse_key_condition, check_filter_keys, compare_values, format_value,
    parse_filter, parse_key_condition,
)

S = lambda s: {"S": s}   # noqa: E731
N = lambda n: {"N": n}   # noqa: E731

VALUES = {":p": S("q"), ":a": S("a"), ":b": S("b"), ":n": N("1"), ":s": S("pre"),
          ":t": {"BOOL": True}}
RANGE = ("pk", "sk")
HASH = ("pk", None)


def analyse(expr, schema, names=None, key_types=None, values=VALUES):
    used = {k: v for k, v in values.items() if k in expr}
    tree = parse_key_condition(expr, names, used)
    return analyse_key_condition(tree, schema, key_types)


@pytest.mark.parametrize("expr,schema,expected", [
    ("pk = :p", RANGE, KeyCondition(S("q"), None, ())),
    ("pk = :p", HASH, KeyCondition(S("q"), None, ())),
    (":p = pk", HASH, KeyCondition(S("q"), None, ())),
    ("pk = :p AND sk = :a", RANGE, KeyCondition(S("q"), "=", (S("a"),))),
    ("pk = :p AND sk < :a", RANGE, KeyCondition(S("q"), "<", (S("a"),))),
    ("pk = :p AND sk <= :a", RANGE, KeyCondition(S("q"), "<=", (S("a"),))),
    ("pk = :p AND sk > :a", RANGE, KeyCondition(S("q"), ">", (S("a"),))),
    ("pk = :p AND sk >= :a", RANGE, KeyCondition(S("q"), ">=", (S("a"),))),
    ("sk >= :a AND pk = :p", RANGE, KeyCondition(S("q"), ">=", (S("a"),))),
    ("pk = :p AND :a < sk", RANGE, KeyCondition(S("q"), ">", (S("a"),))),        # value first
    ("pk = :p AND :a >= sk", RANGE, KeyCondition(S("q"), "<=", (S("a"),))),
    ("pk = :p AND sk BETWEEN :a AND :b", RANGE, KeyCondition(S("q"), "BETWEEN", (S("a"), S("b")))),
    ("pk = :p AND begins_with(sk, :s)", RANGE, KeyCondition(S("q"), "begins_with", (S("pre"),))),
    ("(pk = :p) AND (sk > :a)", RANGE, KeyCondition(S("q"), ">", (S("a"),))),
])
def test_analyse(expr, schema, expected):
    assert analyse(expr, schema) == expected


def test_analyse_with_placeholders():
    got = analyse("#p = :p AND #s <= :n", RANGE, {"#p": "pk", "#s": "sk"})
    assert got == KeyCondition(S("q"), "<=", (N("1"),))


@pytest.mark.parametrize("expr,schema,message", [
    ("z between :a and :b", RANGE, "Query condition missed key schema element: pk"),      # [D]
    ("sk = :a", RANGE, "Query condition missed key schema element: pk"),
    ("foo = :a", RANGE, "Query condition missed key schema element: pk"),                 # [P]
    ("pk = :a and c = :b", RANGE, "Query condition missed key schema element: sk"),       # [D]
    ("pk > :a", HASH, "Query key condition not supported"),                               # [D]
    ("pk < :a", HASH, "Query key condition not supported"),                               # [D]
    (":a <= pk", HASH, "Query key condition not supported"),                              # [D]
    ("begins_with(pk, :a)", HASH, "Query key condition not supported"),                   # [D]
    ("pk between :a and :a", HASH, "Query key condition not supported"),                  # [D]
    ("pk > :a AND sk = :b", RANGE, "Query key condition not supported"),
    ("pk = :a AND sk = :a", HASH,
     "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)"),
    ("y = :a and z = :a", HASH,
     "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)"),
    ("pk = :p AND sk > :a AND extra = :b", RANGE,                                          # [P]
     "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"),
    (":a = a and b = :a and :a = c", RANGE,
     "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"),
    ("foo.bar = :a", RANGE,                                                                # [P] before schema
     "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"),
    ("pk.foo > :a", RANGE,
     "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"),
])
def test_analyse_errors(expr, schema, message):
    with pytest.raises(ValidationException) as info:
        analyse(expr, schema)
    assert info.value.message == message


SCHEMA_TYPE = "One or more parameter values were invalid: Condition parameter type does not match schema type"


@pytest.mark.parametrize("expr,key_types", [
    (":n > pk", {"pk": "S"}),                                         # [D] type before operator
    ("pk = :n", {"pk": "S"}),
    ("pk = :p AND sk = :t", {"pk": "S", "sk": "N"}),                  # [P] BOOL in "=" is a schema error
    ("pk = :p AND begins_with(sk, :s)", {"pk": "S", "sk": "N"}),      # [P]
    ("pk = :p AND sk BETWEEN :n AND :n", {"pk": "S", "sk": "S"}),
])
def test_schema_types(expr, key_types):
    schema = RANGE if "sk" in expr else HASH
    with pytest.raises(ValidationException) as info:
        analyse(expr, schema, key_types=key_types)
    assert info.value.message == SCHEMA_TYPE


def test_schema_types_pass():
    got = analyse("pk = :p AND sk >= :n", RANGE, key_types={"pk": "S", "sk": "N"})
    assert got == KeyCondition(S("q"), ">=", (N("1"),))


def test_filter_may_not_use_keys():
    tree = parse_filter("a = :v AND attribute_exists(sk.x)", None, {":v": S("x")})
    with pytest.raises(ValidationException) as info:
        check_filter_keys(tree, ("pk", "sk"))
    assert info.value.message == ("Filter Expression can only contain non-primary key attributes: "
                                  "Primary key attribute: sk")
    check_filter_keys(tree, ("pk", "other"))


@pytest.mark.parametrize("av,shown", [
    (S("abc"), "{S:abc}"), (N("5"), "{N:5}"), (N("1691691033195"), "{N:1691691033195}"),
    ({"B": b"abc"}, "{B:YWJj}"), ({"B": "YWJj"}, "{B:YWJj}"), ({"BOOL": True}, "{BOOL:true}"),
    ({"NULL": True}, "{NULL:true}"), ({"SS": ["a", "b"]}, "{SS:[a, b]}"),
    ({"L": [N("1")]}, "{L:[{N:1}]}"), ("junk", "{}"),
])
def test_format_value(av, shown):
    assert format_value(av) == shown


@pytest.mark.parametrize("a,b,order", [
    (N("10"), N("9.5"), 1), (N("-1"), N("1e-3"), -1), (N("1.0"), N("1"), 0),
    (S("5"), S("100"), 1), (S("a"), S("ab"), -1), (S("\u00e9"), S("\uffff"), -1),
    ({"B": b"\x01"}, {"B": b"\x00\xff"}, 1),
    (S("1"), N("1"), None), ({"BOOL": True}, {"BOOL": False}, None), (N("x"), N("1"), None),
])
def test_compare_values(a, b, order):
    assert compare_values(a, b) == order
