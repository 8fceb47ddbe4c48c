"""The per-request expression plan: trees in client form whatever the
request's form, and the plan cache (hits for repeated shapes, never for
legacy parameters or long values)."""
from decimal import Decimal

import pytest

import dyncore.model  # noqa: F401  (registers the codec's error classes)
from dyncore import _core
from dyncore.api import exprs
from dyncore.errors import ValidationException
from dyncore.expr import dump


def req(**kw):
    return dict(TableName="t", Key={"pk": {"S": "a"}}, **kw)


def test_values_come_out_in_client_form():
    native = exprs.plan("UpdateItem", req(UpdateExpression="SET n = :v, b = :b",
                                          ExpressionAttributeValues={":v": Decimal("1.50"),
                                                                     ":b": b"\x01"}),
                        _core.FORM_NATIVE)
    values = [a.value.value for a in native.update.actions]
    assert values == [{"N": "1.5"}, {"B": b"\x01"}]
    js = exprs.plan("PutItem", req(ConditionExpression="b = :b",
                                   ExpressionAttributeValues={":b": {"B": "AQ=="}}),
                    _core.FORM_JSON)
    assert js.condition.right.value == {"B": b"\x01"}


def test_repeated_requests_share_a_plan():
    p = req(UpdateExpression="SET n = n + :one", ExpressionAttributeValues={":one": {"N": "1"}})
    first = exprs.plan("UpdateItem", p, _core.FORM_CLIENT)
    assert exprs.plan("UpdateItem", dict(p), _core.FORM_CLIENT) is first
    assert exprs.cached_plan("UpdateItem", dict(p), _core.FORM_CLIENT) is first
    other = dict(p, ExpressionAttributeValues={":one": {"N": "2"}})
    assert exprs.plan("UpdateItem", other, _core.FORM_CLIENT) is not first
    # the form is part of the key: values are converted differently
    assert exprs.cached_plan("UpdateItem", p, _core.FORM_JSON) is None


def test_not_cached():
    big = {"S": "x" * 1000}
    p = req(ConditionExpression="a = :v", ExpressionAttributeValues={":v": big})
    assert exprs.plan("PutItem", p, _core.FORM_CLIENT) is not exprs.plan("PutItem", p, _core.FORM_CLIENT)
    nested = req(ConditionExpression="a = :v", ExpressionAttributeValues={":v": {"L": [{"N": "1"}]}})
    exprs.plan("PutItem", nested, _core.FORM_CLIENT)
    assert exprs.cached_plan("PutItem", nested, _core.FORM_CLIENT) is None
    legacy = req(Expected={"a": {"Exists": False}})
    assert dump(exprs.plan("PutItem", legacy, _core.FORM_CLIENT).condition) == "(attribute_not_exists a)"
    assert exprs.cached_plan("PutItem", legacy, _core.FORM_CLIENT) is None


def test_errors_are_not_cached():
    p = req(ConditionExpression="a = :v", ExpressionAttributeValues={":v": {"N": "x"}})
    for _ in range(2):
        with pytest.raises(ValidationException) as e:
            exprs.plan("PutItem", p, _core.FORM_CLIENT)
        assert "cannot be converted to a numeric value: x for key :v" in e.value.message
    assert exprs.cached_plan("PutItem", p, _core.FORM_CLIENT) is None
