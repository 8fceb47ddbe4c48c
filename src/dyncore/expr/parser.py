"""Parser and static checks for DynamoDB's expression languages.

Rules
-----
Every error is a `ValidationException` whose message starts "Invalid
<Kind>Expression: " (Kind: Condition, KeyCondition, Filter, Projection,
Update). DynamoDB reports only the first problem it finds, so the order of the
checks below is part of the contract; it was reconstructed from DynamoDB's
answers recorded in dynalite's and moto's test suites (see README.md).

Theory of operation
-------------------
`parse(text, kind)` runs stages 1-4 and returns an *unresolved* tree (path
elements may be `NameRef`, values have no AttributeValue yet);
`dyncore.expr.names` then resolves placeholders (undefined ones are errors)
and `check(tree, kind)` runs stage 6 on the resolved tree.

1. Text: empty (blank) -> "The expression can not be empty;"; more than 4096
   UTF-8 bytes -> "Expression size has exceeded the maximum allowed size;
   expression size: N".
2. Syntax: recursive descent over `lexer` tokens. The first token that cannot
   continue a valid prefix is reported with its neighbours ("near").
   Redundant parentheses - a group whose whole content is another group,
   "((a))" - are reported as soon as the outer group closes, before anything
   after it is read (DynamoDB: "(a)between(((b.c)).d)and(c)" reports the
   parentheses, not the ".d").
3. Limits: more than 300 operators (each AND, OR, NOT, comparison, BETWEEN,
   IN, function call, + and - counts one); then, in one post-order walk
   (children before parents, like building the tree bottom-up): document path
   deeper than 32, IN with more than 100 operands, unknown function names
   (function names are case-sensitive), functions in the wrong place
   ("not allowed to be used this way", "not allowed in a condition
   expression", "not allowed in an update expression"; in an update,
   list_append inside a function call or a + / - is "used this way"; an
   update's function calls are checked on reaching them, before their
   operands, as DynamoDB Local does).
4. Reserved words used as bare names (first one in the text); for updates,
   then a clause keyword used twice ('The "SET" section can only be used once
   in an update expression;').
5. (names.py) placeholders: the first undefined #name or :value in the text.
6. Semantics on the resolved tree: for updates and projections first the
   overlapping, then the conflicting document paths; for updates the ADD and
   DELETE operand types; then, post-order: operand counts of functions,
   distinct first operand (before the operand types: DynamoDB reports
   "attribute_type(a.b, a.b)" as not distinct), "requires a document path"
   (attribute_exists, attribute_not_exists, if_not_exists only), operand
   types known without an item (value types, size() is a number; <, <=, >,
   >= and BETWEEN take only S, N and B, checked before their distinct
   operands), BETWEEN bounds of one type and in order.

Grammar (keywords case-insensitive)
-----------------------------------
    condition  := or
    or         := and { OR and }
    and        := not { AND not }
    not        := NOT not | predicate
    predicate  := primary [ comparator operand
                          | BETWEEN operand AND operand
                          | IN "(" operand { "," operand } ")" ]
    primary    := "(" or ")" | call | path | :value
    operand    := "(" operand ")" | call | path | :value
    call       := name "(" operand { "," operand } ")"
    path       := (name | #name) { "." (name | #name) | "[" digits "]" }

    update     := clause { clause }
    clause     := SET path "=" setvalue { "," path "=" setvalue }
                | REMOVE path { "," path }
                | (ADD | DELETE) path :value { "," path :value }
    setvalue   := setoperand [ ("+" | "-") setoperand ]
    setoperand := "(" setvalue ")" | setcall | path | :value
    setcall    := name "(" argument { "," argument } ")"
    argument   := "(" argument ")" | setcall | path | :value

    projection := path { "," path }

An update's function arguments take no "+" / "-": "if_not_exists(c, :a+:b)"
is a syntax error at the "+", "if_not_exists(c, :a)+:b" is fine (ScyllaDB
alternator, test_update_expression.py,
test_update_expression_function_plus_nesting, run against DynamoDB).

A primary is a condition (a parenthesised condition), an operand (path,
value, parenthesised operand) or either (a function call: boolean functions
are conditions, size() an operand; which is which is checked in stage 3, as
DynamoDB does). An operand must be followed by a comparison - except directly
inside parentheses, where "(a)" is allowed as the start of "(a) = b".
"""
from __future__ import annotations

import sys
import threading
from contextlib import contextmanager, nullcontext
from typing import Any, Iterator

from dyncore.errors import ValidationException
from dyncore.expr.ast import (
    TYPE_NAMES, AddAction, And, Arith, Between, Call, Compare, DeleteAction, In,
    NameRef, Not, Or, Path, Projection, RemoveAction, SetAction, Update, Value,
    compare_values, format_value, iter_nodes, long_type_name, value_type,
)
from dyncore.expr.lexer import (
    EOF, INT, KEYWORDS, NAME, NAME_PH, PUNCT, VALUE_PH, near, tokenize,
)
from dyncore.expr.reserved import RESERVED_WORDS

__all__ = [
    "KINDS", "MAX_EXPRESSION_BYTES", "MAX_OPERATORS", "MAX_IN_OPERANDS", "MAX_PATH_DEPTH",
    "CONDITION_FUNCTIONS", "OPERAND_FUNCTIONS", "UPDATE_FUNCTIONS", "FUNCTIONS",
    "invalid", "parse", "check", "deep_recursion",
]

KINDS = ("Condition", "KeyCondition", "Filter", "Projection", "Update")
CONDITION_KINDS = frozenset({"Condition", "KeyCondition", "Filter"})

MAX_EXPRESSION_BYTES = 4096
MAX_OPERATORS = 300
MAX_IN_OPERANDS = 100
MAX_PATH_DEPTH = 32

# name -> number of operands
CONDITION_FUNCTIONS = {
    "attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
    "begins_with": 2, "contains": 2,
}
OPERAND_FUNCTIONS = {"size": 1}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
FUNCTIONS = {**CONDITION_FUNCTIONS, **OPERAND_FUNCTIONS, **UPDATE_FUNCTIONS}

_COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
_SIZED_TYPES = frozenset({"S", "B", "SS", "NS", "BS", "L", "M"})
# Operators that order their operands, and the types they take.
_ORDERING = frozenset({"<", "<=", ">", ">="})
_ORDERED_TYPES = frozenset({"S", "N", "B"})
# Functions whose first operand must be a document path. Not attribute_type:
# DynamoDB accepts "attribute_type(:v, :t)" and evaluates it on the value
# [ScyllaDB alternator test_condition_expression.py,
# test_update_condition_attribute_type, run against DynamoDB]; nor
# begins_with ("begins_with(:s, a)" works, same file,
# test_update_condition_begins_with), contains or size ("size(:a)" is
# type-checked, not refused [D]). DynamoDB Local (decompiled,
# eznix86/dynamodb-local-decompiled, datamodel/OperatorValidator) requires the
# path for exactly these three.
_PATH_FIRST = ("attribute_exists", "attribute_not_exists", "if_not_exists")
_ADD_TYPES = frozenset({"N", "SS", "NS", "BS"})
_DELETE_TYPES = frozenset({"SS", "NS", "BS"})
_ALL_TYPES = "{" + ",".join(TYPE_NAMES) + "}"

# Categories of a parsed primary.
_COND, _OPERAND, _EITHER = "condition", "operand", "either"


def invalid(kind: str, message: str) -> ValidationException:
    """The ValidationException "Invalid <kind>Expression: <message>"."""
    return ValidationException(f"Invalid {kind}Expression: {message}")


_recursion_lock = threading.Lock()
_recursion_users = 0
_recursion_saved = 0


@contextmanager
def deep_recursion(limit: int = 50_000) -> Iterator[None]:
    """Allow deep recursion for the duration (a 4 KB expression can nest a
    few thousand levels; Python >= 3.11 does not use the C stack for these
    calls). The limit is process-wide, so concurrent users share one raise:
    the first raises it, the last restores it."""
    global _recursion_users, _recursion_saved
    with _recursion_lock:
        if _recursion_users == 0:
            _recursion_saved = sys.getrecursionlimit()
            if _recursion_saved < limit:
                sys.setrecursionlimit(limit)
        _recursion_users += 1
    try:
        yield
    finally:
        with _recursion_lock:
            _recursion_users -= 1
            if _recursion_users == 0 and sys.getrecursionlimit() != _recursion_saved:
                sys.setrecursionlimit(_recursion_saved)


# --------------------------------------------------------------------------
# Stage 2: syntax
# --------------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str, kind: str):
        self.text = text
        self.kind = kind
        self.toks = tokenize(text)
        self.i = 0
        self.groups: dict[int, int] = {}   # "(" token index -> ")" token index
        self.operators = 0
        self.clauses: list[str] = []       # update clause keywords, in order

    # -- tokens --------------------------------------------------------------

    @property
    def tok(self):
        return self.toks[self.i]

    def peek(self, k: int = 1):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def advance(self):
        t = self.toks[self.i]
        if t.kind != EOF:
            self.i += 1
        return t

    def syntax_error(self):
        t = self.tok
        ctx = near(self.text, self.toks, self.i)
        raise invalid(self.kind, f'Syntax error; token: "{t.text}", near: "{ctx}"')

    def expect_punct(self, text: str):
        if not self.tok.is_punct(text):
            self.syntax_error()
        return self.advance()

    def expect_keyword(self, word: str):
        if not self.tok.is_keyword(word):
            self.syntax_error()
        return self.advance()

    def at_name(self) -> bool:
        t = self.tok
        return t.kind == NAME and t.upper not in KEYWORDS

    def at_call(self) -> bool:
        return self.at_name() and self.peek().is_punct("(")

    def at_end(self) -> bool:
        return self.tok.kind == EOF

    # -- shared pieces -------------------------------------------------------

    def path(self) -> Path:
        t = self.tok
        if t.kind == NAME and t.upper not in KEYWORDS:
            elements: list[Any] = [t.text]
        elif t.kind == NAME_PH:
            elements = [NameRef(t.text)]
        else:
            self.syntax_error()
        self.advance()
        while True:
            t = self.tok
            if t.is_punct("."):
                self.advance()
                t = self.tok
                if t.kind == NAME and t.upper not in KEYWORDS:
                    elements.append(t.text)
                elif t.kind == NAME_PH:
                    elements.append(NameRef(t.text))
                else:
                    self.syntax_error()
                self.advance()
            elif t.is_punct("["):
                self.advance()
                t = self.tok
                if t.kind != INT:
                    self.syntax_error()
                self.advance()
                self.expect_punct("]")
                elements.append(int(t.text))
            else:
                return Path(tuple(elements))

    def value(self) -> Value:
        return Value(self.advance().text)

    def group(self, inner):
        """Parse "(" inner ")"; returns inner's result. Reports redundant
        parentheses when the whole content is itself a group."""
        open_i = self.i
        self.advance()
        result = inner()
        close_i = self.i
        self.expect_punct(")")
        if self.toks[open_i + 1].is_punct("(") and self.groups.get(open_i + 1) == close_i - 1:
            raise invalid(self.kind, "The expression has redundant parentheses;")
        self.groups[open_i] = close_i
        return result

    def call(self, argument) -> Call:
        name = self.advance().text
        self.advance()  # "("
        args = [argument()]
        while self.tok.is_punct(","):
            self.advance()
            args.append(argument())
        self.expect_punct(")")
        self.operators += 1
        return Call(name, tuple(args))

    # -- conditions ----------------------------------------------------------

    def condition(self):
        node, _ = self.or_expr(False)
        if not self.at_end():
            self.syntax_error()
        return node

    def or_expr(self, bare_ok: bool):
        node, cat = self.and_expr(bare_ok)
        while self.tok.is_keyword("OR"):
            self.advance()
            right, _ = self.and_expr(False)
            node, cat = Or(node, right), _COND
            self.operators += 1
        return node, cat

    def and_expr(self, bare_ok: bool):
        node, cat = self.not_expr(bare_ok)
        while self.tok.is_keyword("AND"):
            self.advance()
            right, _ = self.not_expr(False)
            node, cat = And(node, right), _COND
            self.operators += 1
        return node, cat

    def not_expr(self, bare_ok: bool):
        if self.tok.is_keyword("NOT"):
            self.advance()
            operand, _ = self.not_expr(False)
            self.operators += 1
            return Not(operand), _COND
        return self.predicate(bare_ok)

    def predicate(self, bare_ok: bool):
        left, cat = self.primary()
        if cat == _COND:
            return left, _COND
        t = self.tok
        if t.kind == PUNCT and t.text in _COMPARATORS:
            self.advance()
            right = self.operand()
            self.operators += 1
            return Compare(t.text, left, right), _COND
        if t.is_keyword("BETWEEN"):
            self.advance()
            low = self.operand()
            self.expect_keyword("AND")
            high = self.operand()
            self.operators += 1
            return Between(left, low, high), _COND
        if t.is_keyword("IN"):
            self.advance()
            self.expect_punct("(")
            choices = [self.operand()]
            while self.tok.is_punct(","):
                self.advance()
                choices.append(self.operand())
            self.expect_punct(")")
            self.operators += 1
            return In(left, tuple(choices)), _COND
        if bare_ok and t.is_punct(")"):
            return left, cat          # "(a)" or "(f(x))": decided by what follows
        if cat == _EITHER:
            return left, _COND        # a function call used as a condition
        self.syntax_error()

    def primary(self):
        t = self.tok
        if t.is_punct("("):
            return self.group(lambda: self.or_expr(True))
        if self.at_call():
            return self.call(self.operand), _EITHER
        if t.kind == VALUE_PH:
            return self.value(), _OPERAND
        return self.path(), _OPERAND

    def operand(self):
        t = self.tok
        if t.is_punct("("):
            return self.group(self.operand)
        if self.at_call():
            return self.call(self.operand)
        if t.kind == VALUE_PH:
            return self.value()
        return self.path()

    # -- update --------------------------------------------------------------

    def update(self) -> Update:
        actions: list[Any] = []
        if self.at_end():
            self.syntax_error()
        while not self.at_end():
            t = self.tok
            word = t.upper if t.kind == NAME else None
            if word == "SET":
                self.advance()
                self.clauses.append(word)
                actions.append(self.set_action())
                while self.tok.is_punct(","):
                    self.advance()
                    actions.append(self.set_action())
            elif word == "REMOVE":
                self.advance()
                self.clauses.append(word)
                actions.append(RemoveAction(self.path()))
                while self.tok.is_punct(","):
                    self.advance()
                    actions.append(RemoveAction(self.path()))
            elif word in ("ADD", "DELETE"):
                self.advance()
                self.clauses.append(word)
                cls = AddAction if word == "ADD" else DeleteAction
                actions.append(self.path_value(cls))
                while self.tok.is_punct(","):
                    self.advance()
                    actions.append(self.path_value(cls))
            else:
                self.syntax_error()
        return Update(tuple(actions))

    def set_action(self) -> SetAction:
        path = self.path()
        self.expect_punct("=")
        return SetAction(path, self.set_value())

    def path_value(self, cls):
        path = self.path()
        if self.tok.kind != VALUE_PH:
            self.syntax_error()
        return cls(path, self.value())

    def set_value(self):
        left = self.set_operand()
        t = self.tok
        if t.is_punct("+") or t.is_punct("-"):
            self.advance()
            right = self.set_operand()
            self.operators += 1
            return Arith(t.text, left, right)
        return left

    def set_operand(self):
        t = self.tok
        if t.is_punct("("):
            return self.group(self.set_value)
        if self.at_call():
            return self.call(self.set_argument)
        if t.kind == VALUE_PH:
            return self.value()
        return self.path()

    def set_argument(self):
        # A function argument is a path, a value, a call or a parenthesised
        # argument - never "x + y": DynamoDB answers "if_not_exists(c,
        # :a+:b)" with a syntax error at the "+" [ScyllaDB alternator
        # test_update_expression_function_plus_nesting, run against DynamoDB].
        # "(x + y)" inside an argument is refused the same way [inferred, no
        # capture: dynalite's grammar has it so, and DynamoDB Local's grammar
        # has separate rules for a parenthesised operand and parenthesised
        # arithmetic (eznix86/dynamodb-local-decompiled, DynamoDbGrammar-
        # Listener: ParenOperand, ArithmeticParens)].
        t = self.tok
        if t.is_punct("("):
            return self.group(self.set_argument)
        if self.at_call():
            return self.call(self.set_argument)
        if t.kind == VALUE_PH:
            return self.value()
        return self.path()

    # -- projection ----------------------------------------------------------

    def projection(self) -> Projection:
        paths = [self.path()]
        while self.tok.is_punct(","):
            self.advance()
            paths.append(self.path())
        if not self.at_end():
            self.syntax_error()
        return Projection(tuple(paths))


# --------------------------------------------------------------------------
# Stages 3 and 4: limits, functions, reserved words, clauses
# --------------------------------------------------------------------------

class _Builder:
    """Post-order walk standing in for DynamoDB's bottom-up tree building
    (except an update's function calls, see set_value)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.condition = kind in CONDITION_KINDS

    def fail(self, message: str):
        raise invalid(self.kind, message)

    def as_condition(self, node: Any) -> None:
        if isinstance(node, Call) and node.name in OPERAND_FUNCTIONS:
            self.fail("The function is not allowed to be used this way in an expression; "
                      f"function: {node.name}")

    def as_operand(self, node: Any) -> None:
        if isinstance(node, Call) and node.name in CONDITION_FUNCTIONS:
            self.fail("The function is not allowed to be used this way in an expression; "
                      f"function: {node.name}")

    def call(self, node: Call) -> None:
        """A function call's own checks (in a condition, once its operands
        are walked; in an update, before them)."""
        name = node.name
        if name not in FUNCTIONS:
            self.fail(f"Invalid function name; function: {name}")
        if self.condition:
            if name in UPDATE_FUNCTIONS:
                self.fail(f"The function is not allowed in a condition expression; function: {name}")
            for a in node.args:
                self.as_operand(a)
        elif name not in UPDATE_FUNCTIONS:
            self.fail(f"The function is not allowed in an update expression; function: {name}")

    def set_value(self, node: Any, nested: bool) -> None:
        """An update's SET value; `nested`: inside a function call or an
        operand of + / -.

        There list_append is "used this way": DynamoDB refuses
        "list_append(list_append(:a, :b), :c)" with "The function is not
        allowed to be used this way in an expression; function: list_append"
        and accepts "list_append(if_not_exists(a, :e), :b)" and
        "if_not_exists(b, :v)+:w" (ScyllaDB alternator,
        test_update_expression.py, test_update_expression_function_nesting
        and _function_plus_nesting, run against DynamoDB). DynamoDB Local
        (decompiled, eznix86/dynamodb-local-decompiled, parser/ASTListener and
        datamodel/Operator) states the rule: in an update only if_not_exists
        may be nested, and a function call or a + / - opens a nesting level;
        so "if_not_exists(a, list_append(a, :b))" and "list_append(a, :b) +
        :c" are refused the same way (no live capture of those two).

        DynamoDB Local makes a call's checks (function name, allowed in an
        update, nesting) on reaching the call, before its operands; so does
        this walk for an update's calls, so that "f(size(a))" reports f and
        "list_append(list_append(:a, size(b)), :c)" the inner list_append."""
        if isinstance(node, Call):
            self.call(node)
            if nested and node.name == "list_append":
                self.fail("The function is not allowed to be used this way in an expression; "
                          f"function: {node.name}")
            for a in node.args:
                self.set_value(a, True)
        elif isinstance(node, Arith):
            self.set_value(node.left, True)
            self.set_value(node.right, True)
        else:
            self.walk(node)

    def walk(self, node: Any) -> None:
        if isinstance(node, Path):
            if len(node.elements) > MAX_PATH_DEPTH:
                self.fail("The document path has too many nesting levels; "
                          f"nesting levels: {len(node.elements)}")
        elif isinstance(node, Value):
            pass
        elif isinstance(node, Call):
            for a in node.args:
                self.walk(a)
            self.call(node)
        elif isinstance(node, (Compare, Between, In)):
            operands = ((node.left, node.right) if isinstance(node, Compare)
                        else (node.operand, node.low, node.high) if isinstance(node, Between)
                        else (node.operand, *node.choices))
            for o in operands:
                self.walk(o)
            if isinstance(node, In) and len(node.choices) > MAX_IN_OPERANDS:
                self.fail("The IN operator is provided with too many operands; "
                          f"number of operands: {len(node.choices)}")
            for o in operands:
                self.as_operand(o)
        elif isinstance(node, (And, Or)):
            self.walk(node.left)
            self.walk(node.right)
            self.as_condition(node.left)
            self.as_condition(node.right)
        elif isinstance(node, Not):
            self.walk(node.operand)
            self.as_condition(node.operand)
        elif isinstance(node, Arith):
            self.walk(node.left)
            self.walk(node.right)
        elif isinstance(node, SetAction):
            self.walk(node.path)
            self.set_value(node.value, False)
        elif isinstance(node, (AddAction, DeleteAction)):
            self.walk(node.path)
            self.walk(node.value)
        elif isinstance(node, RemoveAction):
            self.walk(node.path)
        elif isinstance(node, (Update, Projection)):
            for child in (node.actions if isinstance(node, Update) else node.paths):
                self.walk(child)
        else:  # pragma: no cover - the parser builds nothing else
            raise TypeError(node)


def _check_reserved(tree: Any, kind: str) -> None:
    for n in iter_nodes(tree):
        if isinstance(n, Path):
            for e in n.elements:
                if isinstance(e, str) and e.upper() in RESERVED_WORDS:
                    raise invalid(kind, f"Attribute name is a reserved keyword; reserved keyword: {e}")


# Parsed trees by (text, kind): trees are immutable, and applications send the
# same few expression texts again and again. Bounded: cleared when full.
_PARSED: dict = {}
_PARSED_MAX = 4096
# Expressions up to this many characters cannot nest deep enough to need a
# raised recursion limit (about 5 frames per level, a level per 2 characters).
SHALLOW_CHARS = 128


def parse(text: str, kind: str):
    """Stages 1-4: the unresolved tree of expression `text` of `kind`."""
    if type(text) is str:
        tree = _PARSED.get((text, kind))
        if tree is not None:
            return tree
    tree = _parse(text, kind)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[(text, kind)] = tree
    return tree


def _parse(text: str, kind: str):
    if kind not in KINDS:
        raise ValueError(f"unknown expression kind {kind!r}")
    if not isinstance(text, str):
        raise TypeError("expression must be a str")
    if not text.strip():
        raise invalid(kind, "The expression can not be empty;")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_EXPRESSION_BYTES:
        raise invalid(kind, "Expression size has exceeded the maximum allowed size; "
                            f"expression size: {size}")
    with (deep_recursion() if len(text) > SHALLOW_CHARS else nullcontext()):
        p = _Parser(text, kind)
        if kind == "Update":
            tree = p.update()
        elif kind == "Projection":
            tree = p.projection()
        else:
            tree = p.condition()
        if p.operators > MAX_OPERATORS:
            raise invalid(kind, "The expression contains too many operators; "
                                f"operator count: {p.operators}")
        builder = _Builder(kind)
        builder.walk(tree)
        if kind in CONDITION_KINDS:
            builder.as_condition(tree)
        _check_reserved(tree, kind)
        seen: set[str] = set()
        for word in p.clauses:
            if word in seen:
                raise invalid(kind, f'The "{word}" section can only be used once in an update expression;')
            seen.add(word)
    return tree


# --------------------------------------------------------------------------
# Stage 6: semantics of the resolved tree
# --------------------------------------------------------------------------

def _first_pair(paths: list[Path], earlier) -> tuple[Path, Path] | None:
    """The first pair (i < j), ordered by j then i, for which `earlier`
    finds i: `earlier(elements, index)` returns the smallest earlier index
    that clashes with path `index`, or None, and records path `index`."""
    for j, p in enumerate(paths):
        i = earlier(p.elements, j)
        if i is not None:
            return paths[i], p
    return None


def _overlap_finder():
    complete: dict[tuple, int] = {}   # path -> first index
    prefixed: dict[tuple, int] = {}   # proper or full prefix -> first index having it

    def earlier(elements: tuple, j: int) -> int | None:
        found = [complete[elements[:k]] for k in range(1, len(elements) + 1)
                 if elements[:k] in complete]
        if elements in prefixed:
            found.append(prefixed[elements])
        for k in range(1, len(elements) + 1):
            prefixed.setdefault(elements[:k], j)
        complete.setdefault(elements, j)
        return min(found) if found else None
    return earlier


def _conflict_finder():
    # (prefix, element at len(prefix) is an index) -> first index
    step: dict[tuple, int] = {}

    def earlier(elements: tuple, j: int) -> int | None:
        found = [step[(elements[:k], not isinstance(elements[k], int))]
                 for k in range(len(elements))
                 if (elements[:k], not isinstance(elements[k], int)) in step]
        for k in range(len(elements)):
            step.setdefault((elements[:k], isinstance(elements[k], int)), j)
        return min(found) if found else None
    return earlier


def check_paths(paths: list[Path], kind: str) -> None:
    """Overlapping paths (one a prefix of the other, or equal) first; then
    conflicting ones (at the first place they differ, one indexes a list and
    the other names a map key). The pair reported is the first by (later
    path, earlier path) in text order, earlier path first."""
    pair = _first_pair(paths, _overlap_finder())
    if pair:
        raise invalid(kind, "Two document paths overlap with each other; must remove or "
                            f"rewrite one of these paths; path one: {pair[0].describe()}, "
                            f"path two: {pair[1].describe()}")
    pair = _first_pair(paths, _conflict_finder())
    if pair:
        raise invalid(kind, "Two document paths conflict with each other; must remove or "
                            f"rewrite one of these paths; path one: {pair[0].describe()}, "
                            f"path two: {pair[1].describe()}")


class _Checker:
    def __init__(self, kind: str):
        self.kind = kind

    def fail(self, message: str):
        raise invalid(self.kind, message)

    def operand_type_error(self, function: str, type_name: str):
        self.fail("Incorrect operand type for operator or function; "
                  f"operator or function: {function}, operand type: {type_name}")

    @staticmethod
    def type_of(node: Any) -> str | None:
        """The AttributeValue type an operand is known to have without an
        item, or None."""
        if isinstance(node, Value):
            return value_type(node.value)
        if isinstance(node, Call):
            if node.name == "size":
                return "N"
            if node.name == "list_append":
                return "L"
        if isinstance(node, Arith):
            return "N"
        return None

    def distinct(self, operator: str, first: Any, rest) -> None:
        if not isinstance(first, Path):
            return
        for other in rest:
            if isinstance(other, Path) and other.elements == first.elements:
                self.fail("The first operand must be distinct from the remaining operands for "
                          f"this operator or function; operator: {operator}, "
                          f"first operand: {first.describe()}")

    def walk(self, node: Any) -> None:
        if isinstance(node, (Path, Value)):
            return
        if isinstance(node, Call):
            for a in node.args:
                self.walk(a)
            self.call(node)
        elif isinstance(node, Compare):
            self.walk(node.left)
            self.walk(node.right)
            if node.op in _ORDERING:
                self.ordered_operands(node.op, (node.left, node.right))
            self.distinct(node.op, node.left, (node.right,))
        elif isinstance(node, Between):
            for o in (node.operand, node.low, node.high):
                self.walk(o)
            self.ordered_operands("BETWEEN", (node.operand, node.low, node.high))
            self.distinct("BETWEEN", node.operand, (node.low, node.high))
            self.between_bounds(node.low, node.high)
        elif isinstance(node, In):
            for o in (node.operand, *node.choices):
                self.walk(o)
            self.distinct("IN", node.operand, node.choices)
        elif isinstance(node, (And, Or)):
            self.walk(node.left)
            self.walk(node.right)
        elif isinstance(node, Not):
            self.walk(node.operand)
        elif isinstance(node, Arith):
            self.walk(node.left)
            self.walk(node.right)
            for o in (node.left, node.right):
                t = self.type_of(o)
                if t is not None and t != "N":
                    self.operand_type_error(node.op, t)
        elif isinstance(node, SetAction):
            self.walk(node.value)
        elif isinstance(node, Update):
            self.update(node)
        elif isinstance(node, Projection):
            check_paths(list(node.paths), self.kind)
        # RemoveAction, AddAction, DeleteAction: handled by update()

    def update(self, node: Update) -> None:
        check_paths([a.path for a in node.actions], self.kind)
        for a in node.actions:
            if isinstance(a, (AddAction, DeleteAction)):
                allowed = _ADD_TYPES if isinstance(a, AddAction) else _DELETE_TYPES
                t = value_type(a.value.value)
                if t not in allowed:
                    op = "ADD" if isinstance(a, AddAction) else "DELETE"
                    self.fail("Incorrect operand type for operator or function; "
                              f"operator: {op}, operand type: {long_type_name(t)}")
        for a in node.actions:
            self.walk(a)

    def call(self, node: Call) -> None:
        name, args = node.name, node.args
        want = FUNCTIONS[name]
        if len(args) != want:
            self.fail("Incorrect number of operands for operator or function; "
                      f"operator or function: {name}, number of operands: {len(args)}")
        if name in ("contains", "begins_with", "attribute_type"):
            self.distinct(name, args[0], args[1:])
        if name in _PATH_FIRST:
            if not isinstance(args[0], Path):
                self.fail(f"Operator or function requires a document path; operator or function: {name}")
        if name == "attribute_type":
            kind_arg = args[1]
            if isinstance(kind_arg, Value):
                t = value_type(kind_arg.value)
                if t != "S":
                    self.operand_type_error(name, str(t))
                if kind_arg.value["S"] not in TYPE_NAMES:
                    self.fail(f"Invalid attribute type name found; type: {kind_arg.value['S']}, "
                              f"valid types: {_ALL_TYPES}")
            else:
                self.operand_type_error(name, self.type_of(kind_arg) or _ALL_TYPES)
        elif name == "begins_with":
            for a in args:
                t = self.type_of(a)
                if t is not None and t not in ("S", "B"):
                    self.operand_type_error(name, t)
        elif name == "size":
            t = self.type_of(args[0])
            if t is not None and t not in _SIZED_TYPES:
                self.operand_type_error(name, t)
        elif name == "list_append":
            for a in args:
                t = self.type_of(a)
                if t is not None and t != "L":
                    self.operand_type_error(name, t)

    def ordered_operands(self, operator: str, operands) -> None:
        """<, <=, >, >= and BETWEEN order S, N and B only. An operand of any
        other type known without an item (a :value, in practice) is a
        ValidationException, first such operand in text order; a path
        holding such a value just makes the comparison false, and = / <> /
        IN take every type (ScyllaDB alternator, test_condition_expression.py,
        test_update_condition_lt/_le/_gt/_ge/_between, _eq_success, _in; run
        against DynamoDB).

        Message "Incorrect operand type for operator or function; operator or
        function: <=, operand type: BOOL": FilterExpression, a DynamoDB error
        quoted in Starburst's Trino DynamoDB connector
        (com.starburstdata.trino.plugin.dynamodb); KeyConditionExpression with
        < and BETWEEN [P]. [inferred] Types other than BOOL are spelled as
        their codes ("L", "M", "SS", "NULL"), as the function operand-type
        messages (size, begins_with, list_append) spell them [D], and DynamoDB
        Local (decompiled, eznix86/dynamodb-local-decompiled) builds them all
        with one helper from the type's code. DynamoDB Local also gives the
        order: an operator's operand types are checked before its distinct
        operands and before BETWEEN's bounds (datamodel/OperatorValidator).
        [inferred] The check applies to every condition kind and so comes
        before the key-condition shape checks, like the function operand
        types [D]."""
        for o in operands:
            t = self.type_of(o)
            if t is not None and t not in _ORDERED_TYPES:
                self.operand_type_error(operator, t)

    def between_bounds(self, low: Any, high: Any) -> None:
        if not (isinstance(low, Value) and isinstance(high, Value)):
            return
        lt, ht = value_type(low.value), value_type(high.value)
        if lt is None or ht is None:
            return
        shown = (f"lower bound operand: AttributeValue: {format_value(low.value)}, "
                 f"upper bound operand: AttributeValue: {format_value(high.value)}")
        if lt != ht:
            self.fail("The BETWEEN operator requires same data type for lower and upper "
                      f"bounds; {shown}")
        order = compare_values(low.value, high.value)
        if order is not None and order > 0:
            self.fail("The BETWEEN operator requires upper bound to be greater than or equal "
                      f"to lower bound; {shown}")


def check(tree: Any, kind: str, *, shallow: bool = False) -> None:
    """Stage 6 checks of a resolved tree (see the module docstring);
    `shallow` as for names.resolve."""
    if shallow:
        _Checker(kind).walk(tree)
        return
    with deep_recursion():
        _Checker(kind).walk(tree)
