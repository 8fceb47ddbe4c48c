"""The table layer against a plain in-memory model of DynamoDB's semantics.

Random puts, deletes, batch writes, gets, queries (every sort-key operator,
both directions, paginated with Limit) and scans (paginated, and parallel
segments), mixed with reopening the database and splitting partitions (both
automatic, with a tiny split threshold, and forced). After every step the
answers must be exactly the model's: same items, same query order, every
item of a scan exactly once.
"""
from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import dyncore

TABLES = {
    # name: (pk name, pk type, sk name, sk type)
    "tsn": ("p", "S", "s", "N"),
    "tns": ("p", "N", "s", "S"),
    "tbb": ("p", "B", None, None),
}

PKS = {"S": st.sampled_from(["a", "b", "ab", "é", "a\x00", "zz"]),
       "N": st.sampled_from(["0", "1", "-1", "1.5", "100", "-0.001"]),
       "B": st.sampled_from([b"\x00", b"\x00\x00", b"\x01", b"\xff", b"ab"])}
SKS = {"S": st.text(alphabet="ab\x00é\U0001F600", min_size=1, max_size=4),
       "N": st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)
       .map(lambda d: str(d))}


def canon_n(text: str) -> str:
    d = Decimal(text).normalize()
    if d == 0:
        return "0"
    s = format(d, "f")
    return s


def order_key(typ, value):
    if typ == "N":
        return Decimal(value)
    if typ == "S":
        return value.encode("utf-8")
    return bytes(value)


def av(typ, value):
    return {typ: value}


def canon_item(item):
    """The item as DynamoDB returns it (numbers canonical)."""
    out = {}
    for k, v in item.items():
        ((t, x),) = v.items()
        out[k] = {"N": canon_n(x)} if t == "N" else v
    return out


payload = st.one_of(st.text(max_size=30).map(lambda s: {"S": s}),
                    st.integers(-10**6, 10**6).map(lambda i: {"N": str(i)}),
                    st.binary(max_size=40).map(lambda b: {"B": b}),
                    st.booleans().map(lambda b: {"BOOL": b}))


class TableModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.path = tempfile.mkdtemp(prefix="dyncore-model-")
        self.db = None
        self.model = {name: {} for name in TABLES}

    def _open(self):
        self.db = dyncore.open(self.path, sync="none", split_bytes=6 * 1024)
        self.client = self.db.client()

    @initialize()
    def create(self):
        self._open()
        for name, (pk, pt, sk, stype) in TABLES.items():
            ks = [{"AttributeName": pk, "KeyType": "HASH"}]
            ad = [{"AttributeName": pk, "AttributeType": pt}]
            if sk:
                ks.append({"AttributeName": sk, "KeyType": "RANGE"})
                ad.append({"AttributeName": sk, "AttributeType": stype})
            self.client.create_table(TableName=name, KeySchema=ks, AttributeDefinitions=ad,
                                     BillingMode="PAY_PER_REQUEST")

    def teardown(self):
        if self.db is not None:
            self.db.close()
        shutil.rmtree(self.path, ignore_errors=True)

    # -- keys ----------------------------------------------------------------

    @staticmethod
    def _key(name, data):
        pk, pt, sk, stype = TABLES[name]
        key = {pk: av(pt, data.draw(PKS[pt]))}
        if sk:
            key[sk] = av(stype, data.draw(SKS[stype]))
        return key

    @staticmethod
    def _ident(name, key):
        pk, pt, sk, stype = TABLES[name]
        ident = [pt, canon_n(key[pk]["N"]) if pt == "N" else key[pk][pt]]
        if sk:
            ident.append(canon_n(key[sk]["N"]) if stype == "N" else key[sk][stype])
        return tuple(ident)

    # -- writes -------------------------------------------------------------------

    @rule(name=st.sampled_from(sorted(TABLES)), data=st.data(),
          extra=st.dictionaries(st.sampled_from(["x", "y", "long_attribute_name"]), payload,
                                max_size=3), pad=st.integers(0, 600))
    def put(self, name, data, extra, pad):
        key = self._key(name, data)
        item = dict(extra)
        item["pad"] = {"S": "p" * pad}
        item.update(key)
        self.client.put_item(TableName=name, Item=item)
        self.model[name][self._ident(name, key)] = canon_item(item)

    @rule(name=st.sampled_from(sorted(TABLES)), data=st.data())
    def delete(self, name, data):
        if self.model[name] and data.draw(st.booleans()):
            ident = data.draw(st.sampled_from(sorted(self.model[name], key=repr)))
            item = self.model[name][ident]
            key = {k: item[k] for k in self._keynames(name)}
        else:
            key = self._key(name, data)
        out = self.client.delete_item(TableName=name, Key=key, ReturnValues="ALL_OLD")
        old = self.model[name].pop(self._ident(name, key), None)
        assert out.get("Attributes") == old

    @rule(name=st.sampled_from(sorted(TABLES)), data=st.data())
    def put_if_absent(self, name, data):
        key = self._key(name, data)
        ident = self._ident(name, key)
        item = dict(key, x={"S": "new"})
        pk = self._keynames(name)[0]
        try:
            self.client.put_item(TableName=name, Item=item, ConditionExpression="attribute_not_exists(#k)",
                                 ExpressionAttributeNames={"#k": pk},
                                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except self.client.exceptions.ConditionalCheckFailedException as e:
            assert ident in self.model[name]
            assert e.response["Item"] == self.model[name][ident]
            return
        assert ident not in self.model[name]
        self.model[name][ident] = canon_item(item)

    @rule(name=st.sampled_from(sorted(TABLES)), data=st.data(), d=st.integers(-50, 50))
    def update_add(self, name, data, d):
        if self.model[name] and data.draw(st.booleans()):
            ident = data.draw(st.sampled_from(sorted(self.model[name], key=repr)))
            key = {k: self.model[name][ident][k] for k in self._keynames(name)}
        else:
            key = self._key(name, data)
        ident = self._ident(name, key)
        old = self.model[name].get(ident)
        if old is not None and "v" in old and "N" not in old["v"]:
            return
        out = self.client.update_item(TableName=name, Key=key,
                                      UpdateExpression="ADD v :d SET touched = :t",
                                      ExpressionAttributeValues={":d": {"N": str(d)},
                                                                 ":t": {"BOOL": True}},
                                      ReturnValues="ALL_NEW")
        new = dict(old) if old is not None else canon_item(dict(key))
        new["v"] = {"N": canon_n(str(int(old["v"]["N"]) + d if old and "v" in old else d))}
        new["touched"] = {"BOOL": True}
        self.model[name][ident] = new
        assert out["Attributes"] == new

    @rule(data=st.data(), n=st.integers(1, 6), fail=st.booleans())
    def transact(self, data, n, fail):
        actions, seen, staged = [], set(), []
        for _ in range(n):
            name = data.draw(st.sampled_from(sorted(TABLES)))
            key = self._key(name, data)
            ident = (name, self._ident(name, key))
            if ident in seen:
                continue
            seen.add(ident)
            if data.draw(st.booleans()):
                item = dict(key, t={"N": str(data.draw(st.integers(0, 9)))})
                actions.append({"Put": {"TableName": name, "Item": item}})
                staged.append((name, ident[1], canon_item(item)))
            else:
                actions.append({"Delete": {"TableName": name, "Key": key}})
                staged.append((name, ident[1], None))
        if fail and actions:
            # the last action's condition fails: nothing may be written
            last = actions[-1]
            body = last.get("Put") or last.get("Delete")
            body["ConditionExpression"] = "attribute_exists(nosuchattr) AND attribute_not_exists(nosuchattr)"
        try:
            self.client.transact_write_items(TransactItems=actions)
        except self.client.exceptions.TransactionCanceledException as e:
            assert fail
            codes = [r["Code"] for r in e.response["CancellationReasons"]]
            assert codes == ["None"] * (len(actions) - 1) + ["ConditionalCheckFailed"]
            return
        assert not fail
        for name, ident, item in staged:
            if item is None:
                self.model[name].pop(ident, None)
            else:
                self.model[name][ident] = item

    @staticmethod
    def _keynames(name):
        pk, _, sk, _ = TABLES[name]
        return [pk] + ([sk] if sk else [])

    @rule(name=st.sampled_from(sorted(TABLES)), data=st.data(), n=st.integers(1, 25))
    def batch_write(self, name, data, n):
        requests, seen = [], set()
        for _ in range(n):
            key = self._key(name, data)
            ident = self._ident(name, key)
            if ident in seen:
                continue
            seen.add(ident)
            if data.draw(st.booleans()):
                item = dict(key, v={"N": str(data.draw(st.integers(0, 99)))})
                requests.append({"PutRequest": {"Item": item}})
                self.model[name][ident] = canon_item(item)
            else:
                requests.append({"DeleteRequest": {"Key": key}})
                self.model[name].pop(ident, None)
        out = self.client.batch_write_item(RequestItems={name: requests})
        assert out["UnprocessedItems"] == {}

    # -- structure ------------------------------------------------------------------

    @rule()
    def reopen(self):
        self.db.close()
        self._open()

    @rule(name=st.sampled_from(sorted(TABLES)))
    def split(self, name):
        self.db.split_partition(name)

    # -- reads ---------------------------------------------------------------------

    @rule(name=st.sampled_from(sorted(TABLES)), data=st.data())
    def get(self, name, data):
        if self.model[name] and data.draw(st.booleans()):
            ident = data.draw(st.sampled_from(sorted(self.model[name], key=repr)))
            key = {k: self.model[name][ident][k] for k in self._keynames(name)}
        else:
            key = self._key(name, data)
        out = self.client.get_item(TableName=name, Key=key, ConsistentRead=True)
        assert out.get("Item") == self.model[name].get(self._ident(name, key))

    @rule(name=st.sampled_from(["tsn", "tns"]), data=st.data(),
          op=st.sampled_from([None, "=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"]),
          forward=st.booleans(), limit=st.one_of(st.none(), st.integers(1, 7)))
    def query(self, name, data, op, forward, limit):
        pk, pt, sk, stype = TABLES[name]
        if op == "begins_with" and stype != "S":
            op = ">="
        pkv = data.draw(PKS[pt])
        values = [data.draw(SKS[stype]) for _ in range(2 if op == "BETWEEN" else 1)]
        if op == "BETWEEN":
            values.sort(key=lambda v: order_key(stype, v))
        names = {"#p": pk, "#s": sk}
        vals = {":p": av(pt, pkv)}
        if op is None:
            expr = "#p = :p"
            del names["#s"]
        elif op == "BETWEEN":
            expr = "#p = :p AND #s BETWEEN :a AND :b"
            vals[":a"], vals[":b"] = av(stype, values[0]), av(stype, values[1])
        elif op == "begins_with":
            expr = "#p = :p AND begins_with(#s, :a)"
            vals[":a"] = av(stype, values[0])
        else:
            expr = f"#p = :p AND #s {op} :a"
            vals[":a"] = av(stype, values[0])
        got = self._paginate("query", TableName=name, KeyConditionExpression=expr,
                             ExpressionAttributeNames=names, ExpressionAttributeValues=vals,
                             ScanIndexForward=forward, Limit=limit)
        pk_ident = canon_n(pkv) if pt == "N" else pkv
        want = []
        for ident, item in self.model[name].items():
            if ident[1] != pk_ident:
                continue
            s = order_key(stype, ident[2])
            v = [order_key(stype, x) for x in values]
            ok = (op is None or (op == "=" and s == v[0]) or (op == "<" and s < v[0])
                  or (op == "<=" and s <= v[0]) or (op == ">" and s > v[0])
                  or (op == ">=" and s >= v[0]) or (op == "BETWEEN" and v[0] <= s <= v[1])
                  or (op == "begins_with" and s.startswith(v[0])))
            if ok:
                want.append((s, item))
        want.sort(key=lambda x: x[0], reverse=not forward)
        assert got == [item for _, item in want]

    def _paginate(self, method, Limit=None, **params):
        fn = getattr(self.client, method)
        items = []
        while True:
            if Limit is not None:
                params["Limit"] = Limit
            page = fn(**params)
            assert page["Count"] == len(page["Items"])
            if Limit is not None:
                assert len(page["Items"]) <= Limit
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @rule(name=st.sampled_from(sorted(TABLES)), limit=st.one_of(st.none(), st.integers(1, 9)),
          segments=st.one_of(st.none(), st.integers(1, 5)))
    def scan(self, name, limit, segments):
        if segments is None:
            got = self._paginate("scan", TableName=name, Limit=limit)
        else:
            got = []
            for seg in range(segments):
                got += self._paginate("scan", TableName=name, Limit=limit, Segment=seg,
                                      TotalSegments=segments)
        idents = [self._ident(name, {k: it[k] for k in self._keynames(name)}) for it in got]
        assert len(idents) == len(set(idents)), "an item came back twice"
        assert {i: it for i, it in zip(idents, got)} == self.model[name]

    @invariant()
    def counts(self):
        if self.db is None:
            return
        for name in TABLES:
            desc = self.client.describe_table(TableName=name)["Table"]
            assert desc["ItemCount"] == len(self.model[name])


TestTableModel = TableModel.TestCase
