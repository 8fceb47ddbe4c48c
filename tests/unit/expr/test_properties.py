"""Properties: printed trees parse back to themselves; nothing but
ValidationException ever escapes, whatever the input."""
import string

from hypothesis import assume, given, strategies as st

from dyncore.errors import ValidationException
from dyncore.expr import (
    AddAction, And, Arith, Between, Call, Compare, DeleteAction, In, Not, Or, Path,
    Projection, RemoveAction, SetAction, Update, Value, analyse_key_condition, dump,
    parse_expressions, to_text,
)
from dyncore.expr.names import parse_one, resolve
from dyncore.expr.parser import parse

# -- trees -----------------------------------------------------------------

# Attribute names: plain identifiers, reserved words, keywords, function
# names, and arbitrary text (the printer uses placeholders where needed).
names = st.one_of(
    st.sampled_from(["a", "b", "c1", "Status", "name", "and", "Set", "size", "contains",
                     "if_not_exists", "x_y", "[3]", "a.b", "#c", ":d", " ", "é"]),
    st.text(min_size=1, max_size=6),
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True),
)
paths = st.builds(
    lambda head, rest: Path((head, *rest)),
    names, st.lists(st.one_of(names, st.integers(0, 40)), max_size=3))
value_names = st.from_regex(r":[A-Za-z0-9_]{1,4}", fullmatch=True)
# One value per placeholder name, so a tree never uses :x for two values.
values = value_names.map(lambda n: Value(n, {"S": n}))
operands = st.one_of(paths, values, paths.map(lambda p: Call("size", (p,))))

comparisons = st.builds(Compare, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), operands, operands)
betweens = st.builds(Between, operands, operands, operands)
ins = st.builds(lambda x, xs: In(x, tuple(xs)), operands, st.lists(operands, min_size=1, max_size=4))
functions = st.one_of(
    paths.map(lambda p: Call("attribute_exists", (p,))),
    paths.map(lambda p: Call("attribute_not_exists", (p,))),
    st.builds(lambda p, v: Call("attribute_type", (p, v)), paths, values),
    st.builds(lambda a, b: Call("begins_with", (a, b)), operands, operands),
    st.builds(lambda a, b: Call("contains", (a, b)), operands, operands),
)
conditions = st.recursive(
    st.one_of(comparisons, betweens, ins, functions),
    lambda inner: st.one_of(st.builds(And, inner, inner), st.builds(Or, inner, inner),
                            st.builds(Not, inner)),
    max_leaves=12)

set_operands = st.one_of(paths, values)
set_values = st.one_of(
    set_operands,
    st.builds(Arith, st.sampled_from("+-"), set_operands, set_operands),
    st.builds(lambda p, v: Call("if_not_exists", (p, v)), paths, set_operands),
    st.builds(lambda a, b: Call("list_append", (a, b)), set_operands, set_operands),
    st.builds(lambda a, b: Arith("+", Call("if_not_exists", (a, b)), b), paths, values),
)
clause_actions = {
    "SET": st.lists(st.builds(SetAction, paths, set_values), min_size=1, max_size=3),
    "REMOVE": st.lists(st.builds(RemoveAction, paths), min_size=1, max_size=3),
    "ADD": st.lists(st.builds(AddAction, paths, values), min_size=1, max_size=3),
    "DELETE": st.lists(st.builds(DeleteAction, paths, values), min_size=1, max_size=3),
}
updates = st.permutations(list(clause_actions)).flatmap(
    lambda order: st.integers(1, 4).flatmap(
        lambda n: st.tuples(*(clause_actions[c] for c in order[:n])))).map(
    lambda groups: Update(tuple(a for g in groups for a in g)))
projections = st.lists(paths, min_size=1, max_size=5).map(lambda ps: Projection(tuple(ps)))


def reparse(tree, kind):
    text, names_map, values_map = to_text(tree)
    assume(len(text.encode("utf-8")) <= 4096)
    return resolve(parse(text, kind), kind, names_map, values_map)[0], text


@given(conditions)
def test_conditions_print_and_parse_back(tree):
    back, text = reparse(tree, "Condition")
    assert back == tree, (text, dump(tree), dump(back))


@given(updates)
def test_updates_print_and_parse_back(tree):
    back, text = reparse(tree, "Update")
    assert back == tree, (text, dump(tree), dump(back))


@given(projections)
def test_projections_print_and_parse_back(tree):
    back, text = reparse(tree, "Projection")
    assert back == tree, text


@given(conditions, st.sampled_from(["Condition", "Filter", "KeyCondition"]))
def test_full_checks_on_printed_trees_raise_only_validation(tree, kind):
    # The random trees break semantic rules (distinct operands, types, key
    # shapes...): whatever the checks say, they say it as ValidationException.
    text, names_map, values_map = to_text(tree)
    try:
        parse_expressions({f"{kind}Expression": text}, names_map or None, values_map or None)
    except ValidationException:
        pass


# -- fuzz ------------------------------------------------------------------

FRAGMENTS = [
    "a", "b", "#a", "#b", "#zz", ":v", ":w", ":zz", "size", "contains", "attribute_exists",
    "attribute_not_exists", "attribute_type", "begins_with", "if_not_exists", "list_append",
    "AND", "or", "NOT", "BETWEEN", "in", "SET", "remove", "ADD", "delete", "status",
    "(", ")", "[", "]", "[1]", ",", ".", "=", "<>", "<", "<=", ">", ">=", "+", "-",
    " ", "  ", "0", "17", "#", ":", "!", '"', "é", "\t", "\n", "_",
]
texts = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(" ".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
    st.text(alphabet=string.printable + "é(", max_size=60),
)
attribute_values = st.one_of(
    st.sampled_from([{"S": "x"}, {"S": "N"}, {"S": "SS"}, {"N": "1"}, {"N": "-2.5e3"},
                     {"N": "junk"}, {"B": b"\x00"}, {"BOOL": True}, {"NULL": True},
                     {"SS": ["a"]}, {"NS": ["1"]}, {"BS": [b"a"]}, {"L": []}, {"M": {}},
                     {}, {"S": "x", "N": "1"}, {"Q": 1}, None, "str", 5]),
)
name_maps = st.one_of(st.none(), st.dictionaries(
    st.sampled_from(["#a", "#b", "#zz", "a", "#"]), st.sampled_from(["a", "b", "x.y", "[3]", "status", ""]),
    max_size=3))
value_maps = st.one_of(st.none(), st.dictionaries(
    st.sampled_from([":v", ":w", ":zz", "v", ":"]), attribute_values, max_size=3))


@given(texts, st.sampled_from(["Condition", "KeyCondition", "Filter", "Projection", "Update"]),
       name_maps, value_maps)
def test_fuzz_single_expression(text, kind, names_map, values_map):
    try:
        tree = parse_one(text, kind, names_map, values_map)
    except ValidationException:
        return
    if kind == "KeyCondition":
        for schema in (("a", None), ("a", "b")):
            try:
                analyse_key_condition(tree, schema, {"a": "S", "b": "N"})
            except ValidationException:
                pass


@given(st.dictionaries(st.sampled_from(["KeyConditionExpression", "FilterExpression",
                                        "ProjectionExpression", "UpdateExpression",
                                        "ConditionExpression"]),
                       st.one_of(st.none(), texts), max_size=3),
       name_maps, value_maps)
def test_fuzz_request(expressions, names_map, values_map):
    try:
        parse_expressions(expressions, names_map, values_map)
    except ValidationException:
        pass


def test_deep_nesting_is_a_syntax_error_not_a_crash():
    for text in ["(" * 4090 + "a=:v", "NOT " * 1000 + "a = :v", "a IN (" * 600]:
        try:
            parse_one(text, "Filter", None, {":v": {"S": "x"}})
        except ValidationException as e:
            assert "Syntax error" in e.message or "too many operators" in e.message, e.message


# -- path clashes: the linear-time check agrees with the pairwise definition --

def _pairwise(paths):
    def pairs():
        for j in range(len(paths)):
            for i in range(j):
                yield paths[i], paths[j]
    for one, two in pairs():
        n = min(len(one.elements), len(two.elements))
        if one.elements[:n] == two.elements[:n]:
            return "overlap", one, two
    for one, two in pairs():
        for x, y in zip(one.elements, two.elements):
            if x == y:
                continue
            if isinstance(x, int) != isinstance(y, int):
                return "conflict", one, two
            break
    return None


small_paths = st.builds(
    lambda head, rest: Path((head, *rest)),
    st.sampled_from(["a", "b"]),
    st.lists(st.sampled_from(["a", "[1]", 0, 1]), max_size=3))


@given(st.lists(small_paths, min_size=1, max_size=8))
def test_path_clash_check_matches_pairwise_definition(ps):
    from dyncore.expr.parser import check_paths
    expected = _pairwise(ps)
    try:
        check_paths(ps, "Projection")
    except ValidationException as e:
        assert expected is not None, e.message
        what, one, two = expected
        assert e.message == (f"Invalid ProjectionExpression: Two document paths {what} with each other; "
                             f"must remove or rewrite one of these paths; path one: {one.describe()}, "
                             f"path two: {two.describe()}")
    else:
        assert expected is None


def test_deep_nesting_from_many_threads_restores_the_recursion_limit():
    import sys
    import threading

    before = sys.getrecursionlimit()
    errors = []

    def work():
        for _ in range(5):
            try:
                parse_one("(" * 4000 + "a=:v", "Filter", None, {":v": {"S": "x"}})
            except ValidationException as e:
                if "Syntax error" not in e.message:
                    errors.append(e.message)
            except BaseException as e:  # noqa: BLE001 - the test is that nothing else escapes
                errors.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sys.getrecursionlimit() == before
