"""DynamoDB numbers: normalisation, errors, size and the key encoding
(csrc/codec_num.c through dyncore._core; FORMATS.md "Item codec")."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dyncore.model  # noqa: F401  (registers the codec's classes)
from dyncore import _core
from dyncore.errors import ValidationException
from tests.unit.model.strategies import canon, decimals, num_size, number_texts, plain, spellings

SYNTAX = "The parameter cannot be converted to a numeric value: "
EMPTY = "The parameter cannot be converted to a numeric value"
PRECISION = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = ("Number overflow. Attempting to store a number with magnitude larger than "
            "supported range")
UNDERFLOW = ("Number underflow. Attempting to store a number with magnitude smaller than "
             "supported range")

MAX = "9.9999999999999999999999999999999999999E+125"
MAX_TEXT = "9" * 38 + "0" * 88

NORMALIZE = [
    ("0", "0"), ("-0", "0"), ("+0", "0"), ("0.000", "0"), ("00", "0"), (".0", "0"),
    ("0.", "0"), ("-0.0e7", "0"), ("0e125", "0"), ("0e-130", "0"),
    ("+5", "5"), ("5", "5"), ("-5", "-5"), ("00042", "42"), ("1E2", "100"),
    ("1e+2", "100"), ("1.5E+3", "1500"), ("-0015.789e6", "-15789000"), ("1.50", "1.5"),
    ("15e-1", "1.5"), (".5", "0.5"), ("5.", "5"), ("-.5", "-0.5"), ("0.001", "0.001"),
    ("-12.50", "-12.5"), ("100", "100"), ("1010", "1010"), ("0042.1200", "42.12"),
    ("1E125", "1" + "0" * 125), ("1E-130", "0." + "0" * 129 + "1"),
    ("-1E-130", "-0." + "0" * 129 + "1"), (MAX, MAX_TEXT), ("-" + MAX, "-" + MAX_TEXT),
    ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ("1.2345678901234567890123456789012345678", "1.2345678901234567890123456789012345678"),
    ("1" + "0" * 60, "1" + "0" * 60), ("0." + "0" * 100 + "1", "0." + "0" * 100 + "1"),
    ("1." + "0" * 60, "1"), ("0" * 100 + "7", "7"), ("123.456e-2", "1.23456"),
    ("1e0000000000000000000000000000002", "100"), ("9.99e125", "999" + "0" * 123),
    ("1E-129", "0." + "0" * 128 + "1"), ("10E-131", "0." + "0" * 129 + "1"),
    ("0.1e126", "1" + "0" * 125),
]


@pytest.mark.parametrize("text,want", NORMALIZE)
def test_normalize_table(text, want):
    assert _core.number_normalize(text) == want
    assert Decimal(_core.number_normalize(text)) == Decimal(text)


ERRORS = [
    ("", EMPTY),
    ("a", SYNTAX + "a"), ("abc", SYNTAX + "abc"), ("-", SYNTAX + "-"), ("+", SYNTAX + "+"),
    (".", SYNTAX + "."), ("-.", SYNTAX + "-."), ("e5", SYNTAX + "e5"), (".e5", SYNTAX + ".e5"),
    ("1e", SYNTAX + "1e"), ("1e+", SYNTAX + "1e+"), ("1e-", SYNTAX + "1e-"),
    ("1.2.3", SYNTAX + "1.2.3"), ("1+2", SYNTAX + "1+2"), ("--1", SYNTAX + "--1"),
    ("+-1", SYNTAX + "+-1"), (" 1", SYNTAX + " 1"), ("1 ", SYNTAX + "1 "),
    ("1 0", SYNTAX + "1 0"), ("NaN", SYNTAX + "NaN"), ("Infinity", SYNTAX + "Infinity"),
    ("-Infinity", SYNTAX + "-Infinity"), ("inf", SYNTAX + "inf"), ("0x10", SYNTAX + "0x10"),
    ("1e1.5", SYNTAX + "1e1.5"), ("1,5", SYNTAX + "1,5"), ("١٢", SYNTAX + "١٢"),
    ("1e9223372036854775808", SYNTAX + "1e9223372036854775808"),
    ("1e-9223372036854775809", SYNTAX + "1e-9223372036854775809"),
    ("0e99999999999999999999", SYNTAX + "0e99999999999999999999"),
    ("123456789012345678901234567890123456789", PRECISION),
    ("-1.23456789012345678901234567890123456789", PRECISION),
    ("1" + "0" * 37 + "1", PRECISION),
    ("0.1" + "0" * 37 + "1", PRECISION),
    ("1" + "0" * 38 + "1e200", PRECISION),  # precision is checked before range
    ("1e126", OVERFLOW), ("-1e126", OVERFLOW), ("10e125", OVERFLOW), ("1" + "0" * 126, OVERFLOW),
    ("1e99999999999", OVERFLOW), ("-1e99999999999", OVERFLOW), ("1e2147483648", OVERFLOW),
    ("1e2147483647", OVERFLOW), ("1e9223372036854775807", OVERFLOW),
    ("1e-131", UNDERFLOW), ("-1e-131", UNDERFLOW), ("0.9e-130", UNDERFLOW),
    ("0." + "0" * 130 + "1", UNDERFLOW), ("1e-99999999999", UNDERFLOW),
    ("1e-2147483648", UNDERFLOW), ("1e-9223372036854775808", UNDERFLOW),
    # Zero is range-checked by its written exponent (DynamoDB's behaviour).
    ("0e126", OVERFLOW), ("0e-131", UNDERFLOW), ("0.0e-130", UNDERFLOW),
    ("0e99999", OVERFLOW), ("-0e9223372036854775807", OVERFLOW),
]


@pytest.mark.parametrize("text,message", ERRORS)
def test_errors(text, message):
    with pytest.raises(ValidationException) as info:
        _core.number_normalize(text)
    assert info.value.message == message
    for fn in (_core.number_key, _core.number_size):
        with pytest.raises(ValidationException):
            fn(text)


@pytest.mark.parametrize("text,message", ERRORS[:12] + ERRORS[-12:])
def test_errors_in_items_and_sets(text, message):
    ks = _core.KeySchema("pk", "S")
    for form in (_core.FORM_CLIENT, _core.FORM_JSON):
        for av in ({"N": text}, {"NS": ["1", text]}, {"L": [{"M": {"x": {"N": text}}}]}):
            with pytest.raises(ValidationException) as info:
                ks.encode_item({"pk": {"S": "k"}, "n": av}, form)
            assert info.value.message == message


def test_huge_texts_do_not_overflow():
    assert _core.number_normalize("0." + "0" * 10000 + "1e10000") == "0.1"
    assert _core.number_normalize("1" + "0" * 10000 + "e-10000") == "1"
    with pytest.raises(ValidationException, match="overflow"):
        _core.number_normalize("9" * 5 + "0" * 100000)
    with pytest.raises(ValidationException, match="underflow"):
        _core.number_normalize("0." + "0" * 100000 + "1")
    with pytest.raises(ValidationException) as info:
        _core.number_normalize("1e" + "9" * 1000)
    assert info.value.message == SYNTAX + "1e" + "9" * 1000


# DynamoDB's sizes as captured live (accept/reject pairs at the 400 KB gate),
# and the cases where the paired-digit rule differs from cruder readings.
SIZES = [
    ("0", 1), ("1", 2), ("12", 2), ("123", 3), ("1234", 3),
    ("12345678901234567890123456789012345678", 20), ("0042", 2), ("100", 2), ("1010", 3),
    ("0.0000001", 2), ("1E125", 2), ("1E-100", 2), ("1.5", 3), ("15", 2), ("1.2", 3),
    ("1.200", 3), ("1.234", 4), ("3.14159", 5), ("123456", 4), ("100.5", 4), ("0.15", 2),
    ("-42", 3), ("-0", 1), ("120", 3), ("0.015", 3), ("-1E-130", 3), (MAX, 20), ("-" + MAX, 21),
    ("1.2345678901234567890123456789012345678", 21),
    ("-1.2345678901234567890123456789012345678", 22),
]


@pytest.mark.parametrize("text,size", SIZES)
def test_size_table(text, size):
    assert _core.number_size(text) == size
    assert num_size(text) == size  # the test's own reference agrees


@given(number_texts())
def test_size_matches_reference(text):
    assert _core.number_size(text) == num_size(text)


@given(decimals())
def test_normalize_is_plain_decimal(d):
    text = _core.number_normalize(str(d))
    assert text == plain(d)
    assert Decimal(text) == d
    assert _core.number_normalize(text) == text  # canonical text is a fixed point


@given(st.data())
def test_spellings_agree(data):
    d = data.draw(decimals())
    a = data.draw(spellings(d))
    b = data.draw(spellings(d))
    assert _core.number_normalize(a) == _core.number_normalize(b) == plain(d)
    assert _core.number_key(a) == _core.number_key(b)
    assert _core.number_size(a) == _core.number_size(b)
    assert _core.number_compare(a, b) == 0


def test_equal_numbers_equal_keys():
    for group in (["1.50", "1.5", "15e-1", "+1.5", "0.15E1", "001.500"],
                  ["0", "-0", "0.0", "0e10", "+0"],
                  ["-100", "-1e2", "-1.00E+2", "-0100.0"]):
        keys = {_core.number_key(t) for t in group}
        assert len(keys) == 1, group


EXTREMES = ["0", "1E-130", "-1E-130", MAX, "-" + MAX, "1", "-1", "0.1", "-0.1", "10", "-10",
            "1E125", "-1E125", "9", "11", "0.11", "0.101", "1.01", "-1.01", "-0.101",
            "12345678901234567890123456789012345678", "-12345678901234567890123456789012345678",
            "1.2345678901234567890123456789012345678E-100", "2", "-2", "19", "91", "99", "100"]


def _check_order(texts):
    by_value = sorted(texts, key=Decimal)
    by_key = sorted(texts, key=_core.number_key)
    assert [Decimal(t) for t in by_key] == [Decimal(t) for t in by_value]
    for a, b in zip(by_key, by_key[1:]):
        ka, kb = _core.number_key(a), _core.number_key(b)
        assert (ka < kb) == (Decimal(a) < Decimal(b))
        assert (ka == kb) == (Decimal(a) == Decimal(b))


def test_key_order_extremes():
    _check_order(EXTREMES)


@given(st.lists(number_texts(), min_size=2, max_size=30))
def test_key_order_random(texts):
    _check_order(texts + EXTREMES[:5])


@given(st.lists(decimals(wide=False), min_size=2, max_size=30))
def test_key_order_near(values):
    # Close values: shared prefixes, neighbours, negatives mirrored.
    texts = [str(v) for v in values] + [str(-v) for v in values]
    texts += [str(v.next_plus()) for v in values if len(v.as_tuple().digits) < 20]
    _check_order([t for t in texts if len(Decimal(t).normalize().as_tuple().digits) <= 38])


@given(number_texts(), number_texts())
def test_compare(a, b):
    want = (Decimal(a) > Decimal(b)) - (Decimal(a) < Decimal(b))
    assert _core.number_compare(a, b) == want
    ka, kb = _core.number_key(a), _core.number_key(b)
    assert ((ka > kb) - (ka < kb)) == want


@given(number_texts(), st.binary(max_size=8))
def test_key_self_delimiting_and_decodable(text, tail):
    key = _core.number_key(text)
    assert 1 <= len(key) <= 22
    assert _core.number_from_key(key + tail) == (canon(text), len(key))


def test_key_bytes():
    assert _core.number_key("0") == b"\x80"
    # 5 = 0.5e1: tag, 1 + 129, nibbles 6 and terminator 0.
    assert _core.number_key("5") == bytes([0xC0, 130, 0x60])
    assert _core.number_key("12") == bytes([0xC0, 131, 0x23, 0x00])
    # -5: tag, 255 - 130, nibble 10 - 5 = 5, terminator F.
    assert _core.number_key("-5") == bytes([0x40, 125, 0x5F])
    assert _core.number_key("-12") == bytes([0x40, 124, 0x98, 0xFF])
    assert len(_core.number_key(MAX)) == 22
    assert len(_core.number_key("-" + MAX)) == 22


@pytest.mark.parametrize("bad", [b"", b"\x00", b"\xc0", b"\xc0\x82", b"\xc0\x82\x00",
                                 b"\xc0\x82\x10", b"\xc0\x82\xb0", b"\xc0\x82\x26",
                                 b"\x40\x7d\x0f", b"\x40\x7d\x5e", b"\xc0\x82\x6f",
                                 b"\xc0\x82" + b"\x22" * 20])
def test_key_decode_refuses_non_canonical(bad):
    with pytest.raises(ValueError):
        _core.number_from_key(bad)
