"""A Query's key condition, from KeyConditionExpression or the legacy
KeyConditions, as (pk value, sort-key operator or None, sort-key values).

Expression values come in client form (dyncore.api.exprs converts them);
legacy KeyConditions values stay in the request's form. Either way the codec
checks their types against the key schema when it encodes them.
"""
from __future__ import annotations

from dyncore.errors import ValidationException
from dyncore.expr import analyse_key_condition

__all__ = ["key_condition_of"]

_LEGACY_OPS = {"EQ": ("=", 1), "LE": ("<=", 1), "LT": ("<", 1), "GE": (">=", 1),
               "GT": (">", 1), "BEGINS_WITH": ("begins_with", 1), "BETWEEN": ("BETWEEN", 2)}


def key_condition_of(t, p: dict, tree):
    """(pk value, sort-key operator or None, sort-key values) of Query p on
    table t: from `tree`, the request's KeyConditionExpression already parsed
    (values in client form), or from the legacy KeyConditions (values in the
    request's form)."""
    legacy = p.get("KeyConditions")
    if tree is not None and legacy is not None:
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {KeyConditions} Expression parameters: "
            "{KeyConditionExpression}")
    if tree is None and legacy is None:
        raise ValidationException(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified "
            "in the request.")
    if legacy is not None:
        return _legacy(t, legacy)
    types = {t.pk: t.schema.pk_type}
    if t.sk:
        types[t.sk] = t.schema.sk_type
    kc = analyse_key_condition(tree, (t.pk, t.sk), types)
    return kc.pk_value, kc.sk_op, list(kc.sk_values)


def _legacy(t, conditions: dict):
    names = set(conditions)
    if t.pk not in names:
        raise ValidationException(f"Query condition missed key schema element: {t.pk}")
    extra = names - {t.pk, t.sk}
    if extra:
        raise ValidationException(
            f"Query condition missed key schema element: {t.sk or t.pk}")
    out = []
    for name in (t.pk, t.sk):
        if name is None or name not in conditions:
            continue
        cond = conditions[name]
        op = cond.get("ComparisonOperator")
        values = cond.get("AttributeValueList") or []
        spec = _LEGACY_OPS.get(op)
        if spec is None or (name == t.pk and op != "EQ"):
            raise ValidationException(
                "Attempted conditional constraint is not an indexable operation")
        if len(values) != spec[1]:
            raise ValidationException(
                "One or more parameter values were invalid: Invalid number of argument(s) "
                f"for the {op} ComparisonOperator")
        out.append((spec[0], values))
    pk_value = out[0][1][0]
    if len(out) == 1:
        return pk_value, None, []
    return pk_value, out[1][0], out[1][1]
