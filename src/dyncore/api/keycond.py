"""A Query's key condition, from KeyConditionExpression or the legacy
KeyConditions, as (pk value, sort-key operator or None, sort-key values).

Expression values come in client form (dyncore.api.exprs converts them);
legacy KeyConditions values stay in the request's form. Either way the codec
checks their types against the key schema when it encodes them.
"""
from __future__ import annotations

from dyncore.errors import ValidationException
from dyncore.expr import IndexKeyCondition, KeyTerm, match_key_terms
from dyncore.expr.keycond import validate_key_condition

__all__ = ["key_condition_of", "index_key_condition_of"]

_LEGACY_OPS = {"EQ": ("=", 1), "LE": ("<=", 1), "LT": ("<", 1), "GE": (">=", 1),
               "GT": (">", 1), "BEGINS_WITH": ("begins_with", 1), "BETWEEN": ("BETWEEN", 2)}


def _both_or_neither(p: dict, tree):
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
    return legacy


def _matched(plan, pks: tuple, sks: tuple, types: dict, sig) -> IndexKeyCondition:
    """match_key_terms of plan's KeyConditionExpression against a key
    schema, kept on the plan with the schema's signature `sig` (names and
    types: another table's schema matches afresh)."""
    memo = plan.key_match
    if memo is not None and memo[0] == sig:
        return memo[1]
    terms = plan.key_terms
    if terms is None:
        terms = plan.key_terms = validate_key_condition(plan.key_condition)
    kc = match_key_terms(terms, pks, sks, types)
    plan.key_match = (sig, kc)
    return kc


def key_condition_of(t, p: dict, plan):
    """(pk value, sort-key operator or None, sort-key values) of Query p on
    table t: from plan's KeyConditionExpression, already parsed (values in
    client form), or from the legacy KeyConditions (values in the request's
    form)."""
    legacy = _both_or_neither(p, plan.key_condition)
    sks = () if t.sk is None else (t.sk,)
    if legacy is not None:
        kc = _legacy((t.pk,), sks, legacy)
    else:
        kc = _matched(plan, (t.pk,), sks, t.key_types, t.key_sig)
    return kc.pk_values[0], kc.sk_op, list(kc.sk_values)


def index_key_condition_of(idx, p: dict, plan) -> IndexKeyCondition:
    """The key condition of Query p on secondary index idx (whose key may
    have several attributes a side: dyncore.table.index), as
    key_condition_of reads it."""
    legacy = _both_or_neither(p, plan.key_condition)
    if legacy is not None:
        return _legacy(idx.pks, idx.sks, legacy)
    return _matched(plan, idx.pks, idx.sks, idx.key_types, idx.key_sig)


def _legacy(pks: tuple, sks: tuple, conditions: dict) -> IndexKeyCondition:
    names = set(conditions)
    for pk in pks:
        if pk not in names:
            raise ValidationException(f"Query condition missed key schema element: {pk}")
    extra = names - set(pks) - set(sks)
    if extra:
        missing = next((s for s in sks if s not in names), sks[0] if sks else pks[0])
        raise ValidationException(f"Query condition missed key schema element: {missing}")
    terms = []
    for name in pks + sks:
        if name not in conditions:
            continue
        cond = conditions[name]
        op = cond.get("ComparisonOperator")
        values = cond.get("AttributeValueList") or []
        spec = _LEGACY_OPS.get(op)
        if spec is None or (name in pks and op != "EQ"):
            raise ValidationException(
                "Attempted conditional constraint is not an indexable operation")
        if len(values) != spec[1]:
            raise ValidationException(
                "One or more parameter values were invalid: Invalid number of argument(s) "
                f"for the {op} ComparisonOperator")
        terms.append(KeyTerm(name, spec[0], tuple(values)))
    # (values keep the request's form: the codec checks their types)
    return match_key_terms(tuple(terms), pks, sks)
