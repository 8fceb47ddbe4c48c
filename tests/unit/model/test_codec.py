"""The item codec: value forms, round trips, validation messages and damage
(src/dyncore/_codec.pxi, csrc/codec_item.c; FORMATS.md "Item codec")."""
from __future__ import annotations

import base64
import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dyncore.model  # noqa: F401  (registers the codec's classes)
from dyncore import _core
from dyncore._core import FORM_CLIENT, FORM_JSON, FORM_NATIVE, KeySchema
from dyncore.errors import SerializationException, ValidationException
from dyncore.model import Binary
from dyncore.model.convert import from_wire, item_from_wire, item_to_wire, to_wire
from tests.unit.model.strategies import (avs, canon_av, client_items, to_json_av, to_native)

KS = KeySchema("pk", "S")

AV_EMPTY = ("Supplied AttributeValue is empty, must contain exactly one of the supported "
            "datatypes")
AV_MULTI = ("Supplied AttributeValue has more than one datatypes set, must contain exactly "
            "one of the supported datatypes")
NULL = ("One or more parameter values were invalid: Null attribute value types must have the "
        "value of true")
SS_EMPTY = "One or more parameter values were invalid: An string set  may not be empty"
NS_EMPTY = "One or more parameter values were invalid: An number set  may not be empty"
BS_EMPTY = "One or more parameter values were invalid: Binary sets should not be empty"
NEST = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested "
        "levels beyond supported limit")


def put(attrs: dict, form: int = FORM_CLIENT, ks: KeySchema = KS):
    key = {"pk": "k"} if form == FORM_NATIVE else {"pk": {"S": "k"}}
    return ks.encode_item({**key, **attrs}, form)


def refused(message: str, attrs: dict, form: int = FORM_CLIENT, ks: KeySchema = KS):
    with pytest.raises(ValidationException) as info:
        put(attrs, form, ks)
    assert info.value.message == message, info.value.message


# ------------------------------------------------------------- round trips

def client_item_roundtrip(item: dict, ks: KeySchema):
    want = {k: canon_av(v) for k, v in item.items()}
    h, key, value, size = ks.encode_item(item, FORM_CLIENT)
    assert _core.item_check(value)
    assert _core.item_size(value) == size
    got = _core.decode_item(value, FORM_CLIENT)
    assert got == want
    assert list(got) == list(item)  # attribute order is input order
    return h, key, value, size, want


@given(client_items())
def test_roundtrip_client(item):
    client_item_roundtrip(item, KS)


@given(client_items(pk_type="N", sk_type="B"))
def test_roundtrip_all_forms(item):
    ks = KeySchema("pk", "N", "sk", "B")
    h, key, value, size, want = client_item_roundtrip(item, ks)
    # JSON form in, JSON form out.
    json_item = {k: to_json_av(v) for k, v in item.items()}
    assert ks.encode_item(json_item, FORM_JSON) == (h, key, value, size)
    assert _core.decode_item(value, FORM_JSON) == {k: to_json_av(v) for k, v in want.items()}
    # Native form: decode gives boto3-style values, which encode back to the same item.
    native = _core.decode_item(value, FORM_NATIVE)
    assert native == {k: to_native(v, Binary) for k, v in want.items()}
    h2, key2, value2, size2 = ks.encode_item(native, FORM_NATIVE)
    assert (h2, key2, size2) == (h, key, size)
    assert _core.decode_item(value2, FORM_NATIVE) == native
    # Canonical values and sizes per value.
    for name, av in item.items():
        assert _core.canonical_value(av, FORM_CLIENT) == want[name]
        assert _core.canonical_value(av, FORM_CLIENT, FORM_NATIVE) == native[name]
        assert _core.canonical_value(to_json_av(av), FORM_JSON, FORM_JSON) == \
            to_json_av(want[name])
    assert ks.item_key(value, FORM_CLIENT) == {"pk": want["pk"], "sk": want["sk"]}


@given(avs)
def test_canonical_value_and_size(av):
    from tests.unit.model.strategies import av_size
    assert _core.canonical_value(av, FORM_CLIENT) == canon_av(av)
    assert _core.value_size(av, FORM_CLIENT) == av_size(av)
    native = to_native(canon_av(av), Binary)
    assert _core.value_size(native, FORM_NATIVE) == av_size(av)
    assert _core.canonical_value(native, FORM_NATIVE, FORM_CLIENT) == _sets_sorted(canon_av(av),
                                                                                   native)


def _sets_sorted(av, native):
    """The client form of a native value: a native set iterates in its own
    order, so compare sets as the native value orders them."""
    (t, v), = av.items()
    if t == "SS":
        return {"SS": list(native)}
    if t == "NS":
        return {"NS": [_canon_of(x) for x in native]}
    if t == "BS":
        return {"BS": [bytes(x.value) for x in native]}
    if t == "L":
        return {"L": [_sets_sorted(a, n) for a, n in zip(v, native)]}
    if t == "M":
        return {"M": {k: _sets_sorted(v[k], native[k]) for k in v}}
    return av


def _canon_of(d):
    return _core.number_normalize(str(d))


@given(client_items(sk_type="N", wide=False))
def test_native_agrees_with_boto3(item):
    types = pytest.importorskip("boto3.dynamodb.types")
    ser, deser = types.TypeSerializer(), types.TypeDeserializer()
    # A native item as boto3's resource API would hand it over.
    native = {k: deser.deserialize(canon_av(v)) for k, v in item.items()}
    ks = KeySchema("pk", "S", "sk", "N")
    _, _, value, _ = ks.encode_item(native, FORM_NATIVE)
    boto = {k: ser.serialize(v) for k, v in native.items()}
    boto = {k: _canon_numbers(v) for k, v in boto.items()}
    assert _core.decode_item(value, FORM_CLIENT) == boto
    # ... and what we hand back is what boto3's deserializer would give.
    back = _core.decode_item(value, FORM_NATIVE)
    assert back == {k: deser.deserialize(v) for k, v in boto.items()}


def _canon_numbers(av):
    """A boto3-serialized AttributeValue with numbers canonical and binaries bytes."""
    (t, v), = av.items()
    if t == "N":
        return {"N": _core.number_normalize(v)}
    if t == "NS":
        return {"NS": [_core.number_normalize(n) for n in v]}
    if t == "B":
        return {"B": bytes(v)}
    if t == "BS":
        return {"BS": [bytes(b) for b in v]}
    if t == "L":
        return {"L": [_canon_numbers(x) for x in v]}
    if t == "M":
        return {"M": {k: _canon_numbers(x) for k, x in v.items()}}
    return av


def test_native_values():
    ks = KeySchema("pk", "S")
    item = {
        "pk": "k", "s": "é", "i": -17, "big": 10 ** 37, "huge": 10 ** 100,
        "d": Decimal("1.50"), "t": True, "f": False, "n": None, "b": b"\x00\xff",
        "ba": bytearray(b"ab"), "bin": Binary(b"xy"), "m": {"a": [1, "x"]}, "l": [1, 2],
        "tup": (3, "y"), "ss": {"a", "b"}, "fs": frozenset({Decimal("1"), 2}),
        "bs": {b"a", Binary(b"b")}, "bools": {True}, "neg0": Decimal("-0"),
    }
    _, _, value, _ = ks.encode_item(item, FORM_NATIVE)
    got = _core.decode_item(value, FORM_CLIENT)
    assert got["i"] == {"N": "-17"}
    assert got["big"] == {"N": "1" + "0" * 37}
    assert got["huge"] == {"N": "1" + "0" * 100}
    assert got["d"] == {"N": "1.5"}
    assert got["t"] == {"BOOL": True} and got["f"] == {"BOOL": False}
    assert got["n"] == {"NULL": True}
    assert got["b"] == {"B": b"\x00\xff"} and got["ba"] == {"B": b"ab"}
    assert got["bin"] == {"B": b"xy"}
    assert got["m"] == {"M": {"a": {"L": [{"N": "1"}, {"S": "x"}]}}}
    assert got["tup"] == {"L": [{"N": "3"}, {"S": "y"}]}
    assert sorted(got["ss"]["SS"]) == ["a", "b"]
    assert sorted(got["fs"]["NS"]) == ["1", "2"]
    assert sorted(got["bs"]["BS"]) == [b"a", b"b"]
    assert got["bools"] == {"NS": ["1"]}  # boto3 counts bools as numbers in a set
    assert got["neg0"] == {"N": "0"}
    native = _core.decode_item(value, FORM_NATIVE)
    assert native["i"] == Decimal(-17) and type(native["i"]) is Decimal
    assert type(native["bin"]) is Binary and native["bin"] == b"xy"
    assert native["bs"] == {Binary(b"a"), Binary(b"b")}
    assert native["n"] is None and native["t"] is True


def test_native_subclasses_and_binary_likes():
    import enum

    class Color(enum.IntEnum):
        RED = 5

    class S(str):
        pass

    class D(dict):
        pass

    class Other:  # boto3's Binary, or anything with a bytes .value
        def __init__(self, value):
            self.value = value

    got = _core.canonical_value([Color.RED, S("x"), D(a=1), Other(b"q")], FORM_NATIVE)
    assert got == {"L": [{"N": "5"}, {"S": "x"}, {"M": {"a": {"N": "1"}}}, {"B": b"q"}]}


def test_json_binary():
    assert _core.canonical_value({"B": "AAEC/w=="}, FORM_JSON, FORM_CLIENT) == \
        {"B": b"\x00\x01\x02\xff"}
    assert _core.canonical_value({"B": ""}, FORM_JSON, FORM_JSON) == {"B": ""}
    for raw in (b"", b"a", b"ab", b"abc", b"abcd", bytes(range(256))):
        text = base64.b64encode(raw).decode()
        assert _core.canonical_value({"B": text}, FORM_JSON, FORM_CLIENT) == {"B": raw}
        assert _core.canonical_value({"B": raw}, FORM_CLIENT, FORM_JSON) == {"B": text}


@pytest.mark.parametrize("text,why", [
    ("abc", "Base64 encoded length is expected a multiple of 4 bytes but found: 3"),
    ("ab!=", "Invalid Base64 character: '!'"),
    ("a===", "Invalid Base64 character: '='"),
    ("=abc", "Invalid Base64 character: '='"),
    ("Yh==", "Invalid last non-pad Base64 character dectected"),
    ("YWJ=", "Invalid last non-pad Base64 character dectected"),
    ("YW J", "Invalid Base64 character: ' '"),
])
def test_json_binary_errors(text, why):
    for av in ({"B": text}, {"BS": ["AA==", text]}):
        with pytest.raises(SerializationException) as info:
            _core.canonical_value(av, FORM_JSON)
        assert info.value.message == f"'{text}' can not be converted to a Blob: {why}"


def test_client_binary_inputs():
    got = _core.canonical_value({"L": [{"B": "é"}, {"B": bytearray(b"x")},
                                       {"B": memoryview(b"mv")}]}, FORM_CLIENT)
    assert got == {"L": [{"B": "é".encode()}, {"B": b"x"}, {"B": b"mv"}]}


def test_attribute_order_and_nested_order_kept():
    names = [f"a{i}" for i in range(50)]
    random.Random(1).shuffle(names)
    item = {"pk": {"S": "k"}, **{n: {"M": {m: {"N": "1"} for m in names[:5]}} for n in names}}
    _, _, value, _ = KS.encode_item(item, FORM_CLIENT)
    got = _core.decode_item(value, FORM_CLIENT)
    assert list(got) == ["pk"] + names
    assert list(got[names[0]]["M"]) == names[:5]


def test_empty_values_allowed_outside_keys():
    got = put({"s": {"S": ""}, "b": {"B": b""}, "m": {"M": {}}, "l": {"L": []},
               "ss": {"SS": [""]}, "bs": {"BS": [b""]}, "nested": {"M": {"": {"S": ""}}}})
    assert _core.decode_item(got[2], FORM_CLIENT)["nested"] == {"M": {"": {"S": ""}}}


# -------------------------------------------------------- validation errors

@pytest.mark.parametrize("form", [FORM_CLIENT, FORM_JSON])
def test_wire_value_errors(form):
    b = (lambda x: base64.b64encode(x).decode()) if form == FORM_JSON else (lambda x: x)
    cases = [
        ({}, AV_EMPTY),
        ({"S": None}, AV_EMPTY),
        ({"X": "a"}, AV_EMPTY),
        ({"S": None, "N": None}, AV_EMPTY),
        ({"S": "a", "N": "1"}, AV_MULTI),
        ({"S": "a", "BOOL": True, "X": 1}, AV_MULTI),
        ({"S": "a", "N": "b"}, "The parameter cannot be converted to a numeric value: b"),
        ({"S": "", "N": ""}, "The parameter cannot be converted to a numeric value"),
        ({"N": "1", "SS": []}, SS_EMPTY),
        ({"NULL": False}, NULL),
        ({"SS": []}, SS_EMPTY),
        ({"NS": []}, NS_EMPTY),
        ({"BS": []}, BS_EMPTY),
        ({"SS": ["a", "a"]},
         "One or more parameter values were invalid: Input collection [a, a] contains "
         "duplicates."),
        ({"SS": ["b", "a", "b"]},
         "One or more parameter values were invalid: Input collection [b, a, b] contains "
         "duplicates."),
        ({"SS": ["", ""]},
         "One or more parameter values were invalid: Input collection [, ] contains "
         "duplicates."),
        ({"BS": [b(b"b"), b(b"b")]},
         "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS "
         "contains duplicates."),
        ({"BS": [b(b"\xff"), b(b"\x00"), b(b"\x00")]},
         "One or more parameter values were invalid: Input collection [/w==, AA==, AA==]of "
         "type BS contains duplicates."),
        ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
        ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),
        ({"NS": ["2", "100", "1e2"]}, "Input collection contains duplicates"),
        ({"NS": ["1", ""]}, "The parameter cannot be converted to a numeric value"),
        ({"NS": ["1", "b"]}, "The parameter cannot be converted to a numeric value: b"),
        ({"NS": ["1", "b", "1"]}, "The parameter cannot be converted to a numeric value: b"),
        ({"L": [{"N": "1"}, {}]}, AV_EMPTY),
        ({"M": {"a": {"NULL": False}}}, NULL),
    ]
    for av, message in cases:
        refused(message, {"a": av}, form)
        with pytest.raises(ValidationException) as info:
            _core.canonical_value(av, form)
        assert info.value.message == message


def test_large_set_duplicates():
    many = [str(i) for i in range(100)]
    put({"ss": {"SS": many}, "ns": {"NS": many}})
    refused("Input collection contains duplicates", {"ns": {"NS": many + ["99.0"]}})
    with pytest.raises(ValidationException, match=r"Input collection \[0, 1, .*, 99, 5\] "):
        put({"ss": {"SS": many + ["5"]}})


@pytest.mark.parametrize("form", [FORM_NATIVE, FORM_CLIENT, FORM_JSON])
def test_nesting_depth(form):
    def wrap(depth, kind):
        v = "leaf" if form == FORM_NATIVE else {"S": "leaf"}
        for _ in range(depth):
            if form == FORM_NATIVE:
                v = {"n": v} if kind == "M" else [v]
            else:
                v = {"M": {"n": v}} if kind == "M" else {"L": [v]}
        return v
    for kind in ("M", "L"):
        put({"data": wrap(31, kind)}, form)  # the leaf is at level 32
        refused(NEST, {"data": wrap(32, kind)}, form)
        _core.canonical_value(wrap(31, kind), form)
        with pytest.raises(ValidationException) as info:
            _core.canonical_value(wrap(32, kind), form)
        assert info.value.message == NEST
        refused(NEST, {"data": wrap(200, kind)}, form)
    # Depth is found before a bad number at the bottom.
    deep = {"N": "abc"}
    for _ in range(40):
        deep = {"M": {"n": deep}}
    refused(NEST, {"x": deep})
    refused("The parameter cannot be converted to a numeric value: abc",
            {"bad": {"N": "abc"}, "x": deep})


def test_empty_attribute_name():
    refused(_core.MSG_EMPTY_NAME, {"": {"S": "a"}})
    refused(_core.MSG_EMPTY_NAME, {"": "a"}, FORM_NATIVE)


def test_key_attribute_errors():
    ks = KeySchema("pk", "S", "sk", "N")
    pre = "One or more parameter values were invalid: "

    def item_refused(message, item, form=FORM_CLIENT):
        with pytest.raises(ValidationException) as info:
            ks.encode_item(item, form)
        assert info.value.message == message

    item_refused(pre + "Missing the key pk in the item", {"sk": {"N": "1"}})
    item_refused(pre + "Missing the key sk in the item", {"pk": {"S": "a"}})
    item_refused(pre + "Missing the key pk in the item", {"x": {"S": "a"}})
    item_refused(pre + "Type mismatch for key pk expected: S actual: N",
                 {"pk": {"N": "1"}, "sk": {"N": "1"}})
    item_refused(pre + "Type mismatch for key sk expected: N actual: S",
                 {"pk": {"S": "a"}, "sk": {"S": "1"}})
    for av, name in (({"BOOL": True}, "BOOL"), ({"BOOL": False}, "BOOL"), ({"NULL": True}, "NULL"),
                     ({"M": {}}, "M"), ({"L": []}, "L"), ({"SS": ["a"]}, "SS"),
                     ({"NS": ["1"]}, "NS"), ({"BS": [b"a"]}, "BS"), ({"B": b"a"}, "B")):
        item_refused(pre + f"Type mismatch for key pk expected: S actual: {name}",
                     {"pk": av, "sk": {"N": "1"}})
    item_refused(pre + "Type mismatch for key pk expected: S actual: N", {"pk": 5, "sk": 1},
                 FORM_NATIVE)
    # Value errors come first, then the partition key, then the sort key.
    item_refused("The parameter cannot be converted to a numeric value: x",
                 {"a": {"N": "x"}})
    item_refused(pre + "Missing the key pk in the item", {"pk2": {"S": ""}, "sk": {"S": "1"}})


def test_native_type_errors():
    cases = [
        (1.5, "Float types are not supported. Use Decimal types instead."),
        ([Decimal(1), 2.0], "Float types are not supported. Use Decimal types instead."),
        ({1.5}, "Float types are not supported. Use Decimal types instead."),
        ({"x": {1, 2.5}}, "Float types are not supported. Use Decimal types instead."),
        (Decimal("NaN"), "Infinity and NaN not supported"),
        (Decimal("-Infinity"), "Infinity and NaN not supported"),
        (Decimal("sNaN"), "Infinity and NaN not supported"),
    ]
    for value, message in cases:
        with pytest.raises(TypeError) as info:
            _core.canonical_value(value, FORM_NATIVE)
        assert str(info.value) == message
    for value in ({"a", 1}, {b"a", "a"}, object(), 1j, memoryview(b"x"), {"a": object()},
                  {frozenset({1})}):
        with pytest.raises(TypeError, match="Unsupported type"):
            _core.canonical_value(value, FORM_NATIVE)
    with pytest.raises(TypeError, match="Unsupported type \"<class 'set'>\" for value"):
        _core.canonical_value({"a", 1}, FORM_NATIVE)
    with pytest.raises(TypeError, match="attribute names must be str"):
        _core.canonical_value({1: "a"}, FORM_NATIVE)
    with pytest.raises(TypeError):
        KS.encode_item({"pk": "a", 1: "b"}, FORM_NATIVE)
    with pytest.raises(TypeError):
        KS.encode_item(["pk"], FORM_NATIVE)


def test_native_validation_errors():
    def native_refused(message, value):
        with pytest.raises(ValidationException) as info:
            _core.canonical_value(value, FORM_NATIVE)
        assert info.value.message == message

    native_refused(NS_EMPTY, set())
    native_refused(NS_EMPTY, frozenset())
    native_refused("Attempting to store more than 38 significant digits in a Number",
                   Decimal("1." + "1" * 38))
    native_refused("Attempting to store more than 38 significant digits in a Number",
                   10 ** 38 + 1)
    native_refused("Number overflow. Attempting to store a number with magnitude larger than "
                   "supported range", 10 ** 126)
    native_refused("Number underflow. Attempting to store a number with magnitude smaller "
                   "than supported range", {Decimal("1e-131")})


@pytest.mark.parametrize("form,exc", [(FORM_CLIENT, TypeError), (FORM_JSON, SerializationException)])
def test_wire_shape_errors(form, exc):
    for av in ("x", 1, None, ["S", "x"], {"S": 1}, {"N": 1}, {"N": Decimal(1)}, {"BOOL": "x"},
               {"BOOL": 1}, {"NULL": "x"}, {"M": []}, {"M": {1: {"S": "a"}}}, {"L": {}},
               {"L": "ab"}, {"SS": "ab"}, {"SS": [1]}, {"NS": [1]}, {"BS": [1]}, {"B": 1},
               {"M": {"a": "b"}}):
        with pytest.raises(exc):
            _core.canonical_value(av, form)
    with pytest.raises(exc if form == FORM_JSON else TypeError):
        _core.canonical_value({"B": b"x"} if form == FORM_JSON else {"B": 1.0}, form)


def test_forms_checked():
    for bad in (-1, 3):
        with pytest.raises(ValueError):
            _core.canonical_value("x", bad)
        with pytest.raises(ValueError):
            KS.encode_item({"pk": "x"}, bad)
        with pytest.raises(ValueError):
            _core.decode_item(put({})[2], bad)


# ----------------------------------------------------- mutation during walks

def test_containers_mutated_during_encoding():
    d = {"a": 1, "b": 2, "c": 3}

    class Clears(Decimal):
        def __str__(self):
            d.clear()
            return "1"

    d["b"] = Clears(1)
    with pytest.raises(RuntimeError):
        _core.canonical_value(d, FORM_NATIVE)
    lst = [1, 2, 3]

    class Pops(Decimal):
        def __str__(self):
            lst.clear()
            return "1"

    lst[0] = Pops(1)
    with pytest.raises(RuntimeError):
        _core.canonical_value(lst, FORM_NATIVE)


# ------------------------------------------------------------------ damage

def _variants(value: bytes, rnd: random.Random):
    yield value[: rnd.randrange(len(value))]
    for _ in range(8):
        b = bytearray(value)
        i = rnd.randrange(len(b))
        how = rnd.randrange(4)
        if how == 0:
            b[i] ^= 1 << rnd.randrange(8)
        elif how == 1:
            b[i] = rnd.randrange(256)
        elif how == 2:
            del b[i]
        else:
            b.insert(i, rnd.randrange(256))
        yield bytes(b)
    yield value + b"\x00"


@given(client_items(sk_type="S"), st.integers(0, 2 ** 32))
def test_damaged_bytes_never_crash(item, seed):
    ks = KeySchema("pk", "S", "sk", "S")
    _, _, value, _ = ks.encode_item(item, FORM_CLIENT)
    rnd = random.Random(seed)
    for bad in _variants(value, rnd):
        ok = _core.item_check(bad)
        for form in (FORM_NATIVE, FORM_CLIENT, FORM_JSON):
            try:
                got = _core.decode_item(bad, form)
            except ValueError as e:
                assert str(e) == "damaged item"
                assert not ok
            else:
                assert isinstance(got, dict)
            try:
                ks.item_key(bad, form)
            except ValueError as e:
                assert str(e) == "damaged item"
        try:
            _core.item_size(bad)
        except ValueError:
            pass


def test_damaged_examples():
    _, _, value, _ = put({"a": {"L": [{"S": "x"}, {"NS": ["1"]}]}})
    for bad in (b"", b"\x00", b"\x02" + value[1:], value[:-1], value + b"x",
                b"\x01\x00\x05", b"\x01\x00\xff\xff\xff\xff\x0f",
                b"\x01\x00\x01\x01a\x0c", b"\x01\x00\x01\x01a\x01\x05\xff\xff",
                b"\x01\x00\x01\x01a\x02\x01x", b"\x01\x00\x01\x01a\x09\x00",
                b"\x01\x00\x01\x01a\x08\xff\xff\xff\xff\x0f"):
        assert not _core.item_check(bad)
        with pytest.raises(ValueError, match="damaged item"):
            _core.decode_item(bad, FORM_CLIENT)
    # Deeper than 32 levels can only come from damage.
    deep = b"\x08\x01" * 40 + b"\x06"
    bad = b"\x01\x00\x01\x01a" + deep
    with pytest.raises(ValueError, match="damaged item"):
        _core.decode_item(bad, FORM_NATIVE)
    with pytest.raises(TypeError):
        _core.decode_item(bytearray(value), FORM_CLIENT)


def test_item_check_checks_size_and_numbers():
    _, _, value, size = put({"n": {"N": "12.5"}})
    assert size == 7 and value[1] == size  # one-byte varint size after the version
    assert _core.item_check(value)
    wrong_size = value[:1] + bytes([size + 1]) + value[2:]
    assert not _core.item_check(wrong_size)
    assert _core.decode_item(wrong_size, FORM_CLIENT) == _core.decode_item(value, FORM_CLIENT)
    assert _core.item_size(wrong_size) == size + 1  # the header is trusted by item_size
    not_canonical = value.replace(b"\x0412.5", b"\x0512.50")
    assert not _core.item_check(not_canonical)


# ------------------------------------------------------- Binary and convert

def test_binary_mirrors_boto3():
    b = Binary(b"ab")
    assert b == b"ab" and b == Binary(b"ab") and b != b"ac" and b != Binary(b"x")
    assert not (b != b"ab")
    assert repr(b) == "Binary(b'ab')"
    assert b.__str__() == b"ab"
    assert bytes(b) == b"ab" and bytes(Binary(bytearray(b"q"))) == b"q"
    assert hash(b) == hash(b"ab")
    assert {b, Binary(b"ab")} == {b}
    assert Binary(bytearray(b"x")).value == bytearray(b"x")
    with pytest.raises(TypeError):
        Binary("str")
    import pickle
    assert pickle.loads(pickle.dumps(b)) == b
    types = pytest.importorskip("boto3.dynamodb.types")
    assert _core.canonical_value(types.Binary(b"zz"), FORM_NATIVE) == {"B": b"zz"}


def test_convert_helpers():
    assert to_wire({"a": [1, Decimal("2.50"), b"x", None, True, {"s"}]}) == {"M": {"a": {"L": [
        {"N": "1"}, {"N": "2.5"}, {"B": b"x"}, {"NULL": True}, {"BOOL": True},
        {"SS": ["s"]}]}}}
    assert to_wire(b"\x00", FORM_JSON) == {"B": "AA=="}
    assert from_wire({"N": "1e2"}) == Decimal(100)
    assert from_wire({"B": "AA=="}, FORM_JSON) == Binary(b"\x00")
    assert from_wire({"NS": ["1", "2"]}) == {Decimal(1), Decimal(2)}
    item = {"pk": "a", "n": 5, "l": [Binary(b"q")]}
    wire = item_to_wire(item)
    assert wire == {"pk": {"S": "a"}, "n": {"N": "5"}, "l": {"L": [{"B": b"q"}]}}
    assert item_from_wire(wire) == {"pk": "a", "n": Decimal(5), "l": [Binary(b"q")]}
    with pytest.raises(ValidationException):
        to_wire(set())
