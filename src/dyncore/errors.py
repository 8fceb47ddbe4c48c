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


# --------------------------------------------------------------------------
# DynamoDB errors
# --------------------------------------------------------------------------
#
# One class per DynamoDB error type. Each instance looks like what botocore
# raises for that error: `.response["Error"]["Code"]` and `["Message"]`,
# `.operation_name`, and str() "An error occurred (<Code>) when calling the
# <Op> operation: <message>". When botocore is importable the base class also
# derives from botocore.exceptions.ClientError, so `except ClientError` in code
# written for boto3 catches dyncore's errors unchanged.

try:  # pragma: no cover - depends on the environment
    from botocore.exceptions import ClientError as _ClientErrorBase
    from botocore.exceptions import ParamValidationError as _ParamErrorBase
except ImportError:  # pragma: no cover
    class _ClientErrorBase(Exception):  # type: ignore[no-redef]
        """Stand-in with botocore ClientError's shape, when botocore is absent."""

        MSG_TEMPLATE = ("An error occurred ({error_code}) when calling the "
                        "{operation_name} operation: {error_message}")

        def __init__(self, error_response, operation_name):
            err = error_response.get("Error", {})
            super().__init__(self.MSG_TEMPLATE.format(
                error_code=err.get("Code", "Unknown"),
                error_message=err.get("Message", "Unknown"),
                operation_name=operation_name))
            self.response = error_response
            self.operation_name = operation_name

    class _ParamErrorBase(ValueError):  # type: ignore[no-redef]
        def __init__(self, report=""):
            super().__init__(f"Parameter validation failed:\n{report}")
            self.kwargs = {"report": report}

NS_DYNAMODB = "com.amazonaws.dynamodb.v20120810#"
NS_VALIDATE = "com.amazon.coral.validate#"
NS_SERVICE = "com.amazon.coral.service#"


class DynamoDBError(DyncoreError, _ClientErrorBase):
    """Base of DynamoDB's API errors.

    `code` is DynamoDB's error name ("ValidationException"), `namespace` the
    prefix of its `__type`, `status` the HTTP status, `message_key` the JSON
    member that carries the message ("message", or "Message" for
    TransactionCanceledException). `extra` holds further members of the error
    body (Item, CancellationReasons, ...), copied into `.response` too.
    """

    code = "DynamoDBError"
    namespace = NS_DYNAMODB
    status = 400
    message_key = "message"
    retryable = False
    modeled = False   # in DynamoDB's service model: botocore copies the body's members

    def __init__(self, message: str = "", operation_name: str | None = None, **extra):
        self.message = message
        self.extra = extra
        response = {
            "Error": {"Code": self.code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": self.status, "RetryAttempts": 0},
        }
        if self.modeled:
            # botocore puts a modeled error's members (its message included)
            # at the top of e.response, as parsed from the body
            response[self.message_key] = message
        response.update(extra)
        _ClientErrorBase.__init__(self, response, operation_name or "Unknown")

    @property
    def type(self) -> str:
        """The `__type` of the error body."""
        return self.namespace + self.code

    def with_operation(self, operation_name: str) -> "DynamoDBError":
        """This error, re-labelled for `operation_name` (str() names it)."""
        if operation_name == self.operation_name:
            return self
        err = type(self)(self.message, operation_name, **self.extra)
        err.__traceback__ = self.__traceback__
        return err

    def body(self) -> dict:
        """The JSON error body DynamoDB sends (without a message when the
        error has none, as for a body that is not JSON)."""
        out = {"__type": self.type}
        if self.message:
            out[self.message_key] = self.message
        out.update(self.extra)
        return out

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.operation_name, self.extra))


def _rebuild(cls, message, operation_name, extra):
    return cls(message, operation_name, **extra)


class ParamValidationError(DyncoreError, _ParamErrorBase):
    """A request that does not fit the operation's shape (what botocore checks
    on the client side before sending): missing or unknown parameters, wrong
    Python types. Derives from botocore's ParamValidationError when available."""

    def __init__(self, report: str):
        _ParamErrorBase.__init__(self, report=report)
        self.report = report


# name -> (namespace, HTTP status, retryable). Every class below is built from
# this table and exported from this module under its DynamoDB name.
DYNAMODB_ERRORS: dict[str, tuple[str, int, bool]] = {
    "ValidationException": (NS_VALIDATE, 400, False),
    "ConditionalCheckFailedException": (NS_DYNAMODB, 400, False),
    "ResourceNotFoundException": (NS_DYNAMODB, 400, False),
    "ResourceInUseException": (NS_DYNAMODB, 400, False),
    "ProvisionedThroughputExceededException": (NS_DYNAMODB, 400, True),
    "ThrottlingException": (NS_DYNAMODB, 400, True),
    "RequestLimitExceeded": (NS_DYNAMODB, 400, True),
    "LimitExceededException": (NS_DYNAMODB, 400, False),
    "ItemCollectionSizeLimitExceededException": (NS_DYNAMODB, 400, False),
    "TransactionCanceledException": (NS_DYNAMODB, 400, False),
    "TransactionConflictException": (NS_DYNAMODB, 400, False),
    "TransactionInProgressException": (NS_DYNAMODB, 400, False),
    "IdempotentParameterMismatchException": (NS_DYNAMODB, 400, False),
    "DuplicateItemException": (NS_DYNAMODB, 400, False),
    "BackupNotFoundException": (NS_DYNAMODB, 400, False),
    "BackupInUseException": (NS_DYNAMODB, 400, False),
    "ContinuousBackupsUnavailableException": (NS_DYNAMODB, 400, False),
    "PointInTimeRecoveryUnavailableException": (NS_DYNAMODB, 400, False),
    "InvalidRestoreTimeException": (NS_DYNAMODB, 400, False),
    "TableNotFoundException": (NS_DYNAMODB, 400, False),
    "TableAlreadyExistsException": (NS_DYNAMODB, 400, False),
    "TableInUseException": (NS_DYNAMODB, 400, False),
    "IndexNotFoundException": (NS_DYNAMODB, 400, False),
    "GlobalTableNotFoundException": (NS_DYNAMODB, 400, False),
    "GlobalTableAlreadyExistsException": (NS_DYNAMODB, 400, False),
    "ReplicaNotFoundException": (NS_DYNAMODB, 400, False),
    "ReplicaAlreadyExistsException": (NS_DYNAMODB, 400, False),
    "ExportNotFoundException": (NS_DYNAMODB, 400, False),
    "ExportConflictException": (NS_DYNAMODB, 400, False),
    "InvalidExportTimeException": (NS_DYNAMODB, 400, False),
    "ImportNotFoundException": (NS_DYNAMODB, 400, False),
    "ImportConflictException": (NS_DYNAMODB, 400, False),
    "PolicyNotFoundException": (NS_DYNAMODB, 400, False),
    "ExpiredIteratorException": (NS_DYNAMODB, 400, False),
    "TrimmedDataAccessException": (NS_DYNAMODB, 400, False),
    "InternalServerError": (NS_DYNAMODB, 500, True),
    "ServiceUnavailable": (NS_SERVICE, 503, True),
    "SerializationException": (NS_SERVICE, 400, False),
    "UnknownOperationException": (NS_SERVICE, 400, False),
    "AccessDeniedException": (NS_SERVICE, 400, False),
    "UnrecognizedClientException": (NS_SERVICE, 400, False),
    "InvalidSignatureException": (NS_SERVICE, 400, False),
    "MissingAuthenticationTokenException": (NS_SERVICE, 400, False),
    "IncompleteSignatureException": (NS_SERVICE, 400, False),
}

# Errors whose body carries "Message" rather than "message" (botocore's
# service model; SerializationException as the service sends it).
_CAPITAL_MESSAGE = frozenset(("TransactionCanceledException", "SerializationException",
                              "IdempotentParameterMismatchException",
                              "TransactionInProgressException"))
# Errors DynamoDB's service model declares (botocore 1.44): their members
# appear at the top of a ClientError's response. ValidationException and the
# coral service errors are not among them.
_MODELED = frozenset((
    "BackupInUseException", "BackupNotFoundException", "ConditionalCheckFailedException",
    "ContinuousBackupsUnavailableException", "DuplicateItemException",
    "ExportConflictException", "ExportNotFoundException", "GlobalTableAlreadyExistsException",
    "GlobalTableNotFoundException", "IdempotentParameterMismatchException",
    "ImportConflictException", "ImportNotFoundException", "IndexNotFoundException",
    "InternalServerError", "InvalidExportTimeException", "InvalidRestoreTimeException",
    "ItemCollectionSizeLimitExceededException", "LimitExceededException",
    "PointInTimeRecoveryUnavailableException", "PolicyNotFoundException",
    "ProvisionedThroughputExceededException", "ReplicaAlreadyExistsException",
    "ReplicaNotFoundException", "RequestLimitExceeded", "ResourceInUseException",
    "ResourceNotFoundException", "TableAlreadyExistsException", "TableInUseException",
    "TableNotFoundException", "ThrottlingException", "TransactionCanceledException",
    "TransactionConflictException", "TransactionInProgressException"))

ERROR_CLASSES: dict[str, type[DynamoDBError]] = {}
for _name, (_ns, _status, _retry) in DYNAMODB_ERRORS.items():
    _attrs = {"code": _name, "namespace": _ns, "status": _status, "retryable": _retry,
              "__module__": __name__,
              "__doc__": f"DynamoDB's {_name} (HTTP {_status})."}
    if _name in _CAPITAL_MESSAGE:
        _attrs["message_key"] = "Message"
    if _name in _MODELED:
        _attrs["modeled"] = True
    ERROR_CLASSES[_name] = type(_name, (DynamoDBError,), _attrs)
    globals()[_name] = ERROR_CLASSES[_name]
    __all__.append(_name)
del _name, _ns, _status, _retry, _attrs
__all__ += ["DynamoDBError", "ParamValidationError", "DYNAMODB_ERRORS", "ERROR_CLASSES"]

