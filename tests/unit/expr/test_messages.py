"""One expression in, one tree (in `dump` form) or one DynamoDB message out.

Each row: (kind, expression, ExpressionAttributeNames, ExpressionAttributeValues,
expected). `expected` is either the tree's dump or E(message). Comments name
the source of a message: [D] DynamoDB's answer recorded in dynalite's tests,
[M] moto aws_verified, [P] a published live capture, [I] inferred.
"""
import pytest

from dyncore.errors import ValidationException
from dyncore.expr import dump
from dyncore.expr.names import parse_one


class E(str):
    """An expected error message."""


S = lambda s: {"S": s}          # noqa: E731
N = lambda n: {"N": n}          # noqa: E731

V = {":v": S("x"), ":n": N("1"), ":lo": N("1"), ":hi": N("9"), ":a": S("a"), ":b": S("b"),
     ":l": {"L": []}, ":ss": {"SS": ["a"]}, ":t": S("N"), ":s": S("pre")}

INV_F = "Invalid FilterExpression: "
INV_C = "Invalid ConditionExpression: "
INV_U = "Invalid UpdateExpression: "
INV_P = "Invalid ProjectionExpression: "
INV_K = "Invalid KeyConditionExpression: "

ALL_TYPES = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"

LONG = "a" * 4092 + " = :v"   # 4097 bytes


def syntax(prefix, token, near):
    return E(f'{prefix}Syntax error; token: "{token}", near: "{near}"')


PARSES = [
    # comparisons, BETWEEN, IN, functions
    ("Filter", "a = :v", None, V, "(= a :v)"),
    ("Filter", "a<>:v", None, V, "(<> a :v)"),
    ("Filter", "a < :n", None, V, "(< a :n)"),
    ("Filter", "a <= :n", None, V, "(<= a :n)"),
    ("Filter", "a > :n", None, V, "(> a :n)"),
    ("Filter", "a >= :n", None, V, "(>= a :n)"),
    ("Filter", ":a > :a", None, V, "(> :a :a)"),                      # [D] values need not be distinct
    ("Filter", "a BETWEEN :lo AND :hi", None, V, "(BETWEEN a :lo :hi)"),
    ("Filter", "a between :lo and :hi", None, V, "(BETWEEN a :lo :hi)"),
    ("Filter", "a IN (:a, :b, c.d)", None, V, "(IN a :a :b c.d)"),
    ("Filter", "attribute_exists(a.b[1])", None, V, "(attribute_exists a.b[1])"),
    ("Filter", "attribute_not_exists(#n)", {"#n": "x.y"}, V, "(attribute_not_exists 'x.y')"),
    ("Filter", "attribute_type(a, :t)", None, V, "(attribute_type a :t)"),
    ("Filter", "begins_with(a, :s) OR contains(b, :v)", None, V,
     "(OR (begins_with a :s) (contains b :v))"),
    ("Filter", "begins_with(:s, a)", None, V, "(begins_with :s a)"),
    ("Filter", "size(a) > :n", None, V, "(> (size a) :n)"),
    ("Filter", "size(:v) > :n", None, V, "(> (size :v) :n)"),
    ("Filter", "a[0][12].#k = :v", {"#k": "[3]"}, V, "(= a[0][12].'[3]' :v)"),
    ("Condition", "#a.#b = :v", {"#a": "status", "#b": "a-b"}, V, "(= status.'a-b' :v)"),
    # parentheses leave no trace; "(a)" may start a comparison
    ("Filter", "(a) = :v", None, V, "(= a :v)"),
    ("Filter", "(a)between(:lo)and(:hi)", None, V, "(BETWEEN a :lo :hi)"),
    ("Filter", "(size(a)) > :n", None, V, "(> (size a) :n)"),
    ("Filter", "(attribute_exists(a))", None, V, "(attribute_exists a)"),
    ("Filter", "( ( ( size ( #A )) < #B.Maximum ) AND ( #C > :v ) )",
     {"#A": "x", "#B": "y", "#C": "z"}, V, "(AND (< (size x) y.Maximum) (> z :v))"),
    ("Filter", "((a=:v) OR (b=:v))", None, V, "(OR (= a :v) (= b :v))"),
    ("Filter", "a IN ((b), :v)", None, V, "(IN a b :v)"),
    # precedence: comparisons > NOT > AND > OR; AND and OR associate left
    ("Filter", "NOT a = :v AND b = :v OR c = :v", None, V,
     "(OR (AND (NOT (= a :v)) (= b :v)) (= c :v))"),
    ("Filter", "a = :v OR b = :v AND c = :v", None, V, "(OR (= a :v) (AND (= b :v) (= c :v)))"),
    ("Filter", "a = :v AND b = :v AND c = :v", None, V, "(AND (AND (= a :v) (= b :v)) (= c :v))"),
    ("Filter", "a = :v OR b = :v OR c = :v", None, V, "(OR (OR (= a :v) (= b :v)) (= c :v))"),
    ("Filter", "NOT NOT a = :v", None, V, "(NOT (NOT (= a :v)))"),
    ("Filter", "NOT (a = :v OR b = :v)", None, V, "(NOT (OR (= a :v) (= b :v)))"),
    ("Filter", "(a = :v OR b = :v) AND c = :v", None, V, "(AND (OR (= a :v) (= b :v)) (= c :v))"),
    ("Filter", "a BETWEEN :lo AND :hi AND b = :v", None, V,
     "(AND (BETWEEN a :lo :hi) (= b :v))"),
    ("Filter", "not a in (:a) and attribute_exists(b) Or c = :v", None, V,
     "(OR (AND (NOT (IN a :a)) (attribute_exists b)) (= c :v))"),
    ("Filter", "NOT attribute_exists(a) AND NOT b = :v", None, V,
     "(AND (NOT (attribute_exists a)) (NOT (= b :v)))"),
    # projections
    ("Projection", "a, b.c, d[0]", None, None, "a, b.c, d[0]"),
    ("Projection", "#a.#b,c", {"#a": "x", "#b": "[3]"}, None, "x.'[3]', c"),
    ("Projection", "a.b, a.c, d[0].b, d[1]", None, None, None),   # siblings are fine
    # updates
    ("Update", "SET a = :v, b = c + :n REMOVE d[1] ADD e :n DELETE f :ss", None, V,
     "SET a=:v, b=(+ c :n); REMOVE d[1]; ADD e :n; DELETE f :ss"),
    ("Update", "remove a, b set c = :v", None, V, "REMOVE a, b; SET c=:v"),
    ("Update", "set a = if_not_exists(a, :n) + :n", None, V,
     "SET a=(+ (if_not_exists a :n) :n)"),
    ("Update", "SET l = list_append(l, :l), m = list_append(:l, if_not_exists(m, :l))", None, V,
     "SET l=(list_append l :l), m=(list_append :l (if_not_exists m :l))"),
    ("Update", "SET a = b - :n", None, V, "SET a=(- b :n)"),
    ("Update", "set a = (b + c)", None, V, "SET a=(+ b c)"),                         # [I]
    ("Update", "set a = ((b.c.d)+(e))", None, V, "SET a=(+ b.c.d e)"),              # [I]
    ("Update", "SET #a = :v", {"#a": "a"}, V, "SET a=:v"),
]


ERRORS = [
    # -- empty, size -------------------------------------------------------
    ("Filter", "", None, None, E(INV_F + "The expression can not be empty;")),          # [D]
    ("KeyCondition", "", None, None, E(INV_K + "The expression can not be empty;")),    # [D]
    ("Projection", "", None, None, E(INV_P + "The expression can not be empty;")),      # [D]
    ("Update", "", None, None, E(INV_U + "The expression can not be empty;")),          # [D]
    ("Condition", "", None, None, E(INV_C + "The expression can not be empty;")),       # [D]
    ("Condition", "  ", None, None, E(INV_C + "The expression can not be empty;")),     # [I]
    ("Filter", LONG, None, V,                                                            # [P]
     E(INV_F + f"Expression size has exceeded the maximum allowed size; expression size: {len(LONG)}")),
    ("Filter", "a" * 4091 + " = :v", None, V, None),                                   # exactly 4096
    ("Filter", "é" * 2049, None, None,                                                   # bytes, not chars
     E(INV_F + "Expression size has exceeded the maximum allowed size; expression size: 4098")),
    ("Filter", "é" * 2048, None, None, syntax(INV_F, "é", "éé")),
    # -- syntax ------------------------------------------------------------
    ("Condition", "a = = b", None, None, syntax(INV_C, "=", "= = b")),                  # brief
    ("Projection", "!!!", None, None, syntax(INV_P, "!", "!!")),                        # [P]
    ("Projection", "a b", None, None, syntax(INV_P, "b", "a b")),                       # [P]
    ("Projection", "a,", None, None, syntax(INV_P, "<EOF>", ",")),                      # [P]
    ("Filter", "contains (themes, :theme", None, None, syntax(INV_F, "<EOF>", ":theme")),  # [P]
    ("Filter", "l[-1] = :v", None, V, syntax(INV_F, "-", "[-1")),                       # [P]
    ("Condition", "attribute_type()", None, None, syntax(INV_C, ")", "()")),            # [P]
    ("Update", "SET", None, None, syntax(INV_U, "<EOF>", "SET")),                       # [P]
    ("Update", "SET a = ", None, None, syntax(INV_U, "<EOF>", "= ")),                   # [P]
    ("Filter", "things are not gonna be ok", None, None, syntax(INV_F, "are", "things are not")),
    ("Filter", "a > 4", None, None, syntax(INV_F, "4", "> 4")),
    ("Filter", "attribute_exists(Pictures-RearView)", None, None,
     syntax(INV_F, "-", "Pictures-RearView")),
    ("Filter", 'attribute_exists("Pictures.RearView")', None, None,
     syntax(INV_F, '"', '("Pictures')),
    ("Filter", "attribute_exists(Pictures..RearView)", None, None,
     syntax(INV_F, ".", "..RearView")),
    ("Filter", "attribute_exists(Pi#ctures.RearView)", None, None,
     syntax(INV_F, "#ctures", "Pi#ctures.")),
    ("Filter", "attribute_exists(asdf[a])", None, None, syntax(INV_F, "a", "[a]")),
    ("Filter", "a in b, c", None, None, syntax(INV_F, "b", "in b,")),
    ("Filter", "a > between", None, None, syntax(INV_F, "between", "> between")),
    ("Filter", "a in b", None, None, syntax(INV_F, "b", "in b")),
    ("Filter", "a in (b,c,)", None, None, syntax(INV_F, ")", ",)")),
    ("Filter", "(a)between(b.(c.d))and(c)", None, None, syntax(INV_F, "(", ".(c")),
    ("Filter", "(a)between(b.c.d)and((c)", None, None, syntax(INV_F, "<EOF>", ")")),
    ("Filter", "#$.b > a", None, None, syntax(INV_F, "#", "#$")),
    ("Filter", "a > :things.stuff", None, None, syntax(INV_F, ".", ":things.stuff")),
    ("Filter", "b[:a] > a", None, None, syntax(INV_F, ":a", "[:a]")),
    ("Filter", "b[#_] > a", None, None, syntax(INV_F, "#_", "[#_]")),
    ("Filter", "ü > a", None, None, syntax(INV_F, "ü", "ü >")),
    ("Filter", "(a)between(b.c[4.5].#d)and(:a)", None, None, syntax(INV_F, ".", "4.5")),
    ("Filter", "size(a).b > a", None, None, syntax(INV_F, ".", ").b")),
    ("Filter", "(size(a)).b > a", None, None, syntax(INV_F, ".", ").b")),
    ("Filter", "size(a)[0] > a", None, None, syntax(INV_F, "[", ")[0")),
    ("Filter", "(size(a))[0] > a", None, None, syntax(INV_F, "[", ")[0")),
    ("Filter", "a", None, None, syntax(INV_F, "<EOF>", "a")),
    ("Filter", "(#a)", None, None, syntax(INV_F, "<EOF>", ")")),                        # [P]
    ("Filter", "NOT (a)", None, None, syntax(INV_F, "<EOF>", ")")),
    ("Filter", "(a AND b = c)", None, None, syntax(INV_F, "AND", "a AND b")),
    ("Filter", "(a = b) = c", None, None, syntax(INV_F, "=", ") = c")),
    ("Filter", "a = b + c", None, None, syntax(INV_F, "+", "b + c")),
    ("Filter", "a = :v AND", None, V, syntax(INV_F, "<EOF>", "AND")),
    ("Filter", "set = :v", None, V, syntax(INV_F, "set", "set =")),                     # [I]
    ("KeyCondition", "(size(a))[0] > a", None, None, syntax(INV_K, "[", ")[0")),
    ("Update", "whatever", None, None, syntax(INV_U, "whatever", "whatever")),
    ("Update", "set a", None, None, syntax(INV_U, "<EOF>", "a")),
    ("Update", "add a", None, None, syntax(INV_U, "<EOF>", "a")),
    ("Update", "delete a", None, None, syntax(INV_U, "<EOF>", "a")),
    ("Update", "set a=set", None, None, syntax(INV_U, "set", "=set")),
    ("Update", "remove a = b", None, None, syntax(INV_U, "=", "a = b")),
    ("Update", "add a = b", None, None, syntax(INV_U, "=", "a = b")),
    ("Update", "delete a = b", None, None, syntax(INV_U, "=", "a = b")),
    ("Update", "delete a b", None, None, syntax(INV_U, "b", "a b")),
    ("Update", "delete a if_not_exist(b)", None, None,
     syntax(INV_U, "if_not_exist", "a if_not_exist(")),
    ("Update", "add abort b", None, None, syntax(INV_U, "b", "abort b")),
    ("Update", "add a if_not_exist(b)", None, None, syntax(INV_U, "if_not_exist", "a if_not_exist(")),
    ("Update", "remove a b", None, None, syntax(INV_U, "b", "a b")),
    ("Update", "set a b", None, None, syntax(INV_U, "b", "a b")),
    ("Update", "set :a = b", None, None, syntax(INV_U, ":a", "set :a =")),
    ("Update", "add :a b", None, None, syntax(INV_U, ":a", "add :a b")),
    ("Update", "delete :a b", None, None, syntax(INV_U, ":a", "delete :a b")),
    ("Update", "remove :a", None, None, syntax(INV_U, ":a", "remove :a")),
    ("Update", "set a = b / c", None, None, syntax(INV_U, "/", "b / c")),
    ("Update", "set a = b * c", None, None, syntax(INV_U, "*", "b * c")),
    ("Update", 'set a[1] = "eight"', None, None, syntax(INV_U, '"', '= "eight')),
    ("Update", "set a[1] = 1", None, None, syntax(INV_U, "1", "= 1")),
    ("Update", "SET a = if_not_exist(a, 100)", None, None, syntax(INV_U, "100", ", 100)")),
    ("Update", "SET if_not_exist(a, b) = a", None, None, syntax(INV_U, "(", "if_not_exist(a")),
    ("Update", "set (a = (b + c))", None, None, syntax(INV_U, "(", "set (a")),
    ("Update", "set a = (b.c).d + e", None, None, syntax(INV_U, ".", ").d")),
    ("Update", "set a = (b.c)[0] + e", None, None, syntax(INV_U, "[", ")[0")),
    ("Update", "set a = b + c + d", None, None, syntax(INV_U, "+", "c + d")),
    ("Update", "set a = :v,", None, V, syntax(INV_U, "<EOF>", ",")),
    ("Update", "set a = :v remove", None, V, syntax(INV_U, "<EOF>", "remove")),
    ("Projection", "a.", None, None, syntax(INV_P, "<EOF>", ".")),
    ("Projection", "a[]", None, None, syntax(INV_P, "]", "[]")),
    ("Projection", "size(a)", None, None, syntax(INV_P, "(", "size(a")),
    ("Projection", "a AND b", None, None, syntax(INV_P, "AND", "a AND b")),
    # -- redundant parentheses [D] -----------------------------------------
    ("Filter", "a=a and a > ((views))", None, None, E(INV_F + "The expression has redundant parentheses;")),
    ("Filter", "(a)between(((b.c)).d)and(c)", None, None, E(INV_F + "The expression has redundant parentheses;")),
    ("Filter", "a > whatever((:things), ((a)))", None, None, E(INV_F + "The expression has redundant parentheses;")),
    ("Filter", "a=a AND ((a=a AND a=a)) AND a=a", None, None, E(INV_F + "The expression has redundant parentheses;")),
    ("Filter", "a=a OR ((a=a OR a=a)) OR a=a", None, None, E(INV_F + "The expression has redundant parentheses;")),
    ("Filter", "a=a AND ((a=a AND (a=a AND a=a)))", None, None, E(INV_F + "The expression has redundant parentheses;")),
    ("Filter", "a=a OR ((a=a OR (a=a OR a=a)))", None, None, E(INV_F + "The expression has redundant parentheses;")),
    ("Filter", "(a = :v) AND ((b IN (:a, :b)))", None, V, E(INV_F + "The expression has redundant parentheses;")),  # [P]
    ("Update", "set a = ((b))", None, None, E(INV_U + "The expression has redundant parentheses;")),     # [I]
    # -- function names and places -----------------------------------------
    ("Filter", "a=a and whatever((:things)) > a", None, None, E(INV_F + "Invalid function name; function: whatever")),      # [D]
    ("Filter", "attRIbute_exIsts((views), #a)", None, None, E(INV_F + "Invalid function name; function: attRIbute_exIsts")),  # [D]
    ("Update", "set #c = if_not_exist(:c) set c = d", {"#a": "a"}, V,
     E(INV_U + "Invalid function name; function: if_not_exist")),                                                          # [D]
    *[("Filter", expr, None, None,
       E(INV_F + "The function is not allowed to be used this way in an expression; function: " + fn))                     # [D]
      for expr, fn in [
          ("a=a and attribute_exists((views), (#a)) > b", "attribute_exists"),
          ("attribute_not_exists(things) > b", "attribute_not_exists"),
          ("attribute_type(things, :a) > b", "attribute_type"),
          ("begins_with(things, a) > b", "begins_with"),
          ("contains(:things, c) > b", "contains"),
          ("size(contains(a, b)) > a", "contains"),
          ("size(things)", "size"),
          ("a between b and attribute_exists(things)", "attribute_exists"),
          ("a in (b, attribute_exists(things))", "attribute_exists"),
          ("NOT size(a)", "size"),                                     # [I] same rule
      ]],
    ("Condition", "if_not_exists(a, :v) = b", None, V,
     E(INV_C + "The function is not allowed in a condition expression; function: if_not_exists")),   # [I]
    ("Filter", "a = list_append(b, c)", None, None,
     E(INV_F + "The function is not allowed in a condition expression; function: list_append")),     # [I]
    ("Update", "set a = size(b)", None, None,
     E(INV_U + "The function is not allowed in an update expression; function: size")),            # [I]
    ("Update", "set a = list_append(b, attribute_exists(c))", None, None,
     E(INV_U + "The function is not allowed in an update expression; function: attribute_exists")),  # [I]
    # -- reserved words ----------------------------------------------------
    ("Filter", "attribute_exists(views, #a)", None, None,
     E(INV_F + "Attribute name is a reserved keyword; reserved keyword: views")),                    # [D]
    ("Filter", ":a < abOrT", None, None,
     E(INV_F + "Attribute name is a reserved keyword; reserved keyword: abOrT")),                    # [D]
    ("Update", " set #c = :c set abOrt = true ", {"#a": "a"}, V,
     E(INV_U + "Attribute name is a reserved keyword; reserved keyword: abOrt")),                    # [D]
    ("Update", " remove Absolute ", None, None,
     E(INV_U + "Attribute name is a reserved keyword; reserved keyword: Absolute")),                 # [D]
    ("KeyCondition", "data.foo = :v", None, V,
     E(INV_K + "Attribute name is a reserved keyword; reserved keyword: data")),                     # [P]
    ("Projection", "a.Status, b", None, None,
     E(INV_P + "Attribute name is a reserved keyword; reserved keyword: Status")),                   # [I] nested
    ("Filter", "#status = :v", {"#status": "status"}, V, "(= status :v)"),
    # -- update clauses [D] ------------------------------------------------
    *[("Update", expr, {"#a": "a"}, V,
       E(INV_U + f'The "{word}" section can only be used once in an update expression;'))
      for expr, word in [
          ("set a = #c set c = :d", "SET"),
          ("remove #d set a = b remove e", "REMOVE"),
          ("add #d :e set a = b add e :f", "ADD"),
          ("delete #d :e set a = b delete #e :f", "DELETE"),
      ]],
    # -- limits ------------------------------------------------------------
    ("Filter", "a IN (" + ", ".join([":v"] * 101) + ")", None, V,
     E(INV_F + "The IN operator is provided with too many operands; number of operands: 101")),   # [P]
    ("Filter", "a IN (" + ", ".join([":v"] * 100) + ")", None, V, None),
    ("Filter", "a = :v AND " * 150 + "a = :v", None, V,
     E(INV_F + "The expression contains too many operators; operator count: 301")),              # [P]
    ("Filter", "a = :v AND " * 149 + "a <> :v", None, V, None),
    ("Update", "SET " + ",".join(f"a{i}=:n+:n" for i in range(301)), None, V,
     E(INV_U + "The expression contains too many operators; operator count: 301")),              # [I] counting
    ("Projection", ".".join(["a"] * 33), None, None,
     E(INV_P + "The document path has too many nesting levels; nesting levels: 33")),          # [I]
    ("Projection", ".".join(["a"] * 32), None, None, None),
]

# Checks after placeholders are resolved.
SEMANTIC = [
    # -- undefined placeholders [D] ----------------------------------------
    *[("Filter", expr, None, None,
       E(INV_F + "An expression attribute name used in the document path is not defined; attribute name: " + ph))
      for expr, ph in [
          ("attribute_exists(#Pictures.RearView, :a) and a=a", "#Pictures"),
          ("begins_with(Pictures.#RearView)", "#RearView"),
          ("(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"),
          ("#4g > a", "#4g"),
          ("#_ > a", "#_"),
          ("(a)between(b.c[45].#d)and(:a)", "#d"),
      ]],
    *[("Filter", expr, None, None,
       E(INV_F + "An expression attribute value used in expression is not defined; attribute value: " + ph))
      for expr, ph in [
          ("begins_with(:hello, #a, #b)", ":hello"),
          (":a < :b", ":a"),
          (":_ > a", ":_"),
      ]],
    ("Update", "SET #c = if_not_exists(:c)", {"#a": "a", "#b": "b"}, {":a": S("a")},
     E(INV_U + "An expression attribute name used in the document path is not defined; attribute name: #c")),
    ("Update", "SET #a = if_not_exists(:c)", {"#a": "a", "#b": "b"}, {":a": S("a")},
     E(INV_U + "An expression attribute value used in expression is not defined; attribute value: :c")),
    ("Projection", "a, #b", {"#a": "a"}, None,
     E(INV_P + "An expression attribute name used in the document path is not defined; attribute name: #b")),
    # -- operand counts [D] ------------------------------------------------
    *[("Filter", expr, None, None,
       E(INV_F + f"Incorrect number of operands for operator or function; operator or function: {fn}, number of operands: {n}"))
      for expr, fn, n in [
          ("attribute_exists(things, a) and a=a", "attribute_exists", 2),
          ("attribute_not_exists(things, b)", "attribute_not_exists", 2),
          ("attribute_type(things)", "attribute_type", 1),
          ("begins_with(things)", "begins_with", 1),
          ("begins_with(things, size(a), b)", "begins_with", 3),
          ("contains(things)", "contains", 1),
          ("size(things, a) > b", "size", 2),
      ]],
    ("Update", "set a = if_not_exists(c)", None, None,
     E(INV_U + "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1")),
    ("Update", "set a = list_append(c)", None, None,
     E(INV_U + "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1")),
    # -- operand types [D] -------------------------------------------------
    *[("Filter", expr, None, {":a": av},
       E(INV_F + f"Incorrect operand type for operator or function; operator or function: {fn}, operand type: {next(iter(av))}"))
      for expr, fn, av in [
          ("attribute_type(a, size(a)) and a=a and a=:a", "attribute_type", N("1")),
          ("attribute_type(a, :a)", "attribute_type", N("1")),
          ("attribute_type(a, :a)", "attribute_type", {"B": b"a"}),
          ("attribute_type(a, :a)", "attribute_type", {"BOOL": True}),
          ("attribute_type(a, :a)", "attribute_type", {"NULL": True}),
          ("attribute_type(a, :a)", "attribute_type", {"L": []}),
          ("attribute_type(a, :a)", "attribute_type", {"M": {}}),
          ("attribute_type(a, :a)", "attribute_type", {"SS": ["1"]}),
          ("attribute_type(a, :a)", "attribute_type", {"NS": ["1"]}),
          ("attribute_type(a, :a)", "attribute_type", {"BS": [b"a"]}),
          ("begins_with(a, size(a)) and a=:a", "begins_with", N("1")),
          ("begins_with(a, :a)", "begins_with", N("1")),
          ("begins_with(a, :a)", "begins_with", {"BOOL": True}),
          ("begins_with(a, :a)", "begins_with", {"NULL": True}),
          ("begins_with(a, :a)", "begins_with", {"L": []}),
          ("begins_with(a, :a)", "begins_with", {"M": {}}),
          ("begins_with(a, :a)", "begins_with", {"SS": ["1"]}),
          ("begins_with(a, :a)", "begins_with", {"NS": ["1"]}),
          ("begins_with(a, :a)", "begins_with", {"BS": [b"a"]}),
          ("begins_with(:a, a)", "begins_with", N("1")),
          ("begins_with(:a, a)", "begins_with", {"BOOL": True}),
          ("begins_with(:a, a)", "begins_with", {"SS": ["1"]}),
          ("size(size(a)) > :a", "size", N("1")),
          ("attribute_not_exists(size(:a))", "size", N("1")),
          ("size(:a) > a", "size", {"BOOL": True}),
          ("size(:a) > a", "size", {"NULL": True}),
      ]],
    ("Filter", "attribute_type(ab.bc[1].a, SS)", None, None,
     E(INV_F + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: " + ALL_TYPES)),  # [D]
    ("Filter", "attribute_type(a, :a)", None, {":a": S("1")},
     E(INV_F + "Invalid attribute type name found; type: 1, valid types: " + ALL_TYPES)),      # [D]
    ("KeyCondition", "attribute_type(a, b)", None, None,
     E(INV_K + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: " + ALL_TYPES)),  # [D]
    ("KeyCondition", "attribute_type(a, :a)", None, {":a": N("1")},
     E(INV_K + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N")),  # [D]
    # -- document path required [D] ----------------------------------------
    ("Filter", "attribute_exists(:a) and a=a", None, {":a": S("1")},
     E(INV_F + "Operator or function requires a document path; operator or function: attribute_exists")),
    ("Filter", "attribute_not_exists(size(:a))", None, {":a": S("1")},
     E(INV_F + "Operator or function requires a document path; operator or function: attribute_not_exists")),
    ("Update", "set a = if_not_exists(:a, c)", None, {":a": S("a")},
     E(INV_U + "Operator or function requires a document path; operator or function: if_not_exists")),
    ("Update", "set a = if_not_exists(if_not_exists(a, b), c)", None, None,
     E(INV_U + "Operator or function requires a document path; operator or function: if_not_exists")),
    # -- distinct operands [D] ---------------------------------------------
    *[("Filter", expr, {"#a": "a"}, {":views": S("x")},
       E(INV_F + "The first operand must be distinct from the remaining operands for this operator or function; "
         f"operator: {op}, first operand: {first}"))
      for expr, op, first in [
          ("a = a AND #a = b AND :views > a", "=", "[a]"),
          ("#a <> a", "<>", "[a]"),
          ("a > #a", ">", "[a]"),
          ("((a=a) OR (a=a))", "=", "[a]"),
          ("((a=a) AND (a=a))", "=", "[a]"),
          ("contains(ab.bc[1].a, ab.bc[1].#a)", "contains", "[ab, bc, [1], a]"),
          ("attribute_type(ab.bc[1].#a, ab.bc[1].a)", "attribute_type", "[ab, bc, [1], a]"),
          ("begins_with(ab.bc[1].a, ab.bc[1].#a)", "begins_with", "[ab, bc, [1], a]"),
      ]],
    ("Filter", "a BETWEEN a AND b", None, None,                                              # [I] op name
     E(INV_F + "The first operand must be distinct from the remaining operands for this operator or function; "
       "operator: BETWEEN, first operand: [a]")),
    ("Filter", "a IN (b, a)", None, None,                                                    # [I] op name
     E(INV_F + "The first operand must be distinct from the remaining operands for this operator or function; "
       "operator: IN, first operand: [a]")),
    # -- BETWEEN bounds ----------------------------------------------------
    ("Condition", "a between :b and :a", None, {":a": S("a"), ":b": S("b")},                # [D]
     E(INV_C + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
       "lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}")),
    ("Filter", "a between :lo and :hi", None, {":lo": S("5"), ":hi": S("100")},              # [P]
     E(INV_F + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
       "lower bound operand: AttributeValue: {S:5}, upper bound operand: AttributeValue: {S:100}")),
    ("KeyCondition", "a between :b and :a", None, {":a": S("a"), ":b": N("1")},             # [D]
     E(INV_K + "The BETWEEN operator requires same data type for lower and upper bounds; "
       "lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}")),
    ("KeyCondition", "k between :hi and :lo", None, {":hi": N("10"), ":lo": N("9.5")},      # [P] numeric order
     E(INV_K + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
       "lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:9.5}")),
    ("Filter", "a between :lo and :hi", None, {":lo": N("9.5"), ":hi": N("10")}, "(BETWEEN a :lo :hi)"),
    ("Filter", "a between :lo and :lo", None, {":lo": N("1")}, "(BETWEEN a :lo :lo)"),
    # -- update paths [D] --------------------------------------------------
    ("Update", "set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", {"#c": "c", "#d": "[3]"}, None,
     E(INV_U + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [c, [1], a], path two: [c]")),
    ("Update", "set #c[3].#d = a, #c[3] = a", {"#c": "c", "#d": "[3]"}, None,
     E(INV_U + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [c, [3], [3]], path two: [c, [3]]")),
    ("Update", "set #c[3].#d = a, #c.#d[3] = if_not_exists(a)", {"#b": "b", "#c": "c", "#d": "[3]"}, None,
     E(INV_U + "Two document paths conflict with each other; must remove or rewrite one of these paths; "
       "path one: [c, [3], [3]], path two: [c, [3], [3]]")),
    ("Update", "remove a.#c set a[1] = #d", {"#b": "b", "#c": "c", "#d": "[3]"}, None,
     E(INV_U + "Two document paths conflict with each other; must remove or rewrite one of these paths; "
       "path one: [a, c], path two: [a, [1]]")),
    ("Update", "set a = :v remove a", None, V,
     E(INV_U + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a], path two: [a]")),
    ("Update", "set a.b = :v, a.c = :v, a.d[0] = :v, b[1] = :v, b[2] = :v", None, V,
     "SET a.b=:v, a.c=:v, a.d[0]=:v, b[1]=:v, b[2]=:v"),
    # -- projection paths [D] ----------------------------------------------
    ("Projection", "b[1], b.a, #a.b, a", {"#a": "a"}, None,
     E(INV_P + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a, b], path two: [a]")),
    ("Projection", "a, #a[1]", {"#a": "a"}, None,
     E(INV_P + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a], path two: [a, [1]]")),
    ("Projection", "a.b, #a[1], #b", {"#a": "a", "#b": "[3]"}, None,
     E(INV_P + "Two document paths conflict with each other; must remove or rewrite one of these paths; "
       "path one: [a, b], path two: [a, [1]]")),
    ("Projection", "a.b[1], #a[1], #b", {"#a": "a", "#b": "[3]"}, None,
     E(INV_P + "Two document paths conflict with each other; must remove or rewrite one of these paths; "
       "path one: [a, b, [1]], path two: [a, [1]]")),
    ("Projection", "a[3].b, #a.#b.b", {"#a": "a", "#b": "[3]"}, None,
     E(INV_P + "Two document paths conflict with each other; must remove or rewrite one of these paths; "
       "path one: [a, [3], b], path two: [a, [3], b]")),
    ("Projection", "a, a", None, None,                                                       # [P]
     E(INV_P + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a], path two: [a]")),
    ("Projection", "#a, #b", {"#a": "a", "#b": "a"}, None,                                   # [P]
     E(INV_P + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a], path two: [a]")),
    # -- ADD / DELETE operand types [D] ------------------------------------
    *[("Update", expr, None, {":a": av, ":b": S("a")},
       E(INV_U + f"Incorrect operand type for operator or function; operator: {op}, operand type: {t}"))
      for expr, av, op, t in [
          ("set b = list_append(:a, a), c = if_not_exists(a) add a.b :a", S("a"), "ADD", "STRING"),
          ("delete a.b :a", S("a"), "DELETE", "STRING"),
          ("add a.b :a", {"NULL": True}, "ADD", "NULL"),
          ("delete a.b :a", {"NULL": True}, "DELETE", "NULL"),
          ("add a.b :a", {"BOOL": False}, "ADD", "BOOLEAN"),
          ("delete a.b :a", {"BOOL": False}, "DELETE", "BOOLEAN"),
          ("add a.b :a", {"B": b"a"}, "ADD", "BINARY"),
          ("delete a.b :a", {"B": b"a"}, "DELETE", "BINARY"),
          ("add a.b :a", {"M": {"a": {"L": [N("1")]}}}, "ADD", "MAP"),
          ("delete a.b :a", {"M": {"a": {"L": [N("1")]}}}, "DELETE", "MAP"),
          ("add a.b :a", {"L": [N("1")]}, "ADD", "LIST"),
          ("delete a.b :a", {"L": [N("1")]}, "DELETE", "LIST"),
          ("delete a.b :a", N("1"), "DELETE", "NUMBER"),
      ]],
    ("Update", "ADD n :a, s :b DELETE t :b", None, {":a": N("1"), ":b": {"NS": ["1"]}},
     "ADD n :a, s :b; DELETE t :b"),
    # -- list_append, +, - operand types [D] -------------------------------
    *[("Update", expr, None,
       {":a": S("a"), ":b": N("1"), ":c": {"B": b"a"}, ":d": {"BOOL": False}, ":e": {"NULL": True},
        ":f": {"SS": ["a"]}, ":g": {"NS": ["1"]}, ":h": {"BS": [b"a"]}, ":i": {"M": {}}, ":j": {"L": []}},
       E(INV_U + f"Incorrect operand type for operator or function; operator or function: {fn}, operand type: {t}"))
      for expr, fn, t in [
          ("set a = list_append(:a, a)", "list_append", "S"),
          ("set a = list_append(a, :b)", "list_append", "N"),
          ("set a = list_append(:c, a)", "list_append", "B"),
          ("set a = list_append(:d, a)", "list_append", "BOOL"),
          ("set a = list_append(:e, a)", "list_append", "NULL"),
          ("set a = list_append(:f, a)", "list_append", "SS"),
          ("set a = list_append(:g, a)", "list_append", "NS"),
          ("set a = list_append(:h, a)", "list_append", "BS"),
          ("set a = list_append(:i, a)", "list_append", "M"),
          ("set a = a + :a", "+", "S"),
          ("set a = :a + :c", "+", "S"),
          ("set a = :c + a", "+", "B"),
          ("set a = a + :d", "+", "BOOL"),
          ("set a = a + :e", "+", "NULL"),
          ("set a = a + :f", "+", "SS"),
          ("set a = a + :g", "+", "NS"),
          ("set a = a + :h", "+", "BS"),
          ("set a = a + :i", "+", "M"),
          ("set a = a + :j", "+", "L"),
          ("set a = a - :a", "-", "S"),
          ("set a = :a - :c", "-", "S"),
          ("set a = :c - a", "-", "B"),
          ("set a = a - :d", "-", "BOOL"),
          ("set a = a - :e", "-", "NULL"),
          ("set a = a - :f", "-", "SS"),
          ("set a = a - :g", "-", "NS"),
          ("set a = a - :h", "-", "BS"),
          ("set a = a - :i", "-", "M"),
          ("set a = a - :j", "-", "L"),
      ]],
    # -- key condition shape -----------------------------------------------
    ("KeyCondition", "attribute_type(a, :a)", None, {":a": S("S")},
     E("Invalid operator used in KeyConditionExpression: attribute_type")),                   # [D]
    *[("KeyCondition", expr, None, None, E("Invalid operator used in KeyConditionExpression: " + op))  # [D]
      for expr, op in [
          ("a > b and size(b) > c or a > c", "OR"),
          ("a in (b, size(c), d)", "IN"),
          ("attribute_exists(a)", "attribute_exists"),
          ("attribute_not_exists(a)", "attribute_not_exists"),
          ("contains(a.d, b)", "contains"),
          ("not a > b", "NOT"),
          ("a <> b", "<>"),
      ]],
    *[("KeyCondition", expr, None, {":a": S("1"), ":b": S("1")},
       E(INV_K + f"Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its first operand"))  # [D] prefix [M]
      for expr, op in [
          (":a between size(b) and size(a) and b > :b", "BETWEEN"),
          ("begins_with(:a, b) and a > :b", "begins_with"),
      ]],
    *[("KeyCondition", expr, None, None, E(INV_K + "KeyConditionExpressions cannot contain nested operations"))  # [D] prefix [I]
      for expr in ["size(b) > a AND a.b > b AND b > c", "a > size(b.d)", "a between size(b) and size(a)"]],
    *[("KeyCondition", expr, None, None,
       E(INV_K + "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"))  # [D] prefix [M]
      for expr in ["b > a.b", "b between c[1] and d", "a between b and size(a)", "begins_with(a, b)"]],
    *[("KeyCondition", expr, {"#d": "pk"}, {":v": S("x")},
       E(INV_K + "KeyConditionExpressions cannot have conditions on nested attributes"))  # [D][P]
      for expr in ["b.d > a AND c.d > e.f", "a.d > c", "b[0] > a", "#d.foo = :v", "pk = :v AND :v < sk.foo"]],
    *[("KeyCondition", expr, None, {":a": N("1"), ":b": N("1")},
       E(INV_K + "Invalid condition in KeyConditionExpression: No key attribute specified"))  # [D] prefix [M]
      for expr in [":b > :a AND a < :b", ":a > b AND :a < :b"]],
    *[("KeyCondition", expr, None, {":a": N("1")},
       E(INV_K + "KeyConditionExpressions must only contain one condition per key"))  # [D][P]
      for expr in ["b > :a AND b < :a and c = :a and d = :a", "(a > :a and b > :a) and (b > :a and c > :a)"]],
    *[("KeyCondition", expr, None, {":p": S("q"), ":v": {"BOOL": True}, ":b": {"BOOL": False}},
       E(INV_K + f"Incorrect operand type for operator or function; operator or function: {op}, operand type: BOOL"))  # [P]
      for expr, op in [("pk = :p AND sk < :v", "<"), ("pk = :p AND :v >= sk", ">="),
                       ("pk = :p AND sk BETWEEN :b AND :v", "BETWEEN")]],
    ("KeyCondition", "pk = :p AND begins_with(sk, :v)", None, {":p": S("q"), ":v": N("1")},   # [P]
     E(INV_K + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")),
    ("KeyCondition", "pk = :p AND sk = :v", None, {":p": S("q"), ":v": {"BOOL": True}},
     "(AND (= pk :p) (= sk :v))"),                                        # [P] schema check comes later
    ("KeyCondition", ":a = a and b = :a and :a = c", None, {":a": S("a")},
     "(AND (AND (= :a a) (= b :a)) (= :a c))"),                           # count is checked with the schema
]


def run(kind, expr, names, values):
    try:
        return dump(parse_one(expr, kind, names, values))
    except ValidationException as e:
        return E(e.message)


def ids(rows):
    return [f"{k}:{e[:60]}" for k, e, *_ in rows]


@pytest.mark.parametrize("kind,expr,names,values,expected", PARSES + ERRORS + SEMANTIC,
                         ids=ids(PARSES + ERRORS + SEMANTIC))
def test_case(kind, expr, names, values, expected):
    got = run(kind, expr, names, values)
    if expected is None:            # just "parses"
        assert not isinstance(got, E), got
    elif isinstance(expected, E):
        assert isinstance(got, E), f"parsed as {got}"
        assert str(got) == str(expected)
    else:
        assert not isinstance(got, E), got
        assert got == expected


def test_messages_are_validation_exceptions_with_a_type():
    with pytest.raises(ValidationException) as info:
        parse_one("a = = b", "Condition")
    err = info.value
    assert err.type == "com.amazon.coral.validate#ValidationException"
    assert err.response["Error"]["Message"] == err.message
