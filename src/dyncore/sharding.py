"""Write sharding: one hot partition key spread over N partition keys.

DynamoDB serves each partition key from one partition, and a partition takes
at most 1,000 write units a second. A key that takes more (one counter, one
day's log, one tenant's events) throttles, however much capacity the table
has. The pattern AWS documents for it is to write under N keys instead of
one: the logical key plus a suffix, `pk + "#" + str(shard)`, shard in
[0, N); a reader queries all N keys and merges. This module is that pattern
as a small client-side helper:

    from dyncore.sharding import Sharding

    events = Sharding(client, "events", shards=10)               # random suffix
    events.put_item(Item={"pk": {"S": "day#2024-06-01"}, "sk": {"N": "17"}, ...})
    page = events.query("day#2024-06-01", KeyConditionExpression="sk > :t",
                        ExpressionAttributeValues={":t": {"N": "10"}}, Limit=100)
    page["Items"]             # in sort-key order over all shards, pk = "day#2024-06-01"
    page.get("LastEvaluatedKey")   # pass back as ExclusiveStartKey for the next page

    orders = Sharding(client, "orders", shards=10, by="order_id")   # calculated suffix
    orders.get_item(Key={"pk": {"S": "shop#1"}, "sk": {"S": "2024-06-01"}},
                    by_value={"S": "o-123"})                      # one GetItem

`client` is any boto3-shaped low-level DynamoDB client: dyncore's embedded
client (`dyncore.open(path).client()`), or boto3's pointed at `dyncore serve`
or at AWS. Values are in the wire form ({"S": "x"}). A resource Table
(`db.Table(name)`, or boto3's `boto3.resource("dynamodb").Table(name)`) works
too, with native values: `Sharding(table, shards=10)`.

Rules and theory of operation
-----------------------------
Keys. The table's partition key must be a string (S). An item of logical key
`pk` is stored under the physical key `pk + separator + str(shard)`, shard a
decimal number in [0, shards). `ShardedKey.split` takes the last separator off
again, so a logical key may itself contain the separator; the separator may
not contain a digit (it would make the split ambiguous). Every response this
helper returns carries the logical key (`restore_keys=False` keeps the
physical one).

Random suffix (`by=None`). Each put picks a shard at random: writes spread
evenly, but a reader does not know where an item went, so get_item,
update_item and delete_item need `shard=` (from `ShardedKey.split` of a
physical key), and get_item can look in every shard (`fan_out=True`). Two
puts of one logical (pk, sk) may land in two shards and then both exist: use
random suffixes for items that are written once (events, log lines, readings).

Calculated suffix (`by="attr"`). The shard is computed from the value of one
attribute of the item: `shard_hash(canonical bytes of the value, shards)` =
the first 8 bytes of SHA-256 of the value, big-endian, modulo shards. The
canonical bytes are a string's UTF-8, a binary's bytes, and a number's plain
decimal text with no exponent, no trailing zeros and no sign on zero (1.50,
1.5 and 15E-1 are all "1.5"), so the same number reaches the same shard in
whatever form it is written, and a program in any language can compute it.
A reader who knows the value finds the item with one GetItem. Writes spread
as well as the values of `attr` do. `attr` must not change for a key: a put
of an existing (pk, sk) with another value of it writes a second item in
another shard, and update_item would leave the item in its old shard
(delete and put it instead). The sort key itself is a good `attr`.

Query. `query(pk, ...)` sends one Query per shard (KeyConditionExpression is
the sort-key part only; the helper adds the partition-key part) and merges
the shards' pages with a heap, in DynamoDB's sort-key order: numbers by
value, strings by UTF-8 bytes (the same order as Python's str, which
compares code points), binaries by bytes; descending if ScanIndexForward is
False; items with equal sort keys in shard order. A shard's next page is
read only when the merge needs it. `Limit` caps the items of the merged page
(and is each shard's page size); with a FilterExpression it counts items
returned, not items read as DynamoDB's Limit does, since the helper never
sees the items a filter drops. `query_items(pk, ...)` yields every item of
every page, lazily.

The continuation token. A merged page that is not the last carries
`LastEvaluatedKey`: a plain dict

    {"Version": 1, "Shards": [s_0, s_1, ..., s_{N-1}]}

where s_i is None if shard i is finished, {} if it has not been read yet, or
the ExclusiveStartKey to read shard i from (in the client's value form,
physical partition key). Pass it back as `ExclusiveStartKey` to the same
query. The helper resumes each shard after the last item of it that a page
returned, so items read from a shard but not yet returned are read again.

Projection. The merge needs each item's sort key. A ProjectionExpression
without it gets it added (`#shardsk`) and the helper removes it again from
the items it returns. IndexName, Select ALL_PROJECTED_ATTRIBUTES and the
legacy parameters (KeyConditions, QueryFilter, AttributesToGet,
ConditionalOperator) are refused; Select="COUNT" sums the count of every
shard. The placeholders #shardpk, :shardpk and #shardsk belong to the helper.

Threads. `workers=0` (the default) sends the shard queries one after another;
`workers=n` sends a query's first pages (and get_item's fan-out, and COUNT)
through a pool of n threads, kept until `close()`. boto3 clients and dyncore's
client are thread-safe; boto3's resource objects are not, so keep workers=0
with a boto3 resource Table.

Errors. Misuse raises ShardingError (a ValueError) before any request is
sent. Errors of the requests themselves (throttling, validation, a failed
condition) are the client's own exceptions, unchanged; this module retries
nothing except BatchWriteItem's UnprocessedItems.
"""
from __future__ import annotations

import hashlib
import heapq
import random
import threading
import time
from collections import deque
from decimal import Context, Decimal

__all__ = ["Sharding", "ShardedKey", "ShardingError", "shard_hash", "canonical_bytes"]

_PK_NAME, _PK_VALUE, _SK_NAME = "#shardpk", ":shardpk", "#shardsk"
_TOKEN_VERSION = 1
_BATCH = 25  # BatchWriteItem's maximum
_REFUSED = {
    "IndexName": "a sharded query reads the table's own key; query an index directly",
    "KeyConditions": "use KeyConditionExpression (the sort-key part)",
    "QueryFilter": "use FilterExpression",
    "AttributesToGet": "use ProjectionExpression",
    "ConditionalOperator": "use FilterExpression",
    "TableName": "the table is the Sharding's own",
}
_NUM_CTX = Context(prec=100)  # exact for any number DynamoDB accepts (38 digits)


class ShardingError(ValueError):
    """The helper was used in a way it cannot serve; nothing was sent."""


# --------------------------------------------------------------------------- hashing

def shard_hash(data: bytes, shards: int) -> int:
    """The shard of canonical bytes: the first 8 bytes of SHA-256(data), read
    big-endian, modulo shards. Stable across processes, versions and languages."""
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big") % shards


def _canonical_number(text) -> bytes:
    d = _NUM_CTX.create_decimal(text)
    if not d.is_finite():
        raise ShardingError(f"not a DynamoDB number: {text!r}")
    if d.is_zero():
        return b"0"
    return format(d.normalize(_NUM_CTX), "f").encode()


def canonical_bytes(value, native: bool = False) -> bytes:
    """The bytes a calculated suffix hashes: UTF-8 of a string, the bytes of a
    binary, the plain decimal text of a number ("1.5" for 1.50 and 15E-1, "0"
    for -0). `value` is in the wire form ({"S": ...}, {"N": ...}, {"B": ...}),
    or a native value (str, int, Decimal, bytes, Binary) if native is true."""
    if native:
        if isinstance(value, str):
            return value.encode("utf-8")
        if isinstance(value, bool) or isinstance(value, float):
            raise ShardingError(f"a shard is calculated from a string, number or binary "
                                f"value; got {type(value).__name__} {value!r}"
                                + (" (use Decimal for numbers)" if isinstance(value, float)
                                   else ""))
        if isinstance(value, (int, Decimal)):
            return _canonical_number(value)
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        raw = getattr(value, "value", None)  # boto3's and dyncore's Binary
        if isinstance(raw, (bytes, bytearray)):
            return bytes(raw)
        raise ShardingError(f"a shard is calculated from a string, number or binary value; "
                            f"got {type(value).__name__} {value!r}")
    if isinstance(value, dict) and len(value) == 1:
        (tag, v), = value.items()
        if tag == "S" and isinstance(v, str):
            return v.encode("utf-8")
        if tag == "N" and isinstance(v, str):
            return _canonical_number(v)
        if tag == "B" and isinstance(v, (bytes, bytearray)):
            return bytes(v)
    raise ShardingError(f"a shard is calculated from an S, N or B value in the wire form "
                        f"({{'S': ...}}); got {value!r}")


# --------------------------------------------------------------------------- value forms

class _Wire:
    """Values as the low-level client takes them: {"S": "x"}, {"N": "1"}, ..."""
    native = False

    @staticmethod
    def wrap_pk(s: str):
        return {"S": s}

    @staticmethod
    def unwrap_pk(v, what: str) -> str:
        if isinstance(v, dict) and len(v) == 1 and isinstance(v.get("S"), str):
            return v["S"]
        raise ShardingError(f"{what} must be a string value in the wire form "
                            f"({{'S': ...}}); got {v!r}")

    @staticmethod
    def order(v):
        """DynamoDB's order of sort-key values: numbers by value, strings by
        UTF-8 bytes (= Python's code-point order), binaries by bytes."""
        if "N" in v:
            return Decimal(v["N"])
        if "S" in v:
            return v["S"]
        return bytes(v["B"])


class _Native:
    """Values as a resource Table takes them: str, int, Decimal, bytes, Binary."""
    native = True

    @staticmethod
    def wrap_pk(s: str):
        return s

    @staticmethod
    def unwrap_pk(v, what: str) -> str:
        if isinstance(v, str):
            return v
        raise ShardingError(f"{what} must be a str; got {v!r}")

    @staticmethod
    def order(v):
        if isinstance(v, str):
            return v
        if isinstance(v, (int, Decimal)):
            return Decimal(v)
        return bytes(getattr(v, "value", v))


class _Rev:
    """A sort key in reverse order (for ScanIndexForward=False)."""
    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __lt__(self, other):
        return other.k < self.k

    def __eq__(self, other):
        return self.k == other.k


# --------------------------------------------------------------------------- the key scheme

class ShardedKey:
    """The key scheme alone (no I/O): which physical partition key an item of
    a logical key goes to, and back.

    shards         N, the number of suffixes (>= 1)
    key_attribute  the table's partition-key attribute (an S attribute)
    separator      between the logical key and the suffix; no digits
    by             None: a random suffix per write; "attr": the suffix is
                   calculated from that attribute's value (see canonical_bytes)
    seed           seeds the random suffixes (for reproducible tests)
    """

    def __init__(self, shards: int, key_attribute: str = "pk", separator: str = "#",
                 by: str | None = None, seed=None):
        if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
            raise ShardingError(f"shards must be an int >= 1; got {shards!r}")
        if not isinstance(key_attribute, str) or not key_attribute:
            raise ShardingError(f"key_attribute must be a non-empty str; got {key_attribute!r}")
        if not isinstance(separator, str) or not separator or \
                any(c.isdigit() for c in separator):
            raise ShardingError(f"separator must be a non-empty str without digits "
                                f"(the suffix is digits); got {separator!r}")
        if by is not None and (not isinstance(by, str) or not by):
            raise ShardingError(f"by must be None or an attribute name; got {by!r}")
        if by == key_attribute:
            raise ShardingError(f"by={by!r} is the partition key itself: every item of a "
                                "key would go to one shard; pick another attribute")
        self.shards = shards
        self.key_attribute = key_attribute
        self.separator = separator
        self.by = by
        self._rng = random.Random(seed)

    def __repr__(self):
        return (f"ShardedKey(shards={self.shards}, key_attribute={self.key_attribute!r}, "
                f"separator={self.separator!r}, by={self.by!r})")

    def random_shard(self) -> int:
        return self._rng.randrange(self.shards)

    def shard_of(self, value, native: bool = False) -> int:
        """The calculated shard of a value of the `by` attribute."""
        return shard_hash(canonical_bytes(value, native), self.shards)

    def physical(self, pk: str, shard: int) -> str:
        """The physical partition key of logical key pk in shard `shard`."""
        if not isinstance(shard, int) or isinstance(shard, bool) or \
                not 0 <= shard < self.shards:
            raise ShardingError(f"shard must be an int in [0, {self.shards}); got {shard!r}")
        return f"{pk}{self.separator}{shard}"

    def physicals(self, pk: str) -> list[str]:
        """The physical keys of every shard of pk, in shard order."""
        return [f"{pk}{self.separator}{i}" for i in range(self.shards)]

    def split(self, physical: str) -> tuple[str, int]:
        """(logical key, shard) of a physical partition key."""
        pk, sep, suffix = physical.rpartition(self.separator)
        if not sep or not suffix.isdigit() or not suffix.isascii() \
                or int(suffix) >= self.shards or suffix != str(int(suffix)):
            raise ShardingError(f"{physical!r} is not a key of this sharding "
                                f"(logical{self.separator}0..{self.shards - 1})")
        return pk, int(suffix)


# --------------------------------------------------------------------------- the helper

class Sharding:
    """Write sharding over one table of a boto3-shaped client (or resource Table).

        Sharding(client, "table", shards=10, key_attribute="pk", separator="#",
                 by=None, sort_key=None, workers=0, restore_keys=True, seed=None)
        Sharding(resource_table, shards=10, ...)

    sort_key      the table's sort-key attribute; None (the default): one
                  DescribeTable on first need, which also checks that
                  key_attribute is the table's partition key and a string;
                  False: the table has no sort key (and nothing is asked)
    workers       threads for the fan-outs (0: one request after another)
    restore_keys  return items with the logical partition key (True) or the
                  physical one (False; `self.key.split` takes it apart)

    The methods take boto3's parameters (values in the target's form) plus a
    few of their own, documented on each, and return boto3's response shapes.
    """

    def __init__(self, target, table_name: str | None = None, *, shards: int,
                 key_attribute: str = "pk", separator: str = "#", by: str | None = None,
                 sort_key=None, workers: int = 0, restore_keys: bool = True, seed=None):
        self.key = ShardedKey(shards, key_attribute, separator, by, seed)
        if callable(getattr(target, "batch_writer", None)) and hasattr(target, "table_name"):
            self._form = _Native
            self._resource = True
            if table_name is not None and table_name != target.table_name:
                raise ShardingError(f"table_name {table_name!r} differs from the resource "
                                    f"Table's {target.table_name!r}")
            table_name = target.table_name
        elif callable(getattr(target, "query", None)):
            self._form = _Wire
            self._resource = False
            if not isinstance(table_name, str) or not table_name:
                raise ShardingError("a low-level client needs the table name: "
                                    "Sharding(client, 'table', shards=...)")
        else:
            raise ShardingError(f"expected a boto3-shaped DynamoDB client or resource Table; "
                                f"got {type(target).__name__}")
        if sort_key is not None and sort_key is not False and \
                (not isinstance(sort_key, str) or not sort_key):
            raise ShardingError(f"sort_key must be None, False or an attribute name; "
                                f"got {sort_key!r}")
        if not isinstance(workers, int) or workers < 0:
            raise ShardingError(f"workers must be an int >= 0; got {workers!r}")
        self.target = target
        self.table_name = table_name
        self.workers = workers
        self.restore_keys = restore_keys
        self._sort_key = sort_key
        self._lock = threading.Lock()
        self._pool = None

    def __repr__(self):
        return f"Sharding({self.table_name!r}, {self.key!r})"

    # -- plumbing ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the thread pool, if there is one (the client stays open)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method: str, params: dict) -> dict:
        if not self._resource:
            params["TableName"] = self.table_name
        return getattr(self.target, method)(**params)

    def _map(self, fn, args: list) -> list:
        """[fn(a) for a in args], through the pool if there is one."""
        if self.workers == 0 or len(args) < 2:
            return [fn(a) for a in args]
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor
                self._pool = ThreadPoolExecutor(self.workers,
                                                thread_name_prefix="dyncore-sharding")
            pool = self._pool
        return list(pool.map(fn, args))

    @property
    def sort_key(self) -> str | None:
        """The table's sort-key attribute (None if it has none)."""
        if self._sort_key is None:
            self._describe()
        return self._sort_key or None

    def _describe(self) -> None:
        if self._resource:
            schema, defs = self.target.key_schema, self.target.attribute_definitions
        else:
            t = self.target.describe_table(TableName=self.table_name)["Table"]
            schema, defs = t["KeySchema"], t["AttributeDefinitions"]
        hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
        range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
        types = {d["AttributeName"]: d["AttributeType"] for d in defs}
        if hash_key != self.key.key_attribute:
            raise ShardingError(f"table {self.table_name!r} has partition key {hash_key!r}, "
                                f"not key_attribute={self.key.key_attribute!r}")
        if types.get(hash_key) != "S":
            raise ShardingError(f"the partition key {hash_key!r} of {self.table_name!r} is "
                                f"of type {types.get(hash_key)}: sharding needs a string (S)")
        self._sort_key = range_key or False

    def _logical(self, v, what="the partition key") -> str:
        return self._form.unwrap_pk(v, what)

    def _restore(self, item: dict | None) -> dict | None:
        """Put the logical partition key back into an item (in place)."""
        ka = self.key.key_attribute
        if item is not None and self.restore_keys and ka in item:
            item[ka] = self._form.wrap_pk(self.key.split(self._logical(item[ka]))[0])
        return item

    def _restore_out(self, out: dict, member: str) -> dict:
        if member in out:
            self._restore(out[member])
        return out

    def _shard_for_key(self, key: dict, shard, by_value, op: str) -> int:
        if shard is not None:
            self.key.physical("", shard)  # validates
            return shard
        by = self.key.by
        if by is None:
            raise ShardingError(
                f"{op}: with random suffixes the shard of an existing item is unknown; pass "
                f"shard= (from Sharding.key.split of its physical key)"
                + (", or fan_out=True to look in every shard" if op == "get_item" else ""))
        if by in key:
            if by_value is not None and by_value != key[by]:
                raise ShardingError(f"{op}: by_value differs from Key[{by!r}]")
            by_value = key[by]
        if by_value is None:
            raise ShardingError(f"{op}: the shard is calculated from {by!r}; pass "
                                f"by_value=<its value> (or include it in Key if it is a "
                                f"key attribute)")
        return self.key.shard_of(by_value, self._form.native)

    def _physical_key(self, key: dict, shard: int) -> dict:
        ka = self.key.key_attribute
        if not isinstance(key, dict) or ka not in key:
            raise ShardingError(f"Key must be a dict with the partition key {ka!r}; got {key!r}")
        out = dict(key)
        out[ka] = self._form.wrap_pk(self.key.physical(self._logical(key[ka], "Key's "
                                                                      "partition key"), shard))
        return out

    def _keyed(self, op: str, Key, shard, by_value, params) -> dict:  # noqa: N803
        s = self._shard_for_key(Key, shard, by_value, op)
        return {**params, "Key": self._physical_key(Key, s)}

    # -- single items ----------------------------------------------------------------------

    def put_item(self, *, Item, shard: int | None = None, **params) -> dict:  # noqa: N803
        """PutItem under the item's shard: calculated from Item[by], or random
        (or `shard=`). Other parameters pass through; Attributes come back with
        the logical key."""
        params["Item"] = self._physical_item(Item, shard)
        return self._restore_out(self._call("put_item", params), "Attributes")

    def _physical_item(self, item: dict, shard: int | None) -> dict:
        ka, by = self.key.key_attribute, self.key.by
        if not isinstance(item, dict) or ka not in item:
            raise ShardingError(f"Item must be a dict with the partition key {ka!r}")
        pk = self._logical(item[ka], "Item's partition key")
        if shard is None:
            if by is None:
                shard = self.key.random_shard()
            elif by not in item:
                raise ShardingError(f"the shard is calculated from {by!r}, which the item "
                                    "lacks")
            else:
                shard = self.key.shard_of(item[by], self._form.native)
        out = dict(item)
        out[ka] = self._form.wrap_pk(self.key.physical(pk, shard))
        return out

    def get_item(self, *, Key, shard: int | None = None, by_value=None,  # noqa: N803
                 fan_out: bool = False, **params) -> dict:
        """GetItem of a logical key. The shard is calculated (from Key[by] or
        by_value=), given (shard=), or, with fan_out=True, every shard is
        asked (N GetItems, through the pool if any) and the first item found,
        in shard order, is returned."""
        if fan_out and shard is None and (self.key.by is None or
                                          (by_value is None and self.key.by not in Key)):
            pks = self.key.physicals(self._logical(Key.get(self.key.key_attribute)
                                                   if isinstance(Key, dict) else None,
                                                   "Key's partition key"))
            ka = self.key.key_attribute

            def one(phys):
                k = {**Key, ka: self._form.wrap_pk(phys)}
                return self._call("get_item", {**params, "Key": k})
            outs = self._map(one, pks)
            found = next((o for o in outs if "Item" in o), outs[0])
            return self._restore_out(found, "Item")
        p = self._keyed("get_item", Key, shard, by_value, params)
        return self._restore_out(self._call("get_item", p), "Item")

    def delete_item(self, *, Key, shard: int | None = None, by_value=None,  # noqa: N803
                    **params) -> dict:
        """DeleteItem of a logical key (shard as for get_item, without fan-out)."""
        p = self._keyed("delete_item", Key, shard, by_value, params)
        return self._restore_out(self._call("delete_item", p), "Attributes")

    def update_item(self, *, Key, shard: int | None = None, by_value=None,  # noqa: N803
                    **params) -> dict:
        """UpdateItem of a logical key (shard as for get_item, without fan-out).
        An update that creates the item does not set `by` unless it says so."""
        p = self._keyed("update_item", Key, shard, by_value, params)
        return self._restore_out(self._call("update_item", p), "Attributes")

    # -- many items ------------------------------------------------------------------------

    def batch_write(self, items=(), delete_keys=(), *, max_attempts: int = 10) -> int:
        """Put `items` and delete `delete_keys` (logical keys whose shard is
        calculable: `by` is a key attribute, or random is refused) with
        BatchWriteItem, 25 requests a call, resending UnprocessedItems with
        exponential backoff up to max_attempts times per call. A later request
        for the same physical key replaces an earlier one still waiting (as the
        sequential writes would). Returns the number of requests written."""
        reqs: dict = {}
        sk = self.sort_key
        ka = self.key.key_attribute

        def ident(body):
            return (self._logical(body[ka]), self._form.order(body[sk]) if sk else None)

        for item in items:
            body = self._physical_item(item, None)
            reqs.pop(ident(body), None)
            reqs[ident(body)] = {"PutRequest": {"Item": body}}
        for key in delete_keys:
            body = self._keyed("batch_write", key, None, None, {})["Key"]
            reqs.pop(ident(body), None)
            reqs[ident(body)] = {"DeleteRequest": {"Key": body}}
        todo = list(reqs.values())
        if self._resource:
            with self.target.batch_writer() as w:
                for r in todo:
                    if "PutRequest" in r:
                        w.put_item(Item=r["PutRequest"]["Item"])
                    else:
                        w.delete_item(Key=r["DeleteRequest"]["Key"])
            return len(todo)
        for i in range(0, len(todo), _BATCH):
            send = todo[i:i + _BATCH]
            for attempt in range(max_attempts):
                out = self.target.batch_write_item(RequestItems={self.table_name: send})
                send = (out.get("UnprocessedItems") or {}).get(self.table_name) or []
                if not send:
                    break
                time.sleep(min(0.025 * 2 ** attempt, 1.0))
            else:
                raise ShardingError(f"BatchWriteItem left {len(send)} requests unprocessed "
                                    f"after {max_attempts} attempts")
        return len(todo)

    # -- query -----------------------------------------------------------------------------

    def query(self, pk, *, KeyConditionExpression=None, ExclusiveStartKey=None,  # noqa: N803
              Limit=None, page_size: int | None = None, **params) -> dict:  # noqa: N803
        """One page of the merged Query over every shard of logical key pk.

        pk                      the logical key: a str (or {"S": ...} for a client)
        KeyConditionExpression  the sort-key condition only ("sk > :t"), or None;
                                with a resource Table also a boto3 Key(...) condition
        Limit                   at most this many items in the page (default: all)
        ExclusiveStartKey       a LastEvaluatedKey of this helper's (module doc)
        page_size               each shard's Query Limit (default: Limit, else none)
        other parameters        pass through to every shard's Query (ScanIndexForward,
                                FilterExpression, ProjectionExpression,
                                ExpressionAttributeNames/Values, ConsistentRead,
                                ReturnConsumedCapacity, Select)

        Returns {"Items", "Count", "ScannedCount"} plus "LastEvaluatedKey" if
        more may follow, and "ConsumedCapacity" (summed) if asked for.
        """
        if Limit is not None and (not isinstance(Limit, int) or Limit < 1):
            raise ShardingError(f"Limit must be an int >= 1; got {Limit!r}")
        if params.get("Select") == "COUNT":
            if Limit is not None or ExclusiveStartKey is not None:
                raise ShardingError("Select='COUNT' counts every shard to the end: "
                                    "Limit and ExclusiveStartKey are not supported with it")
            return self._count(pk, KeyConditionExpression, params)
        m = _Merge(self, pk, KeyConditionExpression, params,
                   page_size if page_size is not None else Limit, ExclusiveStartKey)
        items = []
        while Limit is None or len(items) < Limit:
            item = m.next()
            if item is None:
                break
            items.append(item)
        out = {"Items": items, "Count": len(items), "ScannedCount": m.scanned}
        token = m.token()
        if token is not None:
            out["LastEvaluatedKey"] = token
        if m.capacity is not None:
            out["ConsumedCapacity"] = {"TableName": self.table_name,
                                       "CapacityUnits": m.capacity}
        return out

    def query_items(self, pk, *, KeyConditionExpression=None,  # noqa: N803
                    page_size: int | None = None, **params):
        """Every item of the merged Query, lazily (each shard's pages are read as
        the merge reaches them). Parameters as for query, without Limit."""
        if "Limit" in params or "ExclusiveStartKey" in params:
            raise ShardingError("query_items reads to the end: use page_size=, or query() "
                                "for pages")
        if params.get("Select") == "COUNT":
            raise ShardingError("query_items yields items: use query(Select='COUNT')")
        m = _Merge(self, pk, KeyConditionExpression, params, page_size, None)
        while True:
            item = m.next()
            if item is None:
                return
            yield item

    def _count(self, pk, kce, params) -> dict:
        m = _Merge(self, pk, kce, params, None, None)

        def count(i):
            n = scanned = 0
            start = None
            while True:
                out = self._call("query", m.request(i, start, None))
                n += out.get("Count", 0)
                scanned += out.get("ScannedCount", 0)
                start = out.get("LastEvaluatedKey")
                if start is None:
                    return n, scanned
        counts = self._map(count, list(range(self.key.shards)))
        return {"Count": sum(c for c, _ in counts), "ScannedCount": sum(s for _, s in counts)}


class _Cursor:
    """One shard of a merged query: `buf` holds (order key, item) of the page
    read but not yet returned; `resume` is the ExclusiveStartKey just after
    the last item returned (None: the shard's beginning); `nxt` is the
    LastEvaluatedKey of the page in buf; done: nothing more to read."""
    __slots__ = ("buf", "resume", "nxt", "done")

    def __init__(self, resume, done: bool):
        self.buf: deque = deque()
        self.resume = resume
        self.nxt = None
        self.done = done


class _Merge:
    """The merge of the shards' Query streams (see the module doc)."""

    def __init__(self, sh: Sharding, pk, kce, params: dict, page_size, start):
        for name, why in _REFUSED.items():
            if name in params:
                raise ShardingError(f"{name} is not supported by a sharded query: {why}")
        if params.get("Select") not in (None, "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"):
            raise ShardingError(f"Select={params['Select']!r} is not supported by a sharded "
                                "query")
        if page_size is not None and (not isinstance(page_size, int) or page_size < 1):
            raise ShardingError(f"page_size must be an int >= 1; got {page_size!r}")
        self.sh = sh
        form = sh._form
        if isinstance(pk, dict) and not form.native:
            pk = form.unwrap_pk(pk, "the partition key")
        if not isinstance(pk, str):
            raise ShardingError(f"the partition key must be a str; got {pk!r}")
        self.pks = sh.key.physicals(pk)
        self.sk = sh.sort_key
        self.forward = params.get("ScanIndexForward", True) is not False
        names = dict(params.get("ExpressionAttributeNames") or {})
        values = dict(params.get("ExpressionAttributeValues") or {})
        for n in (_PK_NAME, _SK_NAME):
            if n in names:
                raise ShardingError(f"the placeholder {n} belongs to the sharding helper")
        if _PK_VALUE in values:
            raise ShardingError(f"the placeholder {_PK_VALUE} belongs to the sharding helper")
        names[_PK_NAME] = sh.key.key_attribute
        self.drop_sk = False
        proj = params.get("ProjectionExpression")
        if proj is not None and self.sk:
            tops = set()
            for part in proj.split(","):
                top = part.strip().split(".")[0].split("[")[0].strip()
                tops.add(names.get(top, top) if top.startswith("#") else top)
            if self.sk not in tops:
                names[_SK_NAME] = self.sk
                proj = f"{proj}, {_SK_NAME}"
                self.drop_sk = True
        self.kce = kce
        self.base = {**params, "ExpressionAttributeNames": names}
        self.values = values
        if proj is not None:
            self.base["ProjectionExpression"] = proj
        self.base.pop("ExpressionAttributeValues", None)
        self.page_size = page_size
        self.scanned = 0
        self.capacity = None
        self.cursors = self._start(start)
        self.heap: list = []
        self.stale = [i for i, c in enumerate(self.cursors) if not c.done]

    def _start(self, token) -> list[_Cursor]:
        n = self.sh.key.shards
        if token is None:
            return [_Cursor(None, False) for _ in range(n)]
        if not isinstance(token, dict) or token.get("Version") != _TOKEN_VERSION or \
                not isinstance(token.get("Shards"), list) or len(token["Shards"]) != n:
            raise ShardingError(f"ExclusiveStartKey is not a LastEvaluatedKey of a query "
                                f"over these {n} shards: {token!r}")
        ka = self.sh.key.key_attribute
        cursors = []
        for i, s in enumerate(token["Shards"]):
            if s is None:
                cursors.append(_Cursor(None, True))
            elif isinstance(s, dict) and not s:
                cursors.append(_Cursor(None, False))
            elif isinstance(s, dict) and s.get(ka) == self.sh._form.wrap_pk(self.pks[i]):
                cursors.append(_Cursor(s, False))
            else:
                raise ShardingError(f"ExclusiveStartKey: shard {i}'s entry {s!r} is not a "
                                    f"key of {self.pks[i]!r}")
        return cursors

    def request(self, i: int, start, limit) -> dict:
        """The Query parameters of shard i from ExclusiveStartKey start."""
        p = dict(self.base)
        kce = self.kce
        phys = self.sh._form.wrap_pk(self.pks[i])
        if kce is None or isinstance(kce, str):
            p["KeyConditionExpression"] = (f"{_PK_NAME} = {_PK_VALUE}" if kce is None
                                           else f"{_PK_NAME} = {_PK_VALUE} AND {kce}")
            p["ExpressionAttributeValues"] = {**self.values, _PK_VALUE: phys}
        else:  # a boto3 condition object (resource Table)
            from boto3.dynamodb.conditions import Key
            p["KeyConditionExpression"] = Key(self.sh.key.key_attribute).eq(phys) & kce
            names = dict(p["ExpressionAttributeNames"])
            del names[_PK_NAME]
            if names:
                p["ExpressionAttributeNames"] = names
            else:
                del p["ExpressionAttributeNames"]
            if self.values:
                p["ExpressionAttributeValues"] = dict(self.values)
        if limit is not None:
            p["Limit"] = limit
        if start is not None:
            p["ExclusiveStartKey"] = start
        return p

    def _fetch(self, i: int) -> tuple:
        """Read shard i's pages until one has an item or the shard ends.
        Returns (items scanned, capacity units or None); may run in a pool
        thread, so it touches only cursor i."""
        c = self.cursors[i]
        sk = self.sk
        order = self.sh._form.order
        rev = not self.forward
        scanned, capacity = 0, None
        while not c.buf and not c.done:
            out = self.sh._call("query", self.request(i, c.resume, self.page_size))
            scanned += out.get("ScannedCount", 0)
            cc = out.get("ConsumedCapacity")
            if cc is not None:
                capacity = (capacity or 0) + cc.get("CapacityUnits", 0)
            for item in out.get("Items", ()):
                k = order(item[sk]) if sk else 0
                c.buf.append((_Rev(k) if rev else k, item))
            c.nxt = out.get("LastEvaluatedKey")
            if not c.buf:
                if c.nxt is None:
                    c.done = True
                else:
                    c.resume = c.nxt
        return scanned, capacity

    def next(self) -> dict | None:
        """The next item of the merged stream, or None at its end."""
        if self.stale:
            stale, self.stale = self.stale, []
            for scanned, capacity in self.sh._map(self._fetch, stale):
                self.scanned += scanned
                if capacity is not None:
                    self.capacity = (self.capacity or 0) + capacity
            for i in stale:
                c = self.cursors[i]
                if c.buf:
                    heapq.heappush(self.heap, (c.buf[0][0], i))
        if not self.heap:
            return None
        _, i = heapq.heappop(self.heap)
        c = self.cursors[i]
        _, item = c.buf.popleft()
        if c.buf:
            heapq.heappush(self.heap, (c.buf[0][0], i))
        elif c.nxt is None:
            c.done = True
        else:
            c.resume = c.nxt
            self.stale.append(i)
        if c.buf or c.done:
            c.resume = self._key_of(i, item)
        return self._output(item)

    def _key_of(self, i: int, item: dict) -> dict:
        ka = self.sh.key.key_attribute
        key = {ka: self.sh._form.wrap_pk(self.pks[i])}
        if self.sk:
            key[self.sk] = item[self.sk]
        return key

    def _output(self, item: dict) -> dict:
        if self.drop_sk:
            item = dict(item)
            del item[self.sk]
        return self.sh._restore(item)

    def token(self):
        """The composite LastEvaluatedKey, or None if every shard is finished."""
        if all(c.done for c in self.cursors):
            return None
        return {"Version": _TOKEN_VERSION,
                "Shards": [None if c.done else ({} if c.resume is None else dict(c.resume))
                           for c in self.cursors]}
