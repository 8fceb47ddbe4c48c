"""Three places where the parser used to differ from DynamoDB.

1. `<`, `<=`, `>`, `>=` and BETWEEN take only S, N and B: a `:value` of
   another type is a ValidationException ("Incorrect operand type for
   operator or function; operator or function: <, operand type: L"); a path
   holding such a value is no error (the comparison is false); `=`, `<>` and
   IN take every type.
2. `attribute_type(:v, :t)` is accepted (only attribute_exists,
   attribute_not_exists and if_not_exists require a document path).
3. In an update, `list_append` cannot be nested in a function call or a
   `+` / `-` ("The function is not allowed to be used this way in an
   expression; function: list_append"), while `list_append(if_not_exists(a,
   :e), :b)` is fine; and a function argument takes no `+` / `-` (syntax
   error at the operator).

Each row: (kind, expression, ExpressionAttributeValues, expected), expected
being the tree's dump or E(message). Sources: [S name] ScyllaDB's alternator
test of that name (test_condition_expression.py / test_update_expression.py,
run against DynamoDB); [Q] a DynamoDB error quoted in Starburst's Trino
DynamoDB connector (FilterExpression, `<=`, BOOL); [P] a published live
capture; [D] dynalite's recorded DynamoDB answers; [L] read from DynamoDB
Local (decompiled: eznix86/dynamodb-local-decompiled), no live capture;
[I] inferred.
"""
import pytest

from dyncore.errors import ValidationException
from dyncore.expr import apply_update, dump, evaluate
from dyncore.expr.names import parse_one


class E(str):
    """An expected error message."""


S = lambda s: {"S": s}          # noqa: E731
N = lambda n: {"N": n}          # noqa: E731
B = lambda b: {"B": b}          # noqa: E731

INV_C = "Invalid ConditionExpression: "
INV_F = "Invalid FilterExpression: "
INV_K = "Invalid KeyConditionExpression: "
INV_U = "Invalid UpdateExpression: "

# One value of every type that cannot be ordered, with its type code.
UNORDERED = [
    ({"L": [N("1"), N("2")]}, "L"),
    ({"M": {"a": N("1")}}, "M"),
    ({"SS": ["a"]}, "SS"),
    ({"NS": ["1"]}, "NS"),
    ({"BS": [b"a"]}, "BS"),
    ({"BOOL": True}, "BOOL"),
    ({"NULL": True}, "NULL"),
]
ORDERED = [S("cat"), N("2"), B(b"dog")]
EVERY = ORDERED + [av for av, _ in UNORDERED]


def wrong_type(prefix, op, t):
    return E(f"{prefix}Incorrect operand type for operator or function; operator or function: {op}, "
             f"operand type: {t}")


def used_this_way(fn):
    return E(INV_U + f"The function is not allowed to be used this way in an expression; function: {fn}")


def syntax(prefix, token, near):
    return E(f'{prefix}Syntax error; token: "{token}", near: "{near}"')


ORDERING = [
    # -- a :value the operator cannot order [S test_update_condition_lt/le/gt/ge] --
    *[("Condition", f"a {op} :v", {":v": av}, wrong_type(INV_C, op, t))            # [S] type codes [I]
      for op in ("<", "<=", ">", ">=") for av, t in UNORDERED],
    *[("Condition", f":v {op} a", {":v": av}, wrong_type(INV_C, op, t))            # [S] value first
      for op in ("<", "<=", ">", ">=") for av, t in UNORDERED],
    ("Filter", "a <= :v", {":v": {"BOOL": False}}, wrong_type(INV_F, "<=", "BOOL")),     # [Q]
    ("Filter", "size(a) > :v", {":v": {"L": []}}, wrong_type(INV_F, ">", "L")),
    ("Filter", "NOT (b = :n AND a >= :v)", {":n": N("1"), ":v": {"M": {}}},
     wrong_type(INV_F, ">=", "M")),
    ("KeyCondition", "pk = :p AND sk < :v", {":p": S("q"), ":v": {"BOOL": True}},       # [P]
     wrong_type(INV_K, "<", "BOOL")),
    ("KeyCondition", "pk = :p AND sk > :v", {":p": S("q"), ":v": {"L": []}},
     wrong_type(INV_K, ">", "L")),
    # two values: the first unorderable one, in text order [I]
    ("Condition", ":a < :b", {":a": N("1"), ":b": {"L": []}}, wrong_type(INV_C, "<", "L")),
    ("Condition", ":a < :b", {":a": {"NULL": True}, ":b": {"L": []}}, wrong_type(INV_C, "<", "NULL")),
    ("Condition", ":a < :b", {":a": N("1"), ":b": S("x")}, "(< :a :b)"),   # types differ: false, no error
    # S, N and B order; paths and size() are no error, whatever they hold [S]
    *[("Condition", f"a {op} :v", {":v": av}, f"({op} a :v)")
      for op in ("<", "<=", ">", ">=") for av in ORDERED],
    ("Condition", "a < b", None, "(< a b)"),
    ("Condition", "size(a) < :v", {":v": N("3")}, "(< (size a) :v)"),
    # = and <> take every type [S test_update_condition_eq_success, _ne]
    *[("Condition", f"a {op} :v", {":v": av}, f"({op} a :v)") for op in ("=", "<>") for av in EVERY],
    ("Condition", ":a <> :b", {":a": {"L": []}, ":b": {"M": {}}}, "(<> :a :b)"),
    # IN takes every type [S test_update_condition_in]
    ("Condition", "a IN (:l, :m, :b)", {":l": {"L": []}, ":m": {"M": {}}, ":b": {"BOOL": True}},
     "(IN a :l :m :b)"),
    ("Condition", ":l IN (a, b)", {":l": {"L": []}}, "(IN :l a b)"),
    # -- BETWEEN [S test_update_condition_between] ---------------------------
    ("Condition", "a BETWEEN :lo AND :hi", {":lo": {"L": [N("1"), N("2")]}, ":hi": {"L": [N("2"), N("3")]}},
     wrong_type(INV_C, "BETWEEN", "L")),                                          # [S] type code [I]
    ("Filter", "a BETWEEN :lo AND :hi", {":lo": {"BOOL": False}, ":hi": {"BOOL": True}},
     wrong_type(INV_F, "BETWEEN", "BOOL")),
    ("KeyCondition", "pk = :p AND sk BETWEEN :lo AND :hi",                        # [P]
     {":p": S("q"), ":lo": {"BOOL": False}, ":hi": {"BOOL": True}}, wrong_type(INV_K, "BETWEEN", "BOOL")),
    ("Condition", ":v BETWEEN a AND b", {":v": {"SS": ["a"]}}, wrong_type(INV_C, "BETWEEN", "SS")),
    ("Condition", "a BETWEEN b AND :v", {":v": {"NULL": True}}, wrong_type(INV_C, "BETWEEN", "NULL")),
    # the operand types before the bounds' types and order
    ("Condition", "a BETWEEN :lo AND :hi", {":lo": N("1"), ":hi": {"M": {}}},         # [L]
     wrong_type(INV_C, "BETWEEN", "M")),
    ("Condition", "a BETWEEN :lo AND :hi", {":lo": {"NS": ["2"]}, ":hi": {"NS": ["1"]}},  # [L]
     wrong_type(INV_C, "BETWEEN", "NS")),
    # ordered bounds still get the bounds checks [S][D]
    ("Condition", "a BETWEEN :lo AND :hi", {":lo": N("2"), ":hi": S("dog")},
     E(INV_C + "The BETWEEN operator requires same data type for lower and upper bounds; "
       "lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {S:dog}")),
    ("Condition", "a BETWEEN :lo AND :hi", {":lo": N("2"), ":hi": N("1")},
     E(INV_C + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
       "lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}")),
    ("Condition", "a BETWEEN x AND y", None, "(BETWEEN a x y)"),                    # paths: no error [S]
    ("Condition", "a BETWEEN two AND :v", {":v": S("dog")}, "(BETWEEN a two :v)"),  # [S]
    # -- order among the stage-6 checks ----------------------------------------
    ("Condition", "a BETWEEN a AND :v", {":v": {"L": []}},                         # [L] types, then distinct
     wrong_type(INV_C, "BETWEEN", "L")),
    ("Condition", "a BETWEEN a AND :v", {":v": N("1")},
     E(INV_C + "The first operand must be distinct from the remaining operands for this operator or "
       "function; operator: BETWEEN, first operand: [a]")),
    ("Condition", "size(:v) < :w", {":v": {"BOOL": True}, ":w": {"L": []}},       # inner first (post-order)
     wrong_type(INV_C, "size", "BOOL")),
    ("Condition", "a < :v AND b < :w", {":v": {"L": []}, ":w": {"M": {}}}, wrong_type(INV_C, "<", "L")),
]

PATH_FIRST = [
    # attribute_type accepts a value as its first operand [S test_update_condition_attribute_type]
    ("Condition", "attribute_type(:v, :t)", {":v": N("0"), ":t": S("N")}, "(attribute_type :v :t)"),
    ("Filter", "attribute_type(:v, :t)", {":v": {"L": []}, ":t": S("L")}, "(attribute_type :v :t)"),
    ("Condition", "NOT attribute_type(:v, :t)", {":v": S("x"), ":t": S("SS")}, "(NOT (attribute_type :v :t))"),
    # ... and its second operand is still checked
    ("Condition", "attribute_type(:v, :t)", {":v": N("0"), ":t": S("DOG")},
     E(INV_C + "Invalid attribute type name found; type: DOG, valid types: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}")),
    ("Condition", "attribute_type(:v, :t)", {":v": N("0"), ":t": N("1")},
     wrong_type(INV_C, "attribute_type", "N")),
    # the other functions that take a value first [S test_update_condition_begins_with, D]
    ("Condition", "begins_with(:s, a)", {":s": S("hellohi")}, "(begins_with :s a)"),
    ("Condition", "contains(:v, a)", {":v": {"SS": ["a"]}}, "(contains :v a)"),
    ("Condition", "size(:v) > :n", {":v": S("abc"), ":n": N("1")}, "(> (size :v) :n)"),
    # still refused: attribute_exists [S test_update_condition_attribute_exists],
    # attribute_not_exists and if_not_exists [D]
    ("Condition", "attribute_exists(:v)", {":v": N("1")},
     E(INV_C + "Operator or function requires a document path; operator or function: attribute_exists")),
    ("Condition", "attribute_not_exists(:v)", {":v": N("1")},
     E(INV_C + "Operator or function requires a document path; operator or function: attribute_not_exists")),
    ("Update", "SET b = if_not_exists(:v, :w)", {":v": N("3"), ":w": N("6")},
     E(INV_U + "Operator or function requires a document path; operator or function: if_not_exists")),
]

LISTS = {":a": {"L": [S("a")]}, ":b": {"L": [S("1")]}, ":c": {"L": [S("hi")]}, ":d": {"L": [S("yo")]},
         ":e": {"L": []}, ":n": N("1"), ":m": N("2")}

NESTING = [
    # list_append as a function's operand [S test_update_expression_function_nesting]
    ("Update", "SET a = list_append(list_append(:a, :b), :c)", LISTS, used_this_way("list_append")),
    ("Update", "SET a = list_append(list_append(list_append(:a, :b), :c), :d)", LISTS,
     used_this_way("list_append")),
    ("Update", "SET a = list_append(:a, list_append(:b, :c))", LISTS, used_this_way("list_append")),      # [L]
    ("Update", "SET a = if_not_exists(a, list_append(a, :b))", LISTS, used_this_way("list_append")),      # [L]
    ("Update", "SET a = :n, b = list_append(if_not_exists(b, list_append(:a, :b)), :c)", LISTS,
     used_this_way("list_append")),                                                                      # [L]
    # an operand of + / - is nested too [L]
    ("Update", "SET a = list_append(a, :b) + :n", LISTS, used_this_way("list_append")),
    ("Update", "SET a = :n - list_append(a, :b)", LISTS, used_this_way("list_append")),
    ("Update", "SET a = if_not_exists(a, :n) + if_not_exists(b, :m)", LISTS,
     "SET a=(+ (if_not_exists a :n) (if_not_exists b :m))"),
    # stage 3: before operand counts and placeholders' types [L]
    ("Update", "SET a = list_append(list_append(:a), :c)", LISTS, used_this_way("list_append")),
    ("Update", "SET a = list_append(list_append(:n, :m), :c)", LISTS, used_this_way("list_append")),
    # an update's calls are checked on reaching them, before their operands [L]
    ("Update", "SET a = list_append(list_append(:a, size(b)), :c)", LISTS, used_this_way("list_append")),
    ("Update", "SET a = list_append(size(b), list_append(:a, :b))", LISTS,
     E(INV_U + "The function is not allowed in an update expression; function: size")),
    ("Update", "SET a = f(list_append(a, :b))", LISTS, E(INV_U + "Invalid function name; function: f")),
    ("Update", "SET a = list_append(a, g(size(b)))", LISTS, E(INV_U + "Invalid function name; function: g")),
    # accepted nestings [S test_update_expression_function_nesting, _function_plus_nesting]
    ("Update", "SET a = list_append(if_not_exists(a, :e), :b)", LISTS,
     "SET a=(list_append (if_not_exists a :e) :b)"),
    ("Update", "SET a = list_append(:b, if_not_exists(a, :e))", LISTS,
     "SET a=(list_append :b (if_not_exists a :e))"),
    ("Update", "SET a = if_not_exists(a, if_not_exists(b, :n))", LISTS,                                  # [I]
     "SET a=(if_not_exists a (if_not_exists b :n))"),
    ("Update", "SET b = if_not_exists(b, :n)+:m", LISTS, "SET b=(+ (if_not_exists b :n) :m)"),
    ("Update", "SET a = list_append((a), (:b))", LISTS, "SET a=(list_append a :b)"),
    # if_not_exists as if_not_exists's first operand: a document path is required [S][D]
    ("Update", "SET b = if_not_exists(if_not_exists(a, :n), :m)", LISTS,
     E(INV_U + "Operator or function requires a document path; operator or function: if_not_exists")),
    # no + / - inside a function's arguments [S test_update_expression_function_plus_nesting]
    ("Update", "SET c = if_not_exists(c, :n+:m)", LISTS, syntax(INV_U, "+", ":n+:m")),
    ("Update", "SET c = if_not_exists(c, :n + :m)", LISTS, syntax(INV_U, "+", ":n + :m")),
    ("Update", "SET a = list_append(a, :b - :c)", LISTS, syntax(INV_U, "-", ":b - :c")),
    ("Update", "SET c = if_not_exists(c, (:n + :m))", LISTS, syntax(INV_U, "+", ":n + :m")),            # [I]
    # still refused in conditions, as before [S test_update_condition_other_funcs]
    ("Condition", "list_append(list_append(a, b), c) = :n", LISTS,
     E(INV_C + "The function is not allowed in a condition expression; function: list_append")),
]

ROWS = ORDERING + PATH_FIRST + NESTING


def run(kind, expr, values):
    try:
        return dump(parse_one(expr, kind, None, values))
    except ValidationException as e:
        return E(e.message)


@pytest.mark.parametrize("kind,expr,values,expected", ROWS,
                         ids=[f"{k}:{e}:{'|'.join(sorted(str(x) for x in (v or {}).values()))[:40]}"
                              for k, e, v, _ in ROWS])
def test_case(kind, expr, values, expected):
    got = run(kind, expr, values)
    if isinstance(expected, E):
        assert isinstance(got, E), f"parsed as {got}"
    else:
        assert not isinstance(got, E), got
    assert str(got) == str(expected)


# -- evaluation of the newly accepted forms ---------------------------------------

@pytest.mark.parametrize("t,item,expected", [
    ("N", {}, True), ("N", None, True), ("S", {}, False), ("NULL", {"a": {"NULL": True}}, False),
])
def test_attribute_type_of_a_value(t, item, expected):
    # [S test_update_condition_attribute_type]: attribute_type(:val, :type) with
    # :val = 0 and :type = "N" is true, whatever the item holds.
    tree = parse_one("attribute_type(:v, :t)", "Condition", None, {":v": N("0"), ":t": S(t)})
    assert evaluate(tree, item) is expected


@pytest.mark.parametrize("op,av", [(op, av) for op in ("<", ">=") for av, _ in UNORDERED[:3]])
def test_unorderable_item_value_is_false_not_an_error(op, av):
    # [S test_update_condition_lt etc.]: a list in the item against a number is a false condition.
    tree = parse_one(f"x {op} :n", "Condition", None, {":n": N("1")})
    assert evaluate(tree, {"x": av}) is False


@pytest.mark.parametrize("item,expected", [
    ({}, {"a": {"L": [S("a"), S("b"), S("cat"), S("dog")]}}),
    ({"a": {"L": [S("a"), S("b"), S("cat"), S("dog")]}},
     {"a": {"L": [S("a"), S("b"), S("cat"), S("dog"), S("1"), S("2")]}}),
])
def test_list_append_of_if_not_exists_applies(item, expected):
    # [S test_update_expression_function_nesting]
    values = {":e": {"L": [S("a"), S("b")]},
              ":b": {"L": [S("cat"), S("dog")]} if not item else {"L": [S("1"), S("2")]}}
    tree = parse_one("SET a = list_append(if_not_exists(a, :e), :b)", "Update", None, values)
    assert apply_update(tree, item) == expected
