"""Client: boto3's low-level DynamoDB client, in process.

    client = dyncore.open("data/").client()
    client.put_item(TableName="t", Item={"pk": {"S": "a"}})

Method names, parameters and response shapes are boto3's (values in the
AttributeValue form, B as bytes, timestamps as datetimes, a ResponseMetadata
in every response). Errors are the classes of dyncore.errors, reachable as
`client.exceptions.<Name>` like boto3's, each with `.response["Error"]`;
when botocore is installed they are also botocore ClientErrors. Requests that
botocore would refuse before sending raise ParamValidationError.

Throttled requests (ProvisionedThroughputExceededException,
ThrottlingException, RequestLimitExceeded) are retried as boto3 retries them
(`Retries`), so code written for boto3 sees throttling the same way: by
default botocore's legacy mode for DynamoDB, 10 attempts 50 ms apart and
doubling; `db.client(config=botocore.config.Config(retries={...}))` sets
mode and attempts as for boto3. The waits are the Database clock's sleep (a
ManualClock moves forward instead of waiting).
"""
from __future__ import annotations

import itertools
import random
import re
import time

from dyncore import _core, errors
from dyncore.api.service import HANDLERS, Service

__all__ = ["Client"]

_FORM = _core.FORM_CLIENT


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


METHODS = {_snake(op): op for op in HANDLERS}

_ids = itertools.count(1)


def _metadata(retries: int = 0) -> dict:
    """A response's ResponseMetadata, as botocore gives it (a fresh dict)."""
    rid = "DYNCORE" + str(next(_ids))
    return {"RequestId": rid, "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": rid,
                            "content-type": "application/x-amz-json-1.0"},
            "RetryAttempts": retries}


THROTTLING = (errors.ProvisionedThroughputExceededException, errors.ThrottlingException,
              errors.RequestLimitExceeded)


class Retries:
    """How throttled requests are retried, from a botocore Config's
    `retries` dict ({"mode", "max_attempts", "total_max_attempts"}) read as
    botocore reads it: max_attempts counts the retries after the first
    attempt, total_max_attempts all attempts; by default legacy mode, which
    for DynamoDB makes 10 attempts in all with waits of 50 ms doubling;
    standard and adaptive make 3, with waits of up to 2**n seconds, random,
    at most 20."""

    def __init__(self, clock, config=None):
        retries = config.get("retries") if isinstance(config, dict) else \
            getattr(config, "retries", None)
        retries = retries or {}
        self.mode = retries.get("mode") or "legacy"
        if retries.get("total_max_attempts") is not None:
            attempts = retries["total_max_attempts"]
        elif retries.get("max_attempts") is not None:
            attempts = retries["max_attempts"] + 1
        else:
            attempts = 10 if self.mode == "legacy" else 3
        self.attempts = max(1, int(attempts))
        self.sleep = clock.sleep

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1: the first)."""
        if self.mode == "legacy":
            return 0.05 * 2 ** (attempt - 1)
        return random.random() * min(20.0, 2.0 ** (attempt - 1))

    def again(self, error, fn, *args):
        """fn(*args) was throttled with `error`: try again up to the
        attempts left. Returns (answer, retries made); raises the last
        throttling error when none is left."""
        for attempt in range(1, self.attempts):
            self.sleep(self.delay(attempt))
            try:
                return fn(*args), attempt
            except THROTTLING as e:
                error = e
        error.response["ResponseMetadata"]["RetryAttempts"] = self.attempts - 1
        raise error


class _Exceptions:
    """`client.exceptions`: every DynamoDB error class by name, plus
    ClientError (the common base) as boto3 offers it."""

    def __init__(self):
        for name, cls in errors.ERROR_CLASSES.items():
            setattr(self, name, cls)
        self.ClientError = errors.DynamoDBError

    def from_code(self, code: str):
        return errors.ERROR_CLASSES.get(code, errors.DynamoDBError)


class _Meta:
    service_model = None
    region_name = "local"
    endpoint_url = "dyncore://embedded"
    partition = "aws"


def _operation(op: str, method: str):
    # GetItem and the single-item writes have fast paths on the Service.
    write = op in ("PutItem", "UpdateItem", "DeleteItem")
    get = op == "GetItem"

    def call(self, *args, **params):
        if args:
            raise TypeError(f"{method}() only accepts keyword arguments.")
        try:
            if write:
                out = self._service.write(op, params, _FORM)
            elif get:
                out = self._service.get_item(params, _FORM)
            else:
                out = self._service.call(op, params, _FORM)
        except THROTTLING as e:
            out, retries = self._retries.again(e, self._service.call, op, params, _FORM)
            out["ResponseMetadata"] = _metadata(retries)
            return out
        out["ResponseMetadata"] = _metadata()
        return out

    call.__name__ = method
    call.__qualname__ = f"Client.{method}"
    call.__doc__ = f"DynamoDB {op} (boto3: client.{method})."
    return call


class Client:
    """boto3-shaped low-level client on a dyncore Database. Thread-safe."""

    exceptions = _Exceptions()

    def __init__(self, db, config=None):
        self._db = db
        self._service = Service(db)
        self._retries = Retries(db.clock, config)
        self.meta = _Meta()

    def can_paginate(self, operation_name: str) -> bool:
        return operation_name in _PAGINATORS

    def get_paginator(self, operation_name: str) -> "Paginator":
        if operation_name not in _PAGINATORS:
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        return Paginator(self, operation_name)

    def get_waiter(self, waiter_name: str) -> "Waiter":
        if waiter_name not in ("table_exists", "table_not_exists"):
            raise ValueError(f"Waiter does not exist: {waiter_name}")
        return Waiter(self, waiter_name)

    def close(self) -> None:
        """Nothing to release (the Database owns the storage)."""


for _method, _op in METHODS.items():
    setattr(Client, _method, _operation(_op, _method))
del _method, _op


# -- paginators and waiters ------------------------------------------------------

# method -> (input token, output token, limit key, result keys)
_PAGINATORS = {
    "query": ("ExclusiveStartKey", "LastEvaluatedKey", "Limit", ("Items", "Count", "ScannedCount")),
    "scan": ("ExclusiveStartKey", "LastEvaluatedKey", "Limit", ("Items", "Count", "ScannedCount")),
    "list_tables": ("ExclusiveStartTableName", "LastEvaluatedTableName", "Limit", ("TableNames",)),
    "list_tags_of_resource": ("NextToken", "NextToken", None, ("Tags",)),
}


class PageIterator:
    def __init__(self, client, method: str, params: dict, config: dict):
        self._client = client
        self._method = method
        self._params = params
        self._config = config
        self.resume_token = None

    def __iter__(self):
        in_tok, out_tok, limit_key, result_keys = _PAGINATORS[self._method]
        params = dict(self._params)
        max_items = self._config.get("MaxItems")
        page_size = self._config.get("PageSize")
        if page_size is not None and limit_key:
            params[limit_key] = page_size
        if self._config.get("StartingToken") is not None:
            params[in_tok] = self._config["StartingToken"]
        fn = getattr(self._client, self._method)
        seen = 0
        while True:
            page = fn(**params)
            main = result_keys[0]
            if max_items is not None and main in page and seen + len(page[main]) > max_items:
                page[main] = page[main][: max_items - seen]
                yield page
                return
            if main in page:
                seen += len(page[main])
            yield page
            token = page.get(out_tok)
            if token is None or (max_items is not None and seen >= max_items):
                self.resume_token = token
                return
            params[in_tok] = token

    def build_full_result(self) -> dict:
        _, _, _, result_keys = _PAGINATORS[self._method]
        out: dict = {}
        for page in self:
            for key in result_keys:
                if key not in page:
                    continue
                if isinstance(page[key], list):
                    out.setdefault(key, []).extend(page[key])
                else:
                    out[key] = out.get(key, 0) + page[key]
        return out


class Paginator:
    def __init__(self, client, method: str):
        self._client = client
        self._method = method

    def paginate(self, PaginationConfig=None, **params):  # noqa: N803 (boto3's name)
        return PageIterator(self._client, self._method, params, PaginationConfig or {})


class Waiter:
    def __init__(self, client, name: str):
        self._client = client
        self.name = name

    def wait(self, TableName, WaiterConfig=None):  # noqa: N803 (boto3's names)
        config = WaiterConfig or {}
        delay = min(float(config.get("Delay", 0.05)), 0.05)
        attempts = int(config.get("MaxAttempts", 25))
        for _ in range(attempts):
            try:
                self._client.describe_table(TableName=TableName)
                exists = True
            except errors.ERROR_CLASSES["ResourceNotFoundException"]:
                exists = False
            if exists == (self.name == "table_exists"):
                return None
            time.sleep(delay)
        raise errors.DyncoreError(f"Waiter {self.name} failed: Max attempts exceeded")
