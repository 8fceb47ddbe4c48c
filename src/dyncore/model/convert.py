"""Conversions between value forms, like boto3's TypeSerializer/TypeDeserializer.

Thin wrappers over the codec (dyncore._core.canonical_value): every value is
validated as DynamoDB validates an attribute value (so an empty set or a bad
number raises ValidationException, where boto3's serializer would pass it on
to the server), and numbers come out in DynamoDB's canonical text.
"""
from __future__ import annotations

from dyncore._core import FORM_CLIENT, FORM_NATIVE, canonical_value

import dyncore.model  # noqa: F401  (registers the codec's classes)

__all__ = ["to_wire", "from_wire", "item_to_wire", "item_from_wire"]


def to_wire(value, form: int = FORM_CLIENT):
    """A native value (str, int, Decimal, bytes, Binary, bool, None, dict,
    list, set) as an AttributeValue ({"S": ...}) of `form` (FORM_CLIENT, or
    FORM_JSON for base64 binaries)."""
    return canonical_value(value, FORM_NATIVE, form)


def from_wire(av, form: int = FORM_CLIENT):
    """An AttributeValue of `form` as a native value (numbers as Decimal,
    binaries as Binary, sets as set)."""
    return canonical_value(av, form, FORM_NATIVE)


def item_to_wire(item, form: int = FORM_CLIENT) -> dict:
    """A native item (a mapping of names to native values) in wire form."""
    return {name: canonical_value(value, FORM_NATIVE, form) for name, value in item.items()}


def item_from_wire(item, form: int = FORM_CLIENT) -> dict:
    """A wire-form item as native values."""
    return {name: canonical_value(av, form, FORM_NATIVE) for name, av in item.items()}
