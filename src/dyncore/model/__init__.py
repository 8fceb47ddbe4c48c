"""dyncore.model: DynamoDB's data model — attribute values, items and keys.

The codec itself is native (csrc/dyncore_codec.h, walked from Python objects
by dyncore._core); this package gives it its Python classes: importing it
registers ValidationException (values DynamoDB refuses), SerializationException
(malformed JSON-form members) and Binary (native B values) with the codec.

Value forms: FORM_NATIVE (boto3 resource values: str, int/Decimal, bytes/
Binary, bool, None, dict, list, set), FORM_CLIENT (boto3 client wire form,
{"S": "x"}, B as bytes) and FORM_JSON (the same with B as base64 text).
"""
from dyncore import _core
from dyncore._core import (
    FORM_CLIENT,
    FORM_JSON,
    FORM_NATIVE,
    ITEM_MAX_DEPTH,
    ITEM_MAX_SIZE,
    KeySchema,
    canonical_value,
    decode_item,
    item_size,
    number_key,
    number_normalize,
    number_size,
    value_size,
)
from dyncore.errors import SerializationException, ValidationException
from dyncore.model.binary import Binary

_core.set_codec_classes(ValidationException, Binary, SerializationException)

__all__ = [
    "FORM_NATIVE", "FORM_CLIENT", "FORM_JSON", "ITEM_MAX_SIZE", "ITEM_MAX_DEPTH",
    "KeySchema", "Binary", "canonical_value", "decode_item", "item_size", "number_key",
    "number_normalize", "number_size", "value_size",
]
