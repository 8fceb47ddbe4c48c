"""DynamoDB expressions: parse, resolve and check; key-condition analysis.

Entry points (all raise `dyncore.errors.ValidationException` with DynamoDB's
message; see README.md for the stages and the order of checks):

    parse_expressions({"KeyConditionExpression": ..., "FilterExpression": ...,
                       "ProjectionExpression": ...}, names, values)
        -> {parameter: tree}       the whole request, incl. unused placeholders
    parse_condition / parse_key_condition / parse_filter / parse_projection /
    parse_update(text, names=None, values=None) -> tree      one expression
    analyse_key_condition(tree, (pk, sk)) -> KeyCondition(pk_value, sk_op, sk_values)

Evaluation of resolved trees over items in boto3 client wire form:

    compile_condition(tree, kind) -> f(item) -> bool    evaluate(tree, item, kind)
    apply_update(tree, item, key=None) -> new item      check_update_keys(tree, keys)
    updated_paths(tree) -> (Path, ...)                  project(item, paths) -> dict
    resolve_path(item, path) -> AttributeValue | None

Trees are made of the node classes in `dyncore.expr.ast`; `dump` and `to_text`
print them.
"""
from __future__ import annotations

from typing import Any, Mapping

from dyncore.expr.ast import (
    COMPARATORS, TYPE_NAMES, AddAction, And, Arith, Between, Call, Compare, DeleteAction,
    In, Not, Or, Path, Projection, RemoveAction, SetAction, Update, Value, compare_values,
    dump, format_value, iter_nodes, iter_paths, to_text, value_type,
)
from dyncore.expr.evaluate import compile_condition, evaluate, resolve_path
from dyncore.expr.keycond import (
    IndexKeyCondition, KeyCondition, KeyTerm, analyse_key_condition, check_filter_keys,
    match_key_terms, validate_key_condition,
)
from dyncore.expr.names import EXPRESSION_PARAMETERS, parse_expressions, parse_one
from dyncore.expr.parser import FUNCTIONS, KINDS
from dyncore.expr.project import project
from dyncore.expr.update import apply_update, check_update_keys, updated_paths

__all__ = [
    "parse_expressions", "parse_condition", "parse_key_condition", "parse_filter",
    "parse_projection", "parse_update", "analyse_key_condition", "validate_key_condition",
    "match_key_terms", "IndexKeyCondition",
    "check_filter_keys", "KeyCondition", "KeyTerm", "EXPRESSION_PARAMETERS", "KINDS",
    "FUNCTIONS", "COMPARATORS", "TYPE_NAMES",
    "Path", "Value", "Call", "Compare", "Between", "In", "And", "Or", "Not", "Arith",
    "SetAction", "RemoveAction", "AddAction", "DeleteAction", "Update", "Projection",
    "dump", "to_text", "iter_nodes", "iter_paths", "format_value", "value_type",
    "compare_values",
    "compile_condition", "evaluate", "resolve_path", "apply_update", "check_update_keys",
    "updated_paths", "project",
]

_Names = Mapping[str, str] | None
_Values = Mapping[str, Any] | None


def parse_condition(text: str, names: _Names = None, values: _Values = None) -> Any:
    """A ConditionExpression's tree."""
    return parse_one(text, "Condition", names, values)


def parse_key_condition(text: str, names: _Names = None, values: _Values = None) -> Any:
    """A KeyConditionExpression's tree (shape already validated; match it to
    the key schema with `analyse_key_condition`)."""
    return parse_one(text, "KeyCondition", names, values)


def parse_filter(text: str, names: _Names = None, values: _Values = None) -> Any:
    """A FilterExpression's tree."""
    return parse_one(text, "Filter", names, values)


def parse_projection(text: str, names: _Names = None) -> Projection:
    """A ProjectionExpression's tree."""
    return parse_one(text, "Projection", names, None)


def parse_update(text: str, names: _Names = None, values: _Values = None) -> Update:
    """An UpdateExpression's tree."""
    return parse_one(text, "Update", names, values)
