"""Tokens and the "near" context of syntax errors."""
import pytest

from dyncore.expr.lexer import EOF, ERROR, INT, NAME, NAME_PH, PUNCT, VALUE_PH, near, tokenize


def kinds(text):
    return [(t.kind, t.text) for t in tokenize(text)]


def test_token_kinds():
    assert kinds("a.#b[10] <= :c_1") == [
        (NAME, "a"), (PUNCT, "."), (NAME_PH, "#b"), (PUNCT, "["), (INT, "10"), (PUNCT, "]"),
        (PUNCT, "<="), (VALUE_PH, ":c_1"), (EOF, "<EOF>"),
    ]


def test_two_char_operators():
    assert [t.text for t in tokenize("<><=>=<>=")][:-1] == ["<>", "<=", ">=", "<>", "="]


@pytest.mark.parametrize("text,bad", [
    ("!", "!"), ("#", "#"), (":", ":"), ("_a", "_"), ('"x"', '"'), ("ü", "ü"), ("*", "*"),
])
def test_unknown_characters_are_single_error_tokens(text, bad):
    first = tokenize(text)[0]
    assert (first.kind, first.text) == (ERROR, bad)


def test_offsets_and_eof():
    toks = tokenize("  ab  ")
    assert (toks[0].start, toks[0].end) == (2, 4)
    assert (toks[1].kind, toks[1].start, toks[1].end) == (EOF, 6, 6)


@pytest.mark.parametrize("text,index,expected", [
    ("a = = b", 2, "= = b"),          # previous, token, next
    ("!!!", 0, "!!"),                 # no previous
    ("a b", 1, "a b"),                # next is EOF: runs to the end
    ("a,", 2, ","),                   # EOF: previous token to the end
    ("SET a = ", 3, "= "),            # trailing blank kept
    ("l[-1]", 2, "[-1"),
    ("attribute_type()", 2, "()"),
])
def test_near(text, index, expected):
    assert near(text, tokenize(text), index) == expected
