"""Request-parameter validation: the checks DynamoDB (and botocore) make before
an operation runs.

    validate(operation, params, mode="client")

raises, in this order:

1. shape errors --
   mode "client" (the embedded boto3-shaped client; values in botocore's Python
   form): what botocore's ParamValidator reports client-side, as
   `dyncore.errors.ParamValidationError(report)` with botocore's report text
   (missing required / unknown parameters, wrong Python types, the model's
   minimum lengths and values; several problems joined by newlines);
   mode "native" (the resource layer; AttributeValue places hold native Python
   values, as before boto3's resource serializes them): the client rules with
   AttributeValue places unchecked -- the codec converts and checks them;
   mode "json" (the HTTP server; a decoded JSON body): what the service's
   deserializer reports, as `SerializationException` with its text
   ("NUMBER_VALUE cannot be converted to String", "Unexpected field type",
   "Start of structure or map found where not expected", ...). Unknown members
   and JSON nulls are ignored, as the service does; the first bad member in
   body order is reported. AttributeValues are checked only for being objects
   in client mode (the item codec owns their contents); in json mode their
   members' JSON types and base64 text are checked as well, because the service
   reports those as SerializationException before any ValidationException.
2. the TableName pre-check of the control-plane operations (CreateTable,
   DescribeTable, ...): "The parameter 'TableName' is required but was not
   present in the request" / "TableName must be at least 3 characters long and
   at most 255 characters long";
3. constraint violations, all collected (at most 10, as the service does) into
   one ValidationException in the service's framework form:
   "1 validation error detected: Value 'x' at 'tableName' failed to satisfy
   constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
   / "N validation errors detected: ...; ...".

Semantic checks (key schema, expressions, AttributeValue contents, ...) come
after, in the operations.

Shapes are data (dyncore.api.shapes). Each (operation, mode) compiles once into
a fast predicate (plain closures, no paths or messages) that accepts a correct
request; only a request it rejects takes the slow path that builds the exact
report, so a valid put_item with a few attributes costs about a microsecond.
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
import decimal
import math
import re

from dyncore.api import shapes as _s
from dyncore.api.shapes import AV, OPERATIONS, Blob, Bool, ListOf, MapOf, Str, Struct
from dyncore.errors import (ParamValidationError, SerializationException, ValidationException,
                            UnknownOperationException)

__all__ = [
    "validate", "OPERATIONS", "MODES",
    "METHOD_TO_OPERATION", "OPERATION_TO_METHOD", "operation_name", "method_name",
    "client_report", "deep_client_report", "constraint_errors", "MAX_REPORTED_ERRORS",
    "json_attribute_values",
]

MODES = ("client", "native", "json")
MAX_REPORTED_ERRORS = 10  # the service lists at most ten violations

# --------------------------------------------------------------------------
# Operation names <-> boto3 method names
# --------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def method_name(operation: str) -> str:
    """boto3's method name for an operation: PutItem -> put_item."""
    return _CAMEL.sub("_", operation).lower()


OPERATION_TO_METHOD: dict[str, str] = {op: method_name(op) for op in OPERATIONS}
METHOD_TO_OPERATION: dict[str, str] = {m: op for op, m in OPERATION_TO_METHOD.items()}


def operation_name(name: str) -> str:
    """The operation for a boto3 method name or an operation name."""
    if name in OPERATIONS:
        return name
    op = METHOD_TO_OPERATION.get(name)
    if op is None:
        raise UnknownOperationException("")
    return op


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------

_COMPILED: dict[tuple[str, str], object] = {}


def validate(operation: str, params: dict, mode: str = "client") -> None:
    """Check `params` of `operation` (name or boto3 method name); raise
    ParamValidationError / SerializationException / ValidationException."""
    fn = _COMPILED.get((operation, mode))
    if fn is None:
        fn = _compile_operation(operation, mode)
    fn(params)


def _compile_operation(operation, mode):
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    op = operation_name(operation)
    shape = OPERATIONS[op]
    client = mode != "json"
    native = mode == "native"
    fast = _fast(shape, client, native)
    precheck = op in _s.CONTROL_PLANE_TABLE_NAME
    if precheck:
        fast_shape = fast

        def fast(v, _f=fast_shape):
            if not _f(v):
                return False
            name = v.get("TableName")
            return type(name) is str and (3 <= len(name) <= 255 or name.startswith("arn:"))

    def run(params):
        if fast(params):
            return
        _slow(op, shape, params, client, precheck, native)

    run.fast = fast
    run.operation = op

    _COMPILED[(operation, mode)] = run
    _COMPILED[(op, mode)] = run
    return run


def _slow(op, shape, params, client, precheck, native=False):
    if client:
        report = client_report(shape, params, native)
        if report:
            raise ParamValidationError(report)
    else:
        msg = _json_error(shape, params, True)
        if msg is not None:
            raise SerializationException(msg)
    if precheck:
        name = params.get("TableName")
        if name is None:
            raise ValidationException(
                "The parameter 'TableName' is required but was not present in the request")
        if isinstance(name, str) and not name.startswith("arn:") and not 3 <= len(name) <= 255:
            raise ValidationException(
                "TableName must be at least 3 characters long and at most 255 characters long")
    errors = constraint_errors(shape, params)
    if errors:
        n = len(errors)
        raise ValidationException(
            f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(errors))


# --------------------------------------------------------------------------
# Client mode: botocore's ParamValidator, rule for rule
# --------------------------------------------------------------------------

_T_DICT = str(dict)
_T_LIST = [str(list), str(tuple)]
_SCALAR_TYPES = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "double": (float, decimal.Decimal, int),
}
_SCALAR_NAMES = {k: [str(t) for t in v] for k, v in _SCALAR_TYPES.items()}
_BLOB_NAMES = [str(bytes), str(bytearray), "file-like object"]
_TIME_NAMES = [str(_dt.datetime), "timestamp-string"]


def client_report(shape: Struct, params, native: bool = False, deep: bool = False) -> str:
    """botocore's report for `params` against `shape` ("" when valid).
    `native`: AttributeValue places are not checked (native Python values).
    `deep`: AttributeValues are checked member by member as botocore does
    (the item codec checks them on the normal path; see `deep_client_report`)."""
    errs: list[str] = []
    _bc(shape, params, "", errs, native, deep)
    return "\n".join(errs)


def deep_client_report(operation: str, params) -> str:
    """botocore's full report for a client-form request, AttributeValues
    included ("" when botocore would send it). The client asks for it when a
    request failed further in, so that what botocore would have refused
    client-side is reported as botocore reports it."""
    return client_report(OPERATIONS[operation_name(operation)], params, False, True)


# botocore's AttributeValue: a structure of ten optional members.
_AV_STRUCT = Struct("AttributeValue", S=Str(), N=Str(), B=Blob(), SS=ListOf(Str()),
                    NS=ListOf(Str()), BS=ListOf(Blob()), M=MapOf(AV), L=ListOf(AV),
                    NULL=Bool(), BOOL=Bool())


def _bc_name(name):
    if not name:
        return "input"
    return name[1:] if name.startswith(".") else name


def _bc_type(name, param, valid):
    return (f"Invalid type for parameter {_bc_name(name)}, value: {param}, "
            f"type: {type(param)}, valid types: {', '.join(valid)}")


def _bc(shape, v, name, errs, native=False, deep=False):
    kind = shape.kind
    if kind == "structure":
        if not isinstance(v, dict):
            errs.append(_bc_type(name, v, [_T_DICT]))
            return
        members = shape.members
        for r in shape.required:
            if r not in v:
                errs.append(f'Missing required parameter in {_bc_name(name)}: "{r}"')
        known = []
        for k in v:
            if k in members:
                known.append(k)
            else:
                errs.append(f'Unknown parameter in {_bc_name(name)}: "{k}", '
                            f'must be one of: {", ".join(members)}')
        for k in known:
            _bc(members[k], v[k], f"{name}.{k}", errs, native, deep)
    elif kind == "av":
        if deep and not native:
            _bc(_AV_STRUCT, v, name, errs, False, True)
        elif not native and not isinstance(v, dict):
            errs.append(_bc_type(name, v, [_T_DICT]))
    elif kind == "list":
        if not isinstance(v, (list, tuple)):
            errs.append(_bc_type(name, v, _T_LIST))
            return
        if shape.bmin is not None and len(v) < shape.bmin:
            errs.append(f"Invalid length for parameter {_bc_name(name)}, value: {len(v)}, "
                        f"valid min length: {shape.bmin}")
        member = shape.member
        for i, x in enumerate(v):
            _bc(member, x, f"{name}[{i}]", errs, native, deep)
    elif kind == "map":
        if not isinstance(v, dict):
            errs.append(_bc_type(name, v, [_T_DICT]))
            return
        for k, x in v.items():
            _bc(shape.key, k, f"{name} (key: {k})", errs, native, deep)
            _bc(shape.value, x, f"{name}.{k}", errs, native, deep)
    elif kind == "string":
        if not isinstance(v, str):
            errs.append(_bc_type(name, v, _SCALAR_NAMES["string"]))
        elif shape.bmin is not None and len(v) < shape.bmin:
            errs.append(f"Invalid length for parameter {_bc_name(name)}, value: {len(v)}, "
                        f"valid min length: {shape.bmin}")
    elif kind in ("integer", "long", "double"):
        if not isinstance(v, _SCALAR_TYPES[kind]):
            errs.append(_bc_type(name, v, _SCALAR_NAMES[kind]))
        elif shape.bmin is not None and v < shape.bmin:
            errs.append(f"Invalid value for parameter {_bc_name(name)}, value: {v}, "
                        f"valid min value: {shape.bmin}")
    elif kind == "boolean":
        if not isinstance(v, bool):
            errs.append(_bc_type(name, v, _SCALAR_NAMES["boolean"]))
    elif kind == "blob":
        if not (isinstance(v, (bytes, bytearray, str)) or hasattr(v, "read")):
            errs.append(_bc_type(name, v, _BLOB_NAMES))
    elif kind == "timestamp":
        if not _is_timestamp(v):
            errs.append(_bc_type(name, v, _TIME_NAMES))
    else:  # pragma: no cover - a shape kind without a rule
        raise AssertionError(kind)


try:
    from botocore.utils import parse_to_aware_datetime as _parse_datetime
except ImportError:  # pragma: no cover - botocore absent
    _parse_datetime = None


def _is_timestamp(v) -> bool:
    """botocore's check: a datetime, an epoch number, or a parseable string."""
    if _parse_datetime is None:  # pragma: no cover - botocore absent
        if isinstance(v, (_dt.datetime, int, float)):
            return True
        if isinstance(v, str):
            try:
                float(v)
                return True
            except ValueError:
                try:
                    _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
                    return True
                except ValueError:
                    return False
        return False
    try:
        _parse_datetime(v)
        return True
    except (TypeError, ValueError, AttributeError, OverflowError):
        return False


# --------------------------------------------------------------------------
# JSON mode: the service's deserializer
# --------------------------------------------------------------------------

# [D] = dynalite test/helpers.js assertType, recorded against live DynamoDB.
_CAST_MSG = ("class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be "
             "cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects."
             "ParameterizedTypeImpl and java.lang.Class are in module java.base of loader "
             "'bootstrap')")
_START_OF_MAP = "Start of structure or map found where not expected"
_FIELD = "Unexpected field type"
_VALUE = "Unexpected value type in payload"
_SHORT = {"string": "String", "integer": "Integer", "long": "Long", "double": "Double",
          "boolean": "Boolean", "timestamp": "Date"}

# The members of an AttributeValue, as the deserializer reads them.
_AV_STRUCT = Struct(
    "AttributeValue",
    S=Str(), N=Str(), B=Blob(), SS=ListOf(Str()), NS=ListOf(Str()), BS=ListOf(Blob()),
    M=MapOf(AV), L=ListOf(AV), NULL=Bool(), BOOL=Bool(),
)


def _token(v):
    """The deserializer's name for a JSON scalar token."""
    t = type(v)
    if t is bool:
        return "TRUE_VALUE" if v else "FALSE_VALUE"
    if t is int:
        return "NUMBER_VALUE"
    if t is float:
        return "DECIMAL_VALUE"
    return "STRING_VALUE"


_B64_CANONICAL = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_B64_INDEX = {c: i for i, c in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _b64_error(s: str):
    """The deserializer's complaint about base64 text `s`, or None."""
    n = len(s)
    if n % 4:
        return f"Base64 encoded length is expected a multiple of 4 bytes but found: {n}"
    if _B64_CANONICAL.fullmatch(s) is not None:  # the usual case, without a Python loop
        if n and s[-1] == "=":
            bits = _B64_INDEX[s.rstrip("=")[-1]]
            if (bits & 0x0F) if s[-2] == "=" else (bits & 0x03):
                return "Invalid last non-pad Base64 character dectected"
        return None
    core = s.rstrip("=")
    pad = n - len(core)
    for c in core:
        if c not in _B64_INDEX and c != "=":
            return f"Invalid Base64 character: '{c}'"
    # Decoders ignore misplaced padding up to the last data character; what
    # they reject is a last character with bits left over [D '=+/=', '+/+='].
    data = core.replace("=", "")
    rem = len(data) % 4
    if pad > 2 or rem == 1:
        return "Invalid last non-pad Base64 character dectected"
    if data and rem:
        bits = _B64_INDEX[data[-1]]
        if (rem == 2 and bits & 0x0F) or (rem == 3 and bits & 0x03):
            return "Invalid last non-pad Base64 character dectected"
    return None


def _json_error(shape, v, field):
    """The SerializationException message for `v` against `shape`, or None.
    `field` is True where `v` is a structure member, False where it is a list
    element or a map value (the service words some errors differently)."""
    kind = shape.kind
    t = type(v)
    if kind == "av":
        shape, kind = _AV_STRUCT, "structure"
    if kind == "structure":
        if t is not dict:
            if t is list:
                return f"Unrecognized collection type class {shape.java}"
            return _FIELD if field else _VALUE
        members = shape.members
        for k, x in v.items():
            m = members.get(k)
            if m is None or x is None:
                continue
            msg = _json_error(m, x, True)
            if msg is not None:
                return msg
        return None
    if kind == "list":
        if t is not list:
            if t is dict:
                return _START_OF_MAP
            return _FIELD if field else _CAST_MSG
        member = shape.member
        for x in v:
            if x is not None:
                msg = _json_error(member, x, False)
                if msg is not None:
                    return msg
        return None
    if kind == "map":
        if t is not dict:
            if t is list:
                return f"Unrecognized collection type {shape.java}"
            return _FIELD if field else _CAST_MSG
        value = shape.value
        for x in v.values():
            if x is not None:
                msg = _json_error(value, x, False)
                if msg is not None:
                    return msg
        return None
    # scalars
    if t is dict:
        return _START_OF_MAP
    if t is list:
        return f"Unrecognized collection type class {shape.java}"
    if kind == "string":
        if t is str:
            return None
        return f"{_token(v)} cannot be converted to String"
    if kind in ("integer", "long", "double", "timestamp"):
        if t is int or t is float:
            return None
        return f"{_token(v)} cannot be converted to {_SHORT[kind]}"
    if kind == "boolean":
        if t is bool:
            return None
        if t is str:
            return None if v.lower() in ("true", "false") else \
                "Unexpected token received from parser"
        return f"{_token(v)} cannot be converted to Boolean"
    if kind == "blob":
        if t is not str:
            return "only base-64-encoded strings are convertible to bytes"
        return _b64_error(v)
    raise AssertionError(kind)  # pragma: no cover


# --------------------------------------------------------------------------
# Constraints: the service's framework validation
# --------------------------------------------------------------------------

_CHECK_TEXT = {
    "pattern": "Member must satisfy regular expression pattern: {}",
    "min_len": "Member must have length greater than or equal to {}",
    "max_len": "Member must have length less than or equal to {}",
    "min": "Member must have value greater than or equal to {}",
    "max": "Member must have value less than or equal to {}",
}
_ARN_CHECKS = (("max_len", 1024),)
_NUMERIC = frozenset({"integer", "long", "double"})
_PATTERNS: dict[str, re.Pattern] = {}


def _pattern(p):
    r = _PATTERNS.get(p)
    if r is None:
        r = _PATTERNS[p] = re.compile(p)
    return r


def _check_text(check):
    name, arg = check
    if name == "enum":
        return "Member must satisfy enum value set: [" + ", ".join(arg) + "]"
    return _CHECK_TEXT[name].format(arg)


def _jlen(s):
    """Java's String.length(): UTF-16 code units."""
    if type(s) is str and not s.isascii():
        return len(s.encode("utf-16-le")) // 2
    return len(s)


def _passes(check, v) -> bool:
    name, arg = check
    if name == "pattern":
        return isinstance(v, str) and _pattern(arg).fullmatch(v) is not None
    if name == "min_len":
        return _jlen(v) >= arg
    if name == "max_len":
        return _jlen(v) <= arg
    if name == "min":
        return v >= arg
    if name == "max":
        return v <= arg
    if name == "enum":
        return v in arg
    raise AssertionError(name)  # pragma: no cover


def _render(v) -> str:
    """A value as the service prints it (Java toString)."""
    if v is None:
        return "null"
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e7:
            return f"{v:.1f}"
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_render(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={_render(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (bytes, bytearray)):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(v)} cap={len(v)}]"
    return str(v)


def _lower_first(name):
    return name[:1].lower() + name[1:]


class _Full(Exception):
    """Raised when ten violations are collected: the service stops there."""


def _add(errs, v, path, text):
    shown = "null" if v is None else f"'{_render(v)}'"
    errs.append(f"Value {shown} at '{path}' failed to satisfy constraint: {text}")
    if len(errs) >= MAX_REPORTED_ERRORS:
        raise _Full


def constraint_errors(shape: Struct, params: dict) -> list[str]:
    """The service's constraint violations of a shape-valid request, in its
    order, at most MAX_REPORTED_ERRORS."""
    errs: list[str] = []
    try:
        _c_struct(shape, params, "", errs)
    except _Full:
        pass
    return errs


def _c_struct(shape, v, path, errs):
    members = shape.members
    nn = shape.nn
    prefix = path + "." if path else ""
    for name in shape.order:
        x = v.get(name)
        p = prefix + _lower_first(name)
        if x is None:
            if name in nn:
                _add(errs, None, p, "Member must not be null")
            continue
        _c_value(members[name], x, p, errs)


def _scalar_checks(shape, v):
    if shape.arn and type(v) is str and v.startswith("arn:"):
        return _ARN_CHECKS
    return shape.checks


def _c_value(shape, v, path, errs):
    kind = shape.kind
    if kind == "structure":
        if isinstance(v, dict):
            _c_struct(shape, v, path, errs)
        return
    if kind == "av":
        return
    if kind in _NUMERIC and type(v) is float and math.isfinite(v) and kind != "double":
        v = int(v)  # JSON numbers for Integer/Long members are truncated
    for check in _scalar_checks(shape, v):
        if not _passes(check, v):
            _add(errs, v, path, _check_text(check))
    if kind == "list":
        member = shape.member
        for i, x in enumerate(v, 1):
            if x is not None:
                _c_value(member, x, f"{path}.{i}.member", errs)
    elif kind == "map":
        if shape.key_checks:
            text = None
            for k in v:
                checks = _ARN_CHECKS if shape.arn and k.startswith("arn:") else shape.key_checks
                if not all(_passes(c, k) for c in checks):
                    if text is None:
                        text = "Map keys must satisfy constraint: [" + ", ".join(
                            _check_text(c) for c in shape.key_checks) + "]"
                    _add(errs, v, path, text)
        if shape.value_checks:
            text = None
            for x in v.values():
                if x is not None and not all(_passes(c, x) for c in shape.value_checks):
                    if text is None:
                        text = "Map value must satisfy constraint: [" + ", ".join(
                            _check_text(c) for c in shape.value_checks) + "]"
                    _add(errs, v, path, text)
        value = shape.value
        # Entries first to last [D test/query.js: keyConditions.a is listed,
        # keyConditions.b is the eleventh violation, dropped].
        for k, x in v.items():
            if x is not None:
                _c_value(value, x, f"{path}.{k}.member", errs)


# --------------------------------------------------------------------------
# Fast predicates: True only for a request that passes every check above
# --------------------------------------------------------------------------

_NAME_CACHE_MAX = 4096


def _scalar_pred(shape, client):
    """A predicate for the service checks (and botocore's min, client side) of
    a scalar or a collection's own length; None when there is none."""
    checks = shape.checks
    bmin = shape.bmin if client else None
    if not checks and bmin is None:
        return None
    kind = shape.kind
    if kind in ("string", "list", "map"):
        lo, hi, pat, enum = 0, None, None, None
        for name, arg in checks:
            if name == "min_len":
                lo = max(lo, arg)
            elif name == "max_len":
                hi = arg
            elif name == "pattern":
                pat = _pattern(arg).fullmatch
            elif name == "enum":
                enum = frozenset(arg)
        if bmin is not None:
            lo = max(lo, bmin)
        if kind != "string":
            return lambda v: len(v) >= lo and (hi is None or len(v) <= hi)
        if enum is not None:
            return enum.__contains__
        arn = shape.arn
        if pat is None:
            slo = 0  # the service's minimum, on Java's length
            for name, arg in checks:
                if name == "min_len":
                    slo = arg

            def str_ok(v):
                n = _jlen(v)
                return (bmin is None or len(v) >= bmin) and n >= slo and (hi is None or n <= hi)
            return str_ok
        good = set()

        def name_ok(v):
            if v in good:
                return True
            if arn and v.startswith("arn:"):
                return len(v) <= 1024 and (bmin is None or len(v) >= bmin)
            if pat(v) is None or len(v) < lo or (hi is not None and len(v) > hi):
                return False
            if len(good) >= _NAME_CACHE_MAX:
                good.clear()
            good.add(v)
            return True
        return name_ok
    # numbers
    lo = hi = None
    for name, arg in checks:
        if name == "min":
            lo = arg
        elif name == "max":
            hi = arg
    if bmin is not None:
        lo = bmin if lo is None else max(lo, bmin)
    if lo is not None and hi is not None:
        return lambda v: lo <= v <= hi
    if lo is not None:
        return lambda v: v >= lo
    if hi is not None:
        return lambda v: v <= hi
    return None


def _fast(shape, client, native=False):
    kind = shape.kind
    if kind == "structure":
        return _fast_struct(shape, client, native)
    if kind == "av":
        if native:
            return _anything
        if client:
            return lambda v: isinstance(v, dict)
        return _fast_av_json
    if kind == "list":
        return _fast_list(shape, client, native)
    if kind == "map":
        return _fast_map(shape, client, native)
    pred = _scalar_pred(shape, client)
    if kind == "string":
        if pred is None:
            if client:
                return lambda v: isinstance(v, str)
            return lambda v: type(v) is str
        if client:
            return lambda v: isinstance(v, str) and pred(v)
        return lambda v: type(v) is str and pred(v)
    if kind in ("integer", "long"):
        if client:
            if pred is None:
                return lambda v: isinstance(v, int)
            return lambda v: isinstance(v, int) and pred(v)

        def json_int(v):
            t = type(v)
            if t is int:
                return pred is None or pred(v)
            if t is float and math.isfinite(v):
                return pred is None or pred(int(v))
            return False
        return json_int
    if kind == "double":
        if client:
            return lambda v: isinstance(v, (float, decimal.Decimal, int))
        return lambda v: type(v) is int or type(v) is float
    if kind == "boolean":
        if client:
            return lambda v: isinstance(v, bool)
        return _fast_bool_json
    if kind == "blob":
        if client:
            return lambda v: isinstance(v, (bytes, bytearray, str)) or hasattr(v, "read")
        return lambda v: type(v) is str and _b64_error(v) is None
    if kind == "timestamp":
        if client:
            return _is_timestamp
        return lambda v: type(v) is int or type(v) is float
    raise AssertionError(kind)  # pragma: no cover


def _anything(v):
    return True


def _fast_bool_json(v):
    t = type(v)
    return t is bool or (t is str and v.lower() in ("true", "false"))


def _fast_struct(shape, client, native):
    members = {k: _fast(m, client, native) for k, m in shape.members.items()}
    must = tuple(dict.fromkeys(shape.required + shape.nn)) if client else shape.nn
    get = members.get

    if client:
        def f(v):
            if not isinstance(v, dict):
                return False
            for k, x in v.items():
                g = get(k)
                if g is None or not g(x):
                    return False
            for r in must:
                if r not in v:
                    return False
            return True
    else:
        def f(v):
            if type(v) is not dict:
                return False
            for k, x in v.items():
                if x is not None:
                    g = get(k)
                    if g is not None and not g(x):
                        return False
            for r in must:
                if v.get(r) is None:
                    return False
            return True
    return f


def _fast_list(shape, client, native):
    g = _fast(shape.member, client, native)
    own = _scalar_pred(shape, client)
    if client:
        def f(v):
            if not isinstance(v, (list, tuple)):
                return False
            if own is not None and not own(v):
                return False
            for x in v:
                if not g(x):
                    return False
            return True
    else:
        def f(v):
            if type(v) is not list:
                return False
            if own is not None and not own(v):
                return False
            for x in v:
                if x is not None and not g(x):
                    return False
            return True
    return f


def _fast_map(shape, client, native):
    g = _fast(shape.value, client, native)
    own = _scalar_pred(shape, client)
    key_bmin = shape.key.bmin if client else None
    key_ok = None
    if shape.key_checks:
        key_ok = _scalar_pred(Str(shape.key_checks, key_bmin, shape.arn), client)
    elif key_bmin:
        key_ok = lambda k: len(k) >= key_bmin  # noqa: E731
    value_ok = _scalar_pred(ListOf(Str(), shape.value_checks), client) if shape.value_checks \
        else None
    simple = key_ok is None and value_ok is None
    if client and simple and own is None and shape.value.kind == "av":
        # An item or a key: str names to AttributeValue dicts (native: to
        # anything), checked inline. A subclass takes the exact (slow) path.
        if native:
            def f(v):
                if type(v) is not dict:
                    return False
                for k in v:
                    if type(k) is not str:
                        return False
                return True
        else:
            def f(v):
                if type(v) is not dict:
                    return False
                for k, x in v.items():
                    if type(k) is not str or type(x) is not dict:
                        return False
                return True
        return f
    if client:
        if simple:
            def f(v):
                if not isinstance(v, dict):
                    return False
                if own is not None and not own(v):
                    return False
                for k, x in v.items():
                    if not isinstance(k, str) or not g(x):
                        return False
                return True
        else:
            def f(v):
                if not isinstance(v, dict):
                    return False
                if own is not None and not own(v):
                    return False
                for k, x in v.items():
                    if not isinstance(k, str) or not g(x):
                        return False
                    if key_ok is not None and not key_ok(k):
                        return False
                    if value_ok is not None and not value_ok(x):
                        return False
                return True
    else:
        def f(v):
            if type(v) is not dict:
                return False
            if own is not None and not own(v):
                return False
            for k, x in v.items():
                if key_ok is not None and not key_ok(k):
                    return False
                if x is None:
                    continue
                if not g(x):
                    return False
                if value_ok is not None and not value_ok(x):
                    return False
            return True
    return f


def _fast_str_list(v):
    if type(v) is not list:
        return False
    for x in v:
        if x is not None and type(x) is not str:
            return False
    return True


def json_attribute_values(item: dict) -> bool:
    """JSON mode: every value of `item` (an Item, a Key) deserializes as an
    AttributeValue (the shape check's own predicate)."""
    for v in item.values():
        if v is not None and not _fast_av_json(v):
            return False
    return True


def _fast_av_json(v):
    """JSON mode: `v` deserializes as an AttributeValue."""
    if type(v) is not dict:
        return False
    for k, x in v.items():
        if x is None:
            continue
        if k == "S" or k == "N":
            if type(x) is not str:
                return False
        elif k == "M":
            if type(x) is not dict:
                return False
            for y in x.values():
                if y is not None and not _fast_av_json(y):
                    return False
        elif k == "L":
            if type(x) is not list:
                return False
            for y in x:
                if y is not None and not _fast_av_json(y):
                    return False
        elif k == "SS" or k == "NS":
            if not _fast_str_list(x):
                return False
        elif k == "BOOL" or k == "NULL":
            if not _fast_bool_json(x):
                return False
        elif k == "B":
            if type(x) is not str or _b64_error(x) is not None:
                return False
        elif k == "BS":
            if type(x) is not list:
                return False
            for y in x:
                if y is not None and (type(y) is not str or _b64_error(y) is not None):
                    return False
    return True


# Keep the decoder check honest: text _b64_error accepts must decode.
def _b64_decodes(s: str) -> bool:  # pragma: no cover - used by tests
    try:
        base64.b64decode(s.replace("=", "") + "=" * (-len(s.replace("=", "")) % 4),
                         validate=True)
        return True
    except (binascii.Error, ValueError):
        return False
