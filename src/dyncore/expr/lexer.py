"""Tokens of DynamoDB's expression languages.

Rules
-----
One lexer serves all five expression kinds. It never fails: a character it
does not know becomes a one-character ERROR token, which no grammar rule
accepts, so the parser reports it as a syntax error with the usual "token" and
"near" (DynamoDB does the same: `!!!` fails at token "!", near "!!").

    NAME      [A-Za-z][A-Za-z0-9_]*      attribute names, keywords, functions
    NAME_PH   #[A-Za-z0-9_]+             expression attribute name placeholder
    VALUE_PH  :[A-Za-z0-9_]+             expression attribute value placeholder
    INT       [0-9]+                     list index (only inside [...])
    PUNCT     ( ) [ ] , . = <> < <= > >= + -
    ERROR     any other single character (also a lone # or :)
    EOF       end of input, text "<EOF>", at offset len(text)

Whitespace (space, tab, CR, LF, FF, VT) separates tokens and is dropped.
Keywords are NAME tokens; the parser recognises them case-insensitively
(`KEYWORDS`). Function names are NAME tokens followed by "(" and are matched
case-sensitively later (DynamoDB rejects `attRIbute_exIsts`).

Error context ("near")
----------------------
DynamoDB quotes the offending token with its neighbours: the source text from
the start of the previous token to the end of the next one, whitespace kept
(`a = = b` -> token "=", near "= = b"; `a,` -> "<EOF>", near ","; `l[-1]` ->
"-", near "[-1"). When the next token is EOF the context runs to the end of
the input, trailing blanks included (`SET a = ` -> near "= "). `near()`
computes it from token offsets.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Token", "NAME", "NAME_PH", "VALUE_PH", "INT", "PUNCT", "ERROR", "EOF",
    "KEYWORDS", "tokenize", "near",
]

NAME = "NAME"
NAME_PH = "NAME_PH"
VALUE_PH = "VALUE_PH"
INT = "INT"
PUNCT = "PUNCT"
ERROR = "ERROR"
EOF = "EOF"

# Words the grammars give a meaning; never attribute or function names.
KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"})

_WHITESPACE = frozenset(" \t\r\n\f\v")
_TWO_CHAR = frozenset({"<>", "<=", ">="})
_ONE_CHAR = frozenset("()[],.=<>+-")


def _is_alpha(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _is_word(c: str) -> bool:
    return _is_alpha(c) or _is_digit(c) or c == "_"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `kind`, source `text`, offsets `start` (inclusive) and `end`
    (exclusive) into the expression string."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper()

    def is_keyword(self, word: str) -> bool:
        """True if this is the keyword `word` (given in upper case)."""
        return self.kind == NAME and self.text.upper() == word

    def is_punct(self, text: str) -> bool:
        return self.kind == PUNCT and self.text == text


def tokenize(text: str) -> list[Token]:
    """All tokens of `text`, ending with one EOF token."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _WHITESPACE:
            i += 1
            continue
        start = i
        if _is_alpha(c):
            i += 1
            while i < n and _is_word(text[i]):
                i += 1
            out.append(Token(NAME, text[start:i], start, i))
        elif _is_digit(c):
            i += 1
            while i < n and _is_digit(text[i]):
                i += 1
            out.append(Token(INT, text[start:i], start, i))
        elif c == "#" or c == ":":
            i += 1
            while i < n and _is_word(text[i]):
                i += 1
            if i == start + 1:
                out.append(Token(ERROR, c, start, i))
            else:
                out.append(Token(NAME_PH if c == "#" else VALUE_PH, text[start:i], start, i))
        elif text[i:i + 2] in _TWO_CHAR:
            i += 2
            out.append(Token(PUNCT, text[start:i], start, i))
        elif c in _ONE_CHAR:
            i += 1
            out.append(Token(PUNCT, c, start, i))
        else:
            i += 1
            out.append(Token(ERROR, c, start, i))
    out.append(Token(EOF, "<EOF>", n, n))
    return out


def near(text: str, tokens: list[Token], index: int) -> str:
    """DynamoDB's "near" context for a syntax error at `tokens[index]`."""
    tok = tokens[index]
    start = tokens[index - 1].start if index > 0 else tok.start
    if tok.kind == EOF:
        end = len(text)
    else:
        nxt = tokens[index + 1]
        end = len(text) if nxt.kind == EOF else nxt.end
    return text[start:end]
