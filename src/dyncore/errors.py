"""dyncore's exception hierarchy, built as data.

Every error dyncore raises on purpose is a subclass of `DyncoreError`.

Engine errors
-------------
The storage engine returns an int result code (csrc/dyncore.h, DC_*) plus a
message that names the file and offset where it applies. `engine_error(code,
message)` turns that pair into an instance of one class per code; the table
`ENGINE_ERRORS` below is the whole mapping, so adding a code is one row.

Where a builtin category fits, the class also derives from it, so callers that
know nothing of dyncore still catch sensibly:

    EngineIOError, NoSpaceError  -> OSError   (an I/O call failed / disk full)
    ClosedError, MisuseError,
    InvalidError                 -> ValueError (the API was used wrongly)
    NoMemoryError                -> MemoryError

`DC_NOTFOUND` is not an error: a missing key is `None`, an idle WAL tail yields
nothing.

DynamoDB errors
---------------
DynamoDB's API errors (ValidationException, ConditionalCheckFailedException,
...) will live in this module too, as a second table of classes carrying
`__type`, message and HTTP status, also deriving from `DyncoreError`.
"""
from __future__ import annotations

__all__ = [
    "DyncoreError",
    "EngineError",
    "CorruptionError",
    "EngineIOError",
    "NoSpaceError",
    "LockedError",
    "ClosedError",
    "MisuseError",
    "NoMemoryError",
    "InvalidError",
    "TrimmedError",
    "ENGINE_ERRORS",
    "engine_error",
]


class DyncoreError(Exception):
    """Base of every error dyncore raises on purpose."""


# --------------------------------------------------------------------------
# Engine errors
# --------------------------------------------------------------------------

class EngineError(DyncoreError):
    """An error reported by the storage engine.

    `.code` is the engine's result code (DC_*), `.name` its symbolic name
    ("CORRUPT", ...), `.message` the engine's message (names file and offset
    where it applies).
    """

    code: int = -1
    name: str = "UNKNOWN"

    def __init__(self, message: str = "", code: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None and code != type(self).code:
            self.code = code

    def __reduce__(self):
        return (type(self), (self.message, self.code))


class CorruptionError(EngineError):
    """A damaged file: the message names the file and offset."""


class EngineIOError(EngineError, OSError):
    """An I/O call failed (EIO and friends)."""


class NoSpaceError(EngineIOError):
    """The disk is full."""


class LockedError(EngineError):
    """The directory is held by another engine (this process or another)."""


class ClosedError(EngineError, ValueError):
    """The engine (or the iterator, snapshot or tail) was closed."""


class MisuseError(EngineError, ValueError):
    """The API was used wrongly (bad argument, wrong order)."""


class NoMemoryError(EngineError, MemoryError):
    """The engine could not allocate memory."""


class InvalidError(EngineError, ValueError):
    """Invalid options or data (not corruption)."""


class TrimmedError(EngineError):
    """A WAL tail asked for records that are already deleted."""


# code -> (name, class). The codes are csrc/dyncore.h's DC_* values.
ENGINE_ERRORS: dict[int, tuple[str, type[EngineError]]] = {
    2: ("CORRUPT", CorruptionError),
    3: ("IOERR", EngineIOError),
    4: ("NOSPC", NoSpaceError),
    5: ("LOCKED", LockedError),
    6: ("CLOSED", ClosedError),
    7: ("MISUSE", MisuseError),
    8: ("NOMEM", NoMemoryError),
    9: ("INVALID", InvalidError),
    10: ("TRIMMED", TrimmedError),
}

for _code, (_name, _cls) in ENGINE_ERRORS.items():
    _cls.code = _code
    _cls.name = _name
del _code, _name, _cls


def engine_error(code: int, message: str = "") -> EngineError:
    """The exception for engine result `code` (not raised, returned)."""
    entry = ENGINE_ERRORS.get(code)
    if entry is None:
        return EngineError(message or f"engine error {code}", code)
    return entry[1](message or entry[0].lower(), code)
