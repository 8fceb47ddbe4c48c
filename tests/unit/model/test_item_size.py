"""DynamoDB's item size and the 400 KB limit (dynamodb.md §4; FORMATS.md "Item
codec"), checked to the byte against a pure-Python reference."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given

import dyncore.model  # noqa: F401
from dyncore import _core
from dyncore._core import FORM_CLIENT, FORM_JSON, FORM_NATIVE, KeySchema
from dyncore.errors import ValidationException
from dyncore.model import Binary
from tests.unit.model.strategies import (av_size, client_items, item_size_ref, to_json_av,
                                         to_native, canon_av)

LIMIT = 409600
TOO_BIG = "Item size has exceeded the maximum allowed size"
KS = KeySchema("pk", "S")


def build(template, n: int) -> dict:
    """template(pad) -> client-form item, where pad is an ASCII string."""
    return template("x" * n)


def hit(template, target: int) -> dict:
    """The item of `template` whose reference size is exactly `target`."""
    base = item_size_ref(build(template, 0))
    assert target >= base
    item = build(template, target - base)
    assert item_size_ref(item) == target
    return item


TEMPLATES = {
    "flat": lambda pad: {"pk": {"S": "k"}, "p": {"S": pad}},
    "multibyte_name_and_value": lambda pad: {
        "pk": {"S": "ключ"}, "é" * 3000: {"S": "€" * 5000 + pad}, "名前": {"S": "😀" * 10}},
    "nested_maps_and_lists": lambda pad: {
        "pk": {"S": "k"},
        "m": {"M": {"a": {"L": [{"S": pad}, {"N": "-1.5"}, {"M": {}}, {"L": []}]},
                    "ü": {"M": {"x": {"NULL": True}, "y": {"BOOL": False}}}}},
        "l": {"L": [{"L": [{"L": [{"B": b"\x00" * 100}]}]}]}},
    "numbers_and_sets": lambda pad: {
        "pk": {"S": "k"},
        "n": {"N": "-12345678901234567890123456789012345678"},
        "ns": {"NS": [str(i) + ".5" for i in range(1000)] + ["1E-130", "9.99E125"]},
        "ss": {"SS": [f"s{i}é" for i in range(1000)]},
        "bs": {"BS": [bytes([i]) * i for i in range(1, 200)]},
        "p": {"S": pad}},
    "many_attributes": lambda pad: {
        "pk": {"S": "k"}, **{f"attr{i:05d}": {"N": str(i)} for i in range(5000)},
        "zz": {"S": pad}},
}


def native_of(item: dict) -> dict:
    return {k: to_native(canon_av(v), Binary) for k, v in item.items()}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_limit_to_the_byte(name):
    template = TEMPLATES[name]
    for target in (LIMIT - 1, LIMIT):
        item = hit(template, target)
        h, key, value, size = KS.encode_item(item, FORM_CLIENT)
        assert size == target
        assert _core.item_size(value) == target
        assert _core.item_check(value)
        assert KS.encode_item(native_of(item), FORM_NATIVE)[3] == target
        assert KS.encode_item({k: to_json_av(v) for k, v in item.items()}, FORM_JSON)[3] == target
    item = hit(template, LIMIT + 1)
    for form, it in ((FORM_CLIENT, item), (FORM_NATIVE, native_of(item)),
                     (FORM_JSON, {k: to_json_av(v) for k, v in item.items()})):
        with pytest.raises(ValidationException) as info:
            KS.encode_item(it, form)
        assert info.value.message == TOO_BIG


def test_size_rules_by_example():
    def size(av):
        return _core.value_size(av, FORM_CLIENT)
    assert size({"S": "é"}) == 2 and size({"S": "😀"}) == 4 and size({"S": ""}) == 0
    assert size({"B": b"\x00\x01"}) == 2
    assert size({"BOOL": True}) == size({"NULL": True}) == 1
    assert size({"N": "0"}) == 1 and size({"N": "1.5"}) == 3 and size({"N": "-42"}) == 3
    assert size({"M": {}}) == 3 and size({"L": []}) == 3
    assert size({"L": [{"S": "ab"}]}) == 3 + 1 + 2
    assert size({"M": {"ab": {"S": "cd"}}}) == 3 + 1 + 2 + 2
    assert size({"M": {"a": {"M": {"b": {"L": [{"NULL": True}, {"N": "12"}]}}}}}) == \
        3 + (1 + 1 + 3 + (1 + 1 + 3 + (1 + 1) + (1 + 2)))
    assert size({"SS": ["a", "bé"]}) == 4 and size({"NS": ["1", "1.5"]}) == 5
    assert size({"BS": [b"", b"xyz"]}) == 3
    assert _core.value_size({"x": [b"ab", Decimal("-1.5"), None, True]}, FORM_NATIVE) == \
        3 + 1 + 1 + (3 + (1 + 2) + (1 + 4) + (1 + 1) + (1 + 1))
    _, _, value, total = KS.encode_item({"pk": {"S": "k"}, "ab": {"N": "12"}}, FORM_CLIENT)
    assert total == (2 + 1) + (2 + 2)


def test_key_checks_come_before_size():
    item = {"p": {"S": "x" * LIMIT}}
    with pytest.raises(ValidationException) as info:
        KS.encode_item(item, FORM_CLIENT)
    assert info.value.message == "One or more parameter values were invalid: Missing the key pk in the item"


@given(client_items(sk_type="N"))
def test_size_matches_reference(item):
    ks = KeySchema("pk", "S", "sk", "N")
    _, _, value, size = ks.encode_item(item, FORM_CLIENT)
    assert size == item_size_ref(item)
    assert _core.item_size(value) == size
    for name, av in item.items():
        assert _core.value_size(av, FORM_CLIENT) == av_size(av)
