"""Binary: the native form of a DynamoDB B value (mirrors boto3.dynamodb.types.Binary).

DynamoDB's B values come back from the native (resource-style) API wrapped in
Binary, as boto3 does, so that they are told apart from... nothing else: it
is a thin wrapper over bytes that compares equal to the bytes it holds.
"""
from __future__ import annotations

__all__ = ["Binary", "BINARY_TYPES"]

BINARY_TYPES = (bytearray, bytes)


class Binary:
    """A DynamoDB binary value: `.value` is the bytes (or bytearray)."""

    __slots__ = ("value",)

    def __init__(self, value: bytes | bytearray):
        if not isinstance(value, BINARY_TYPES):
            types = ", ".join(str(t) for t in BINARY_TYPES)
            raise TypeError(f"Value must be of the following types: {types}")
        self.value = value

    def __eq__(self, other):
        if isinstance(other, Binary):
            return self.value == other.value
        return self.value == other

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return f"Binary({self.value!r})"

    def __str__(self):  # as boto3's: the bytes themselves
        return self.value

    def __bytes__(self):
        return bytes(self.value)

    def __hash__(self):
        return hash(self.value)

    def __reduce__(self):
        return (Binary, (self.value,))
