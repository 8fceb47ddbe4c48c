"""dyncore.expr's evaluators against a small reference written plainly here.

Random items (all ten types, nested) and random condition trees: each tree is
printed (`to_text`), parsed back as a request would be, and evaluated with
`evaluate`; the answer must be the reference's. Same for random updates
(SET with values, paths, +/-, if_not_exists, list_append; REMOVE; ADD;
DELETE), on distinct attributes plus several positions of one list: the new
item or the error message must be the reference's.

The reference imports nothing from the implementation but the node classes
and the printer/parser; it states DynamoDB's rules directly (see the
docstrings of dyncore/expr/evaluate.py and update.py for their sources).
"""
from __future__ import annotations

import copy
from decimal import Context, Decimal

from hypothesis import assume, event, given, strategies as st

from dyncore.errors import ValidationException
from dyncore.expr import (
    AddAction, And, Arith, Between, Call, Compare, DeleteAction, In, Not, Or, Path,
    RemoveAction, SetAction, Update, Value, apply_update, evaluate, parse_condition,
    parse_update, to_text,
)

# -- items --------------------------------------------------------------------

TOP = ["a", "b", "c", "d", "l"]
KEYS = ["a", "x", "y"]

strings = st.sampled_from(["", "a", "ab", "b", "A", "é", "𝄞", "a𝄞", "𝄞𝄞", "é𝄞"])
# canonical numbers, with the extremes of DynamoDB's range and one that
# needs 38 digits once 1 is added (1E+50 + 1 has 51)
BIG = "9" * 38 + "0" * 88           # 9.99...E+125
TINY = "0." + "0" * 129 + "1"        # 1E-130
numbers = st.sampled_from(["0", "1", "-1", "2", "10", "1.5", "-0.5", "100", "0.001",
                           "1" + "0" * 50, BIG, "-" + BIG, TINY])
binaries = st.sampled_from([b"", b"\x00", b"\x01", b"\x01\x02", b"\x80", b"\xff"])

scalars = st.one_of(
    strings.map(lambda s: {"S": s}),
    numbers.map(lambda n: {"N": n}),
    binaries.map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
)
sets = st.one_of(
    st.lists(strings, min_size=1, max_size=3, unique=True).map(lambda x: {"SS": x}),
    st.lists(numbers, min_size=1, max_size=3, unique=True).map(lambda x: {"NS": x}),
    st.lists(binaries, min_size=1, max_size=3, unique=True).map(lambda x: {"BS": x}),
)
values = st.recursive(
    st.one_of(scalars, sets),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda x: {"L": x}),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3).map(lambda x: {"M": x}),
    ),
    max_leaves=8,
)
items = st.dictionaries(st.sampled_from(TOP), st.one_of(scalars, values), max_size=5)

steps = st.lists(st.one_of(st.sampled_from(KEYS), st.integers(0, 3)), max_size=2)
random_paths = st.builds(lambda head, rest: Path((head, *rest)),
                         st.sampled_from(TOP + ["z"]), steps)


# -- reference: conditions -------------------------------------------------------

def ref_type(av):
    (t,) = av.keys()
    return t


def norm(av):
    """A hashable form in which equal AttributeValues are equal."""
    t = ref_type(av)
    x = av[t]
    if t == "N":
        return (t, Decimal(x))
    if t == "B":
        return (t, bytes(x))
    if t == "SS":
        return (t, frozenset(x))
    if t == "NS":
        return (t, frozenset(Decimal(e) for e in x))
    if t == "BS":
        return (t, frozenset(bytes(e) for e in x))
    if t == "L":
        return (t, tuple(norm(e) for e in x))
    if t == "M":
        return (t, frozenset((k, norm(v)) for k, v in x.items()))
    return (t, x)


def ref_get(item, elements):
    cur = {"M": item}
    for e in elements:
        if isinstance(e, int):
            if "L" not in cur or e >= len(cur["L"]):
                return None
            cur = cur["L"][e]
        else:
            if "M" not in cur or e not in cur["M"]:
                return None
            cur = cur["M"][e]
    return cur


def ref_size(av):
    t = ref_type(av)
    x = av[t]
    if t == "S":
        return len(x.encode("utf-16-le")) // 2
    if t in ("B", "SS", "NS", "BS", "L", "M"):
        return len(x)
    return None


def ref_operand(node, item):
    if isinstance(node, Path):
        return ref_get(item, node.elements)
    if isinstance(node, Value):
        return node.value
    assert isinstance(node, Call) and node.name == "size"
    v = ref_operand(node.args[0], item)
    if v is None or ref_size(v) is None:
        return None
    return {"N": str(ref_size(v))}


def order_key(av):
    t = ref_type(av)
    if t == "S":
        return av["S"].encode("utf-8")
    if t == "N":
        return Decimal(av["N"])
    if t == "B":
        return bytes(av["B"])
    return None


def ref_less(a, b):
    """(comparable, a < b, a == b) for two present values."""
    if ref_type(a) != ref_type(b) or order_key(a) is None:
        return False, False, False
    return True, order_key(a) < order_key(b), order_key(a) == order_key(b)


def ref_contains(a, b):
    ta, tb = ref_type(a), ref_type(b)
    if ta == "S" and tb == "S":
        return b["S"] in a["S"]
    if ta == "B" and tb == "B":
        return bytes(b["B"]) in bytes(a["B"])
    if (ta, tb) in (("SS", "S"), ("NS", "N"), ("BS", "B")):
        return norm({tb: b[tb]})[1] in norm(a)[1]
    if ta == "L":
        return norm(b) in [norm(e) for e in a["L"]]
    return False


def ref_cond(node, item):
    if isinstance(node, And):
        return ref_cond(node.left, item) and ref_cond(node.right, item)
    if isinstance(node, Or):
        return ref_cond(node.left, item) or ref_cond(node.right, item)
    if isinstance(node, Not):
        return not ref_cond(node.operand, item)
    if isinstance(node, Compare):
        a, b = ref_operand(node.left, item), ref_operand(node.right, item)
        if node.op == "<>":
            return a is None or b is None or norm(a) != norm(b)
        if a is None or b is None:
            return False
        if node.op == "=":
            return norm(a) == norm(b)
        ok, lt, eq = ref_less(a, b)
        return ok and {"<": lt, "<=": lt or eq, ">": not lt and not eq, ">=": not lt}[node.op]
    if isinstance(node, Between):
        v, lo, hi = (ref_operand(x, item) for x in (node.operand, node.low, node.high))
        if v is None or lo is None or hi is None:
            return False
        ok1, below, _ = ref_less(v, lo)
        ok2, lt, eq = ref_less(v, hi)
        return ok1 and ok2 and not below and (lt or eq)
    if isinstance(node, In):
        v = ref_operand(node.operand, item)
        if v is None:
            return False
        for c in node.choices:
            w = ref_operand(c, item)
            if w is not None and norm(w) == norm(v):
                return True
        return False
    assert isinstance(node, Call)
    args = [ref_operand(x, item) for x in node.args]
    if node.name == "attribute_exists":
        return args[0] is not None
    if node.name == "attribute_not_exists":
        return args[0] is None
    if None in args:
        return False
    a, b = args
    if node.name == "attribute_type":
        return ref_type(a) == b["S"]
    if node.name == "begins_with":
        t = ref_type(a)
        return t == ref_type(b) and t in ("S", "B") and a[t].startswith(b[t])
    if node.name == "contains":
        return ref_contains(a, b)
    raise AssertionError(node)


# -- condition trees ------------------------------------------------------------------

def const(strategy):
    return strategy.map(lambda av: Value(":?", av))


def existing_paths(item, limit=3):
    """Every path of `item`, up to `limit` steps deep."""
    out = []

    def walk(prefix, av):
        out.append(Path(prefix))
        if len(prefix) >= limit:
            return
        t = ref_type(av)
        if t == "M":
            for k, v in av["M"].items():
                walk(prefix + (k,), v)
        elif t == "L":
            for i, v in enumerate(av["L"]):
                walk(prefix + (i,), v)
    for name, av in (item or {}).items():
        walk((name,), av)
    return out


def item_paths(item):
    """Paths for a tree over `item`: mostly ones that exist, some random."""
    found = existing_paths(item)
    if not found:
        return random_paths
    return st.one_of(st.sampled_from(found), st.sampled_from(found), random_paths)


any_value = const(values)
ordered_value = const(st.one_of(strings.map(lambda s: {"S": s}), numbers.map(lambda n: {"N": n}),
                                binaries.map(lambda b: {"B": b})))
sb_value = const(st.one_of(strings.map(lambda s: {"S": s}), binaries.map(lambda b: {"B": b})))


def item_constants(item):
    """(any, ordered, S-or-B) value strategies that often hit the item's own
    values and sizes, so that equalities and bounds are met."""
    found = [ref_get(item, p.elements) for p in existing_paths(item)]
    found += [{"N": str(ref_size(v))} for v in found if ref_size(v) is not None]
    found += [{t: v[t][::-1]} for v in found for t in ("SS", "NS", "BS") if t in v]
    ordered = [v for v in found if ref_type(v) in ("S", "N", "B")]
    sb = [v for v in ordered if ref_type(v) != "N"]

    def mix(base, pool):
        return st.one_of(base, const(st.sampled_from(pool))) if pool else base
    return mix(any_value, found), mix(ordered_value, ordered), mix(sb_value, sb)


TYPES = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"]


@st.composite
def bounds(draw, paths, sizes, ordered_value):
    if draw(st.booleans()):
        return draw(st.one_of(paths, sizes)), draw(st.one_of(paths, sizes))
    x = draw(ordered_value).value
    kind = ref_type(x)
    base = {"S": strings, "N": numbers, "B": binaries}[kind].map(lambda v: {kind: v})
    y = draw(st.one_of(base, st.just(x)))
    if order_key(x) > order_key(y):
        x, y = y, x
    return Value(":?", x), Value(":?", y)


def variants(av):
    """Values equal or close to `av`: itself, a set reordered or shortened, a
    prefix, a neighbouring number."""
    t = ref_type(av)
    x = av[t]
    out = [av]
    if t in ("SS", "NS", "BS"):
        out += [{t: x[::-1]}, {t: x[:-1] or x}]
    elif t == "L" and x:
        out += [{"L": x[::-1]}]
    elif t in ("S", "B") and x:
        out += [{t: x[:1]}, {t: x[:-1]}]
    elif t == "N":
        out += [{"N": str(Decimal(x) + 1)}, {"N": str(Decimal(x) - 1)}]
    return out


def parts(av):
    """Values `contains(av, ...)` may find: elements, substrings."""
    t = ref_type(av)
    x = av[t]
    if t in ("SS", "NS", "BS"):
        return [{t[0]: e} for e in x]
    if t == "L":
        return list(x)
    if t in ("S", "B") and x:
        return [{t: x[1:]}, {t: x[:1]}]
    return []


@st.composite
def related(draw, item):
    """A leaf about an existing path x and a value close to x's own (or to
    its size), so that equalities, bounds and memberships are often met."""
    p = draw(st.sampled_from(existing_paths(item)))
    av = ref_get(item, p.elements)
    pairs = [(p, w) for w in variants(av)]
    if ref_size(av) is not None:
        n = {"N": str(ref_size(av))}
        pairs += [(Call("size", (p,)), w) for w in variants(n)]
    x, v = draw(st.sampled_from(pairs))
    t = ref_type(v)
    ordered = t in ("S", "N", "B")
    kind = draw(st.sampled_from(["cmp", "cmp", "between", "in", "contains", "begins_with"]))
    if kind == "between" and ordered:
        other = draw(st.sampled_from(variants(v)))
        lo, hi = sorted([other, v], key=order_key)
        return Between(x, Value(":?", lo), Value(":?", hi))
    if kind == "in":
        return In(x, (Value(":?", {"NULL": True}), Value(":?", v)))
    if kind == "contains" and parts(av):
        return Call("contains", (p, Value(":?", draw(st.sampled_from(parts(av))))))
    if kind == "begins_with" and t in ("S", "B") and x is p:
        return Call("begins_with", (p, Value(":?", v)))
    ops = ["=", "<>", "<", "<=", ">", ">="] if ordered else ["=", "<>"]
    return Compare(draw(st.sampled_from(ops)), x, Value(":?", v))


def conditions(item):
    paths = item_paths(item)
    any_value, ordered_value, sb_value = item_constants(item)
    sizes = paths.map(lambda p: Call("size", (p,)))
    operands = st.one_of(paths, any_value, sizes)
    ordered_operands = st.one_of(paths, ordered_value, sizes)
    leaves = st.one_of(
        st.builds(Compare, st.sampled_from(["=", "<>"]), operands, operands),
        st.builds(Compare, st.sampled_from(["<", "<=", ">", ">="]), ordered_operands,
                  ordered_operands),
        st.builds(lambda x, b: Between(x, *b), ordered_operands,
                  bounds(paths, sizes, ordered_value)),
        st.builds(lambda x, cs: In(x, tuple(cs)), operands,
                  st.lists(operands, min_size=1, max_size=4)),
        paths.map(lambda p: Call("attribute_exists", (p,))),
        paths.map(lambda p: Call("attribute_not_exists", (p,))),
        st.builds(lambda p, t: Call("attribute_type", (p, Value(":?", {"S": t}))),
                  paths, st.sampled_from(TYPES)),
        st.builds(lambda a, b: Call("begins_with", (a, b)), st.one_of(paths, sb_value),
                  st.one_of(paths, sb_value)),
        st.builds(lambda a, b: Call("contains", (a, b)), st.one_of(paths, any_value), operands),
    )
    if item:
        leaves = st.one_of(related(item), leaves)     # half of the leaves
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.builds(And, inner, inner), st.builds(Or, inner, inner),
                                st.builds(Not, inner)),
        max_leaves=10,
    )


def number_values(node, counter=None):
    """The tree with its Values named :v0, :v1, ... (one name per Value)."""
    counter = counter if counter is not None else [0]
    r = lambda n: number_values(n, counter)            # noqa: E731
    if isinstance(node, Value):
        counter[0] += 1
        return Value(f":v{counter[0]}", node.value)
    if isinstance(node, Path):
        return node
    if isinstance(node, Call):
        return Call(node.name, tuple(r(a) for a in node.args))
    if isinstance(node, Compare):
        return Compare(node.op, r(node.left), r(node.right))
    if isinstance(node, Arith):
        return Arith(node.op, r(node.left), r(node.right))
    if isinstance(node, Between):
        return Between(r(node.operand), r(node.low), r(node.high))
    if isinstance(node, In):
        return In(r(node.operand), tuple(r(c) for c in node.choices))
    if isinstance(node, (And, Or)):
        return type(node)(r(node.left), r(node.right))
    if isinstance(node, Not):
        return Not(r(node.operand))
    if isinstance(node, (SetAction, AddAction, DeleteAction)):
        return type(node)(node.path, r(node.value))
    if isinstance(node, RemoveAction):
        return node
    if isinstance(node, Update):
        return Update(tuple(r(a) for a in node.actions))
    raise AssertionError(node)


def reparse(tree, parse):
    text, names, vals = to_text(number_values(tree))
    assume(len(text.encode("utf-8")) <= 4096)
    try:
        return parse(text, names or None, vals or None)
    except ValidationException:
        # a static refusal (e.g. the same path on both sides): not this test's business
        event("refused by the parser")
        return None


def sub_conditions(node):
    """The condition and every condition inside it (AND, OR and NOT hide
    most of their parts' answers)."""
    out = [node]
    if isinstance(node, (And, Or)):
        out += sub_conditions(node.left) + sub_conditions(node.right)
    elif isinstance(node, Not):
        out += sub_conditions(node.operand)
    return out


@given(st.data())
def test_conditions_match_reference(data):
    for _ in range(3):
        item = data.draw(items, label="item")
        trees = data.draw(st.lists(conditions(item), min_size=3, max_size=3), label="conditions")
        for tree in trees:
            parsed = reparse(tree, parse_condition)
            for part in sub_conditions(parsed) if parsed is not None else ():
                expected = ref_cond(part, item)
                event(f"condition {expected}")
                assert evaluate(part, item) is expected, part
                assert evaluate(part, None) is ref_cond(part, {}), part


# -- reference: updates ---------------------------------------------------------------

class RefError(Exception):
    pass


MISSING = "The provided expression refers to an attribute that does not exist in the item"
BAD_TYPE = "An operand in the update expression has an incorrect data type"
BAD_PATH = "The document path provided in the update expression is invalid for update"
OVERFLOW = ("Number overflow. Attempting to store a number with magnitude larger than "
            "supported range")
UNDERFLOW = ("Number underflow. Attempting to store a number with magnitude smaller than "
             "supported range")


def ref_number(d):
    sign, digits, exp = d.as_tuple()
    digits = list(digits)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exp += 1
    if digits == [0]:
        return "0"
    magnitude = len(digits) - 1 + exp
    if magnitude > 125:
        raise RefError(OVERFLOW)
    if magnitude < -130:
        raise RefError(UNDERFLOW)
    if len(digits) > 38:
        raise RefError(OVERFLOW)
    text = "".join(map(str, digits))
    if exp >= 0:
        text += "0" * exp
    else:
        text = text.rjust(-exp + 1, "0")
        text = text[:exp] + "." + text[exp:]
    return ("-" if sign else "") + text


WIDE = Context(prec=2000)


def ref_value(node, item):
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Path):
        v = ref_get(item, node.elements)
        if v is None:
            raise RefError(MISSING)
        return v
    if isinstance(node, Arith):
        left = ref_value(node.left, item)
        if ref_type(left) != "N":
            raise RefError(BAD_TYPE)
        right = ref_value(node.right, item)
        if ref_type(right) != "N":
            raise RefError(BAD_TYPE)
        x, y = Decimal(left["N"]), Decimal(right["N"])
        return {"N": ref_number(WIDE.add(x, y) if node.op == "+" else WIDE.subtract(x, y))}
    if node.name == "if_not_exists":
        found = ref_get(item, node.args[0].elements)
        return found if found is not None else ref_value(node.args[1], item)
    assert node.name == "list_append"
    parts = []
    for arg in node.args:
        v = ref_value(arg, item)
        if ref_type(v) != "L":
            raise RefError(BAD_TYPE)
        parts.append(v)
    return {"L": parts[0]["L"] + parts[1]["L"]}


def elem_key(t, e):
    return Decimal(e) if t == "NS" else bytes(e) if t == "BS" else e


def ref_apply(tree, item):
    exists = item is not None
    orig = item if exists else {}
    computed = [ref_value(a.value, orig) if isinstance(a, SetAction) else None
                for a in tree.actions]
    plan = []                                        # (elements, new value or None = remove)
    for action, value in zip(tree.actions, computed):
        el = action.path.elements
        if isinstance(action, RemoveAction) and not exists:
            continue
        parent = {"M": orig} if len(el) == 1 else ref_get(orig, el[:-1])
        want = "L" if isinstance(el[-1], int) else "M"
        if parent is None or want not in parent:
            raise RefError(BAD_PATH)
        current = ref_get(orig, el)
        if isinstance(action, SetAction):
            plan.append((el, value))
        elif isinstance(action, RemoveAction):
            if current is not None:
                plan.append((el, None))
        elif isinstance(action, AddAction):
            v = action.value.value
            t = ref_type(v)
            if current is None:
                plan.append((el, v))
            elif ref_type(current) != t:
                raise RefError(BAD_TYPE)
            elif t == "N":
                total = WIDE.add(Decimal(current["N"]), Decimal(v["N"]))
                plan.append((el, {"N": ref_number(total)}))
            else:
                have = [elem_key(t, e) for e in current[t]]
                more = [e for e in v[t] if elem_key(t, e) not in have]
                plan.append((el, {t: current[t] + more}))
        else:
            v = action.value.value
            t = ref_type(v)
            if current is None:
                continue
            if ref_type(current) != t:
                raise RefError(BAD_TYPE)
            gone = [elem_key(t, e) for e in v[t]]
            left = [e for e in current[t] if elem_key(t, e) not in gone]
            plan.append((el, {t: left} if left else None))
    new = copy.deepcopy(orig)
    # Grab every parent container (by original position) before changing any list.
    targets = []
    for el, value in plan:
        parent = {"M": new} if len(el) == 1 else ref_get(new, el[:-1])
        targets.append((parent, el[-1], value))
    removals, appends = {}, {}
    for parent, last, value in targets:
        if isinstance(last, str):
            if value is None:
                parent["M"].pop(last, None)
            else:
                parent["M"][last] = value
        elif last < len(parent["L"]):
            if value is None:
                removals.setdefault(id(parent), (parent, []))[1].append(last)
            else:
                parent["L"][last] = value
        elif value is not None:
            appends.setdefault(id(parent), (parent, []))[1].append((last, value))
    for parent, indexes in removals.values():
        for i in sorted(indexes, reverse=True):
            del parent["L"][i]
    for parent, extra in appends.values():
        parent["L"].extend(v for _, v in sorted(extra, key=lambda p: p[0]))
    return new


def canon(av):
    """Sets in a fixed order, so that item comparisons ignore set order."""
    t = ref_type(av)
    x = av[t]
    if t in ("SS", "NS", "BS"):
        return {t: sorted(x, key=lambda e: (str(elem_key(t, e)), repr(e)))}
    if t == "L":
        return {t: [canon(e) for e in x]}
    if t == "M":
        return {t: {k: canon(v) for k, v in x.items()}}
    return av


# -- update trees -----------------------------------------------------------------------

n_value = const(numbers.map(lambda n: {"N": n}))
l_value = const(st.lists(scalars, max_size=3).map(lambda x: {"L": x}))
plain_set_value = const(sets)


EXTREMES = const(st.sampled_from(["1", "-1", "1" + "0" * 50, BIG, "-" + BIG, TINY, "2" + TINY[1:]])
                 .map(lambda n: {"N": n}))


def set_values(paths):
    num_operand = st.one_of(paths, n_value)
    list_operand = st.one_of(paths, l_value)
    return st.one_of(
        any_value,
        paths,
        st.builds(Arith, st.sampled_from("+-"), num_operand, num_operand),
        st.builds(Arith, st.sampled_from("+-"), EXTREMES, EXTREMES),
        st.builds(lambda p, v: Call("if_not_exists", (p, v)), paths, st.one_of(any_value, paths)),
        st.builds(lambda a, b: Call("list_append", (a, b)), list_operand, list_operand),
    )


def grown(av):
    """A set with one element more, or a number plus one."""
    t = ref_type(av)
    if t == "N":
        return {"N": str(Decimal(av["N"]) + 1)}
    return {t: av[t] + ["zz" if t == "SS" else "7" if t == "NS" else b"z"]}


def clash(p, q):
    """Paths DynamoDB refuses together: one a prefix of the other, or one
    indexing where the other names a key."""
    for x, y in zip(p.elements, q.elements):
        if x != y:
            return isinstance(x, int) != isinstance(y, int)
    return True


def target_candidates(item):
    """Top-level names, children of existing maps and lists (also past a
    list's end), and a few random paths."""
    out = [Path((n,)) for n in TOP + ["z"]]
    for p in existing_paths(item, limit=2):
        av = ref_get(item, p.elements)
        if "M" in av:
            out += [Path(p.elements + (k,)) for k in KEYS]
        elif "L" in av:
            out += [Path(p.elements + (i,)) for i in range(len(av["L"]) + 3)]
    return out


@st.composite
def updates(draw, item):
    paths = item_paths(item)
    own = [ref_get(item, p.elements) for p in existing_paths(item)]
    own_sets = [v for v in own if {"SS", "NS", "BS"} & v.keys()]
    own_sets += [{t: v[t][:1] + ["zz" if t == "SS" else "7" if t == "NS" else b"z"]}
                 for v in own_sets for t in v]
    own_set_value = (const(st.sampled_from(own_sets)) | plain_set_value if own_sets
                     else plain_set_value)
    candidates = draw(st.lists(st.one_of(st.sampled_from(target_candidates(item)), random_paths),
                               min_size=1, max_size=6))
    the_list = (item or {}).get("l", {}).get("L")
    if the_list is not None:
        positions = st.integers(0, len(the_list) + 3).map(lambda i: Path(("l", i)))
        candidates += draw(st.lists(positions, max_size=4))
    targets = []
    for p in candidates:
        if not any(clash(p, q) for q in targets):
            targets.append(p)
    acts = []
    for p in targets:
        current = ref_get(item or {}, p.elements)
        near = [const(st.sampled_from(variants(current) + [grown(current)]))] if (
            current is not None and {"SS", "NS", "BS", "N"} & current.keys()) else []
        set_value = st.one_of(*near, own_set_value)
        add_value = st.one_of(*near, n_value, own_set_value)
        kind = draw(st.sampled_from(["SET", "SET", "REMOVE", "ADD", "DELETE"]))
        if kind == "SET":
            acts.append(SetAction(p, draw(set_values(paths))))
        elif kind == "REMOVE":
            acts.append(RemoveAction(p))
        elif kind == "ADD":
            acts.append(AddAction(p, draw(add_value)))
        else:
            acts.append(DeleteAction(p, draw(set_value)))
    return Update(tuple(acts))


lists = st.lists(st.one_of(scalars, sets), max_size=5).map(lambda x: {"L": x})


@given(st.data())
def test_updates_match_reference(data):
    for _ in range(3):
        item = data.draw(st.one_of(st.none(), items), label="item")
        if item is not None and "l" not in item:
            item = {**item, "l": data.draw(lists)}     # a list to address by position
        check_updates(item, data.draw(st.lists(updates(item), min_size=2, max_size=2)))


def check_updates(item, trees):
    snapshot = copy.deepcopy(item)
    for tree in trees:
        parsed = reparse(tree, parse_update)
        if parsed is None:
            continue
        try:
            expected = ref_apply(parsed, item)
        except RefError as e:
            event(f"update error: {e}")
            try:
                apply_update(parsed, item)
            except ValidationException as got:
                assert got.message == str(e)
            else:
                raise AssertionError(f"expected {e}")
        else:
            event("update applied")
            got = apply_update(parsed, item)
            assert canon({"M": got}) == canon({"M": expected})
        assert item == snapshot
