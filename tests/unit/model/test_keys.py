"""Key components and key bytes (csrc/codec_key.c, KeySchema in
src/dyncore/_codec.pxi; FORMATS.md "Item codec", Keys)."""
from __future__ import annotations

import struct
from decimal import Decimal

import pytest
import xxhash
from hypothesis import given
from hypothesis import strategies as st

import dyncore.model  # noqa: F401
from dyncore import _core
from dyncore._core import FORM_CLIENT, FORM_JSON, FORM_NATIVE, KeySchema
from dyncore.errors import ValidationException
from tests.unit.model.strategies import number_texts

SCHEMA = "The provided key element does not match the schema"
HASH_SIZE = ("One or more parameter values were invalid: Size of hashkey has exceeded the "
             "maximum size limit of2048 bytes")
RANGE_SIZE = ("One or more parameter values were invalid: Aggregated size of all range keys "
              "has exceeded the size limit of 1024 bytes")
COND = ("One or more parameter values were invalid: Condition parameter type does not match "
        "schema type")


def esc(b: bytes) -> bytes:
    return _core.key_escape(b)


# ---------------------------------------------------------------- escaping

def test_escape_bytes():
    assert esc(b"") == b"\x00\x01"
    assert esc(b"a") == b"a\x00\x01"
    assert esc(b"a\x00") == b"a\x00\xff\x00\x01"
    assert esc(b"\x00\x00b") == b"\x00\xff\x00\xffb\x00\x01"
    assert esc(b"\xff\x01") == b"\xff\x01\x00\x01"


@given(st.binary(max_size=40), st.binary(max_size=10))
def test_unescape_round_trip(raw, tail):
    comp = esc(raw)
    assert _core.key_unescape(comp + tail) == (raw, len(comp))


@pytest.mark.parametrize("bad", [b"", b"a", b"a\x00", b"a\x00\x02", b"\x00\x00"])
def test_unescape_refuses(bad):
    with pytest.raises(ValueError):
        _core.key_unescape(bad)


@given(st.binary(max_size=30), st.binary(max_size=30))
def test_escape_preserves_order(a, b):
    assert (esc(a) < esc(b)) == (a < b)
    assert (esc(a) == esc(b)) == (a == b)


@given(st.binary(max_size=20), st.binary(max_size=20), st.binary(max_size=20),
       st.binary(max_size=20))
def test_pk_component_self_delimiting(a, b, sa, sb):
    # For pk a < b, every key of a sorts before every key of b, whatever the sk.
    if a == b:
        return
    lo, hi = (a, b) if a < b else (b, a)
    assert esc(lo) + sa < esc(hi) + sb


def test_prefix_partition_keys_do_not_interleave():
    keys = []
    for pk in (b"a", b"a\x00", b"a\x00\x00", b"a\x01", b"ab", b"", b"\x00"):
        for sk in (b"", b"\x00", b"\x01", b"\xff" * 3, b"zzz"):
            keys.append((pk, sk, esc(pk) + sk))
    keys.sort(key=lambda k: k[2])
    assert [(k[0], k[1]) for k in keys] == sorted((k[0], k[1]) for k in keys)


# ------------------------------------------------------ S/B component order

@given(st.text(max_size=20), st.text(max_size=20))
def test_string_sort_components_bytewise(a, b):
    ks = KeySchema("pk", "S", "sk", "S")
    ca = ks.sk_component({"S": a}, FORM_CLIENT)
    cb = ks.sk_component({"S": b}, FORM_CLIENT)
    assert ca == a.encode("utf-8")
    assert (ca < cb) == (a.encode() < b.encode())


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_string_partition_components_bytewise(a, b):
    ks = KeySchema("pk", "S")
    _, pa = ks.pk_prefix({"S": a}, FORM_CLIENT)
    _, pb = ks.pk_prefix({"S": b}, FORM_CLIENT)
    assert pa[8:] == esc(a.encode())
    assert (pa[8:] < pb[8:]) == (a.encode() < b.encode())


@given(st.binary(min_size=1, max_size=20), st.binary(max_size=20))
def test_binary_components(pk, sk):
    ks = KeySchema("pk", "B", "sk", "B")
    h, key = ks.encode_key({"pk": {"B": pk}, "sk": {"B": sk or b"x"}}, FORM_CLIENT)
    comp = esc(pk)
    assert key == struct.pack(">Q", h) + comp + (sk or b"x")
    assert ks.sk_component({"B": sk}, FORM_CLIENT) == sk


@given(st.lists(st.tuples(st.binary(min_size=1, max_size=6), number_texts()), min_size=2,
                max_size=20))
def test_keys_sort_by_pk_component_then_sk_number(pairs):
    ks = KeySchema("pk", "B", "sk", "N")
    rows = []
    for pk, sk in pairs:
        h, key = ks.encode_key({"pk": {"B": pk}, "sk": {"N": sk}}, FORM_CLIENT)
        rows.append((key[8:], pk, Decimal(sk)))
    rows.sort(key=lambda r: r[0])
    assert [(r[1], r[2]) for r in rows] == sorted((r[1], r[2]) for r in rows)


@given(st.lists(st.tuples(number_texts(), st.text(min_size=1, max_size=5)), min_size=2,
                max_size=20))
def test_keys_sort_by_pk_number_then_sk_string(pairs):
    ks = KeySchema("pk", "N", "sk", "S")
    rows = []
    for pk, sk in pairs:
        h, key = ks.encode_key({"pk": {"N": pk}, "sk": {"S": sk}}, FORM_CLIENT)
        rows.append((key[8:], Decimal(pk), sk.encode()))
    rows.sort(key=lambda r: r[0])
    assert [(r[1], r[2]) for r in rows] == sorted((r[1], r[2]) for r in rows)


# ----------------------------------------------------------------- hashing

def test_hash_is_xxh64_of_the_component():
    ks = KeySchema("pk", "S")
    h, key = ks.encode_key({"pk": "abc"}, FORM_NATIVE)
    comp = esc(b"abc")
    assert h == xxhash.xxh64(comp, seed=0).intdigest() == _core.key_hash(comp)
    assert key == struct.pack(">Q", h) + comp


def test_equal_numbers_hash_equally():
    ks = KeySchema("pk", "N")
    got = {ks.encode_key({"pk": {"N": t}}, FORM_CLIENT) for t in ("1.50", "1.5", "15e-1", "+1.5")}
    got.add(ks.encode_key({"pk": Decimal("1.500")}, FORM_NATIVE))
    assert len(got) == 1
    (h, key), = got
    assert key[8:] == _core.number_key("1.5")
    assert h == xxhash.xxh64(_core.number_key("1.5")).intdigest()
    assert ks.encode_key({"pk": 7}, FORM_NATIVE) == ks.encode_key({"pk": Decimal("7.0")},
                                                                   FORM_NATIVE)


# ------------------------------------------------------------- key layouts

@pytest.mark.parametrize("form", [FORM_NATIVE, FORM_CLIENT, FORM_JSON])
def test_item_key_and_prefix_agree(form):
    ks = KeySchema("id", "S", "ts", "N")
    if form == FORM_NATIVE:
        item = {"id": "a\x00b", "ts": Decimal("-3.5"), "x": 1}
        key = {"id": "a\x00b", "ts": Decimal("-3.50")}
        pkv, skv = "a\x00b", Decimal("-35e-1")
    else:
        item = {"id": {"S": "a\x00b"}, "ts": {"N": "-3.5"}, "x": {"N": "1"}}
        key = {"ts": {"N": "-35e-1"}, "id": {"S": "a\x00b"}}
        pkv, skv = {"S": "a\x00b"}, {"N": "-3.50"}
    h, k, value, size = ks.encode_item(item, form)
    assert ks.encode_key(key, form) == (h, k)
    ph, prefix = ks.pk_prefix(pkv, form)
    assert ph == h and k.startswith(prefix)
    assert k == prefix + ks.sk_component(skv, form)
    assert prefix[8:] == esc(b"a\x00b")
    assert ks.item_key(value, FORM_CLIENT) == {"id": {"S": "a\x00b"}, "ts": {"N": "-3.5"}}
    assert ks.item_key(value, FORM_NATIVE) == {"id": "a\x00b", "ts": Decimal("-3.5")}


def test_hash_only_table_key_ends_after_pk():
    ks = KeySchema("pk", "B")
    h, key = ks.encode_key({"pk": {"B": b"\x00"}}, FORM_CLIENT)
    assert key == struct.pack(">Q", h) + b"\x00\xff\x00\x01"
    h2, key2 = ks.encode_key({"pk": {"B": "AA=="}}, FORM_JSON)
    assert (h2, key2) == (h, key)


def test_key_schema_attributes():
    ks = KeySchema("pk", "S", "sk", "N")
    assert (ks.pk_name, ks.pk_type, ks.sk_name, ks.sk_type) == ("pk", "S", "sk", "N")
    ks = KeySchema("p", "B")
    assert (ks.pk_name, ks.pk_type, ks.sk_name, ks.sk_type) == ("p", "B", None, None)
    with pytest.raises(AttributeError):
        ks.pk_name = "x"
    for bad in (("pk", "BOOL"), ("pk", "S", "sk", "SS"), ("pk", "S", "sk"), ("pk", "S", "pk", "S")):
        with pytest.raises((ValueError, TypeError)):
            KeySchema(*bad)


# ------------------------------------------------------------------ errors

def raises(message, fn, *args):
    with pytest.raises(ValidationException) as info:
        fn(*args)
    assert info.value.message == message


def test_encode_key_schema_mismatch():
    ks = KeySchema("pk", "S", "sk", "N")
    for key in ({"pk": {"S": "a"}},
                {"sk": {"N": "1"}},
                {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "b"}},
                {"pk": {"N": "1"}, "sk": {"N": "1"}},
                {"pk": {"S": "a"}, "sk": {"S": "1"}},
                {"pk": {"S": "a"}, "other": {"N": "1"}},
                {}):
        raises(SCHEMA, ks.encode_key, key, FORM_CLIENT)
    raises(SCHEMA, KeySchema("pk", "S").encode_key, {"pk": 1}, FORM_NATIVE)
    raises(SCHEMA, KeySchema("pk", "B").encode_key, {"pk": "x"}, FORM_NATIVE)


def test_encode_key_validates_values_first():
    ks = KeySchema("pk", "S")
    raises("The parameter cannot be converted to a numeric value: b", ks.encode_key,
           {"pk": {"N": "b"}}, FORM_CLIENT)
    raises("Supplied AttributeValue is empty, must contain exactly one of the supported "
           "datatypes", ks.encode_key, {"pk": {}}, FORM_CLIENT)
    raises("Input collection contains duplicates", ks.encode_key,
           {"pk": {"NS": ["1", "1.0"]}}, FORM_CLIENT)


def test_empty_key_values():
    s = KeySchema("pk", "S", "sk", "B")
    raises("One or more parameter values were invalid: The AttributeValue for a key attribute "
           "cannot contain an empty string value. Key: pk",
           s.encode_key, {"pk": {"S": ""}, "sk": {"B": b"x"}}, FORM_CLIENT)
    raises("One or more parameter values were invalid: The AttributeValue for a key attribute "
           "cannot contain an empty binary value. Key: sk",
           s.encode_key, {"pk": {"S": "a"}, "sk": {"B": b""}}, FORM_CLIENT)
    raises("One or more parameter values are not valid. The AttributeValue for a key attribute "
           "cannot contain an empty string value. Key: pk",
           s.encode_item, {"pk": "", "sk": b"x"}, FORM_NATIVE)
    raises("One or more parameter values are not valid. The AttributeValue for a key attribute "
           "cannot contain an empty binary value. Key: sk",
           s.encode_item, {"pk": "a", "sk": b""}, FORM_NATIVE)


@pytest.mark.parametrize("form", [FORM_CLIENT, FORM_NATIVE])
def test_key_size_limits(form):
    def v(t, x):
        return x if form == FORM_NATIVE else {t: x}
    s = KeySchema("pk", "S", "sk", "S")
    # Bytes, not characters: "é" is two UTF-8 bytes.
    ok_pk, big_pk = "é" * 1024, "é" * 1024 + "a"
    ok_sk, big_sk = "€" * 341 + "a", "€" * 341 + "ab"  # 1024 and 1025 bytes
    s.encode_key({"pk": v("S", ok_pk), "sk": v("S", ok_sk)}, form)
    s.encode_item({"pk": v("S", ok_pk), "sk": v("S", ok_sk)}, form)
    raises(HASH_SIZE, s.encode_key, {"pk": v("S", big_pk), "sk": v("S", "a")}, form)
    raises(HASH_SIZE, s.encode_item, {"pk": v("S", big_pk), "sk": v("S", "a")}, form)
    raises(RANGE_SIZE, s.encode_key, {"pk": v("S", "a"), "sk": v("S", big_sk)}, form)
    raises(RANGE_SIZE, s.encode_item, {"pk": v("S", "a"), "sk": v("S", big_sk)}, form)
    raises(HASH_SIZE, s.pk_prefix, v("S", big_pk), form)
    raises(RANGE_SIZE, s.sk_component, v("S", big_sk), form)
    b = KeySchema("pk", "B", "sk", "B")
    bv = (lambda x: x) if form == FORM_NATIVE else (lambda x: {"B": x})
    b.encode_key({"pk": bv(b"\x00" * 2048), "sk": bv(b"\x00" * 1024)}, form)
    raises(HASH_SIZE, b.encode_key, {"pk": bv(b"\x00" * 2049), "sk": bv(b"x")}, form)
    raises(RANGE_SIZE, b.encode_key, {"pk": bv(b"x"), "sk": bv(b"x" * 1025)}, form)


def test_number_keys_have_no_size_limit():
    ks = KeySchema("pk", "N", "sk", "N")
    n = "-1.2345678901234567890123456789012345678E-100"
    h, key = ks.encode_key({"pk": {"N": n}, "sk": {"N": n}}, FORM_CLIENT)
    assert len(key) == 8 + 22 + 22


def test_condition_type_mismatch():
    ks = KeySchema("pk", "S", "sk", "N")
    raises(COND, ks.pk_prefix, {"N": "1"}, FORM_CLIENT)
    raises(COND, ks.pk_prefix, 1, FORM_NATIVE)
    raises(COND, ks.sk_component, {"S": "1"}, FORM_CLIENT)
    raises(COND, ks.sk_component, {"L": []}, FORM_CLIENT)
    raises("The parameter cannot be converted to a numeric value: x", ks.sk_component,
           {"N": "x"}, FORM_CLIENT)
    # An empty sort key value is a legal bound in a key condition.
    assert KeySchema("pk", "S", "sk", "S").sk_component("", FORM_NATIVE) == b""
    with pytest.raises(ValueError):
        KeySchema("pk", "S").sk_component("x", FORM_NATIVE)


def test_item_key_damaged():
    ks = KeySchema("pk", "S", "sk", "S")
    _, _, value, _ = ks.encode_item({"pk": "a", "sk": "b", "c": [1, 2]}, FORM_NATIVE)
    other = KeySchema("pk", "S", "zz", "S")
    with pytest.raises(ValueError, match="damaged item"):
        other.item_key(value, FORM_CLIENT)  # no such attribute: not one of this table's items
    for cut in range(len(value)):
        try:
            ks.item_key(value[:cut], FORM_CLIENT)
        except ValueError:
            pass
