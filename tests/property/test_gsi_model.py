"""Secondary indexes against a plain model: random puts, updates that set,
change and remove index keys, deletes, batch writes, transactions and
reopens on a table with three global indexes (one with a sort key and an
INCLUDE projection, one KEYS_ONLY on a partition key alone, one with a
multi-attribute key of two attributes a side) and a local one. After every step a
paged Scan of each index must hold exactly the entries the model implies,
and a Query of each index partition key the same entries in sort-key order."""
from __future__ import annotations

import shutil
import tempfile

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import dyncore

KEYS = st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 2))
GS = st.sampled_from(["x", "y", "z", "w"])
NUMS = st.integers(-3, 3)
OPT = st.one_of(st.none(), GS)
OPTN = st.one_of(st.none(), NUMS)
INDEXES = [
    {"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                       {"AttributeName": "gs", "KeyType": "RANGE"}],
     "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["o"]}},
    {"IndexName": "byH", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
     "Projection": {"ProjectionType": "KEYS_ONLY"}},
    # multi-attribute keys: two partition key and two sort key attributes
    {"IndexName": "byM", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"},
                                       {"AttributeName": "g", "KeyType": "HASH"},
                                       {"AttributeName": "gs", "KeyType": "RANGE"},
                                       {"AttributeName": "o", "KeyType": "RANGE"}],
     "Projection": {"ProjectionType": "KEYS_ONLY"}},
]
LOCAL = [{"IndexName": "byL", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                            {"AttributeName": "h", "KeyType": "RANGE"}],
          "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["o"]}}]
PROJECTED = {"byG": ("g", "gs", "o"), "byH": ("h",), "byL": ("h", "o"),
             "byM": ("h", "g", "gs", "o")}
INDEX_KEYS = {"byG": ("g", "gs"), "byH": ("h",), "byL": ("pk", "h"),
              "byM": ("h", "g", "gs", "o")}
INDEX_HASH = {"byG": ("g",), "byH": ("h",), "byL": ("pk",), "byM": ("h", "g")}


def make_item(pk, sk, g, gs, h, o):
    item = {"pk": {"S": pk}, "sk": {"N": str(sk)}, "other": {"S": "v"}}
    if g is not None:
        item["g"] = {"S": g}
    if gs is not None:
        item["gs"] = {"N": str(gs)}
    if h is not None:
        item["h"] = {"S": h}
    if o is not None:
        item["o"] = {"S": o}
    return item


def key_of(pk, sk):
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def frozen(item):
    return tuple(sorted((k, tuple(v.items())) for k, v in item.items()))


class GsiModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.path = tempfile.mkdtemp(prefix="dyncore-gsi-")
        self.db = None
        self.items: dict[tuple, dict] = {}

    def _open(self):
        self.db = dyncore.open(self.path, sync="none", split_bytes=16 * 1024)
        self.client = self.db.client()

    @initialize()
    def create(self):
        self._open()
        self.client.create_table(
            TableName="gsi", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in
                                  [("pk", "S"), ("sk", "N"), ("g", "S"), ("gs", "N"),
                                   ("h", "S"), ("o", "S")]],
            BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=INDEXES,
            LocalSecondaryIndexes=LOCAL)

    def teardown(self):
        if self.db is not None:
            self.db.close()
        shutil.rmtree(self.path, ignore_errors=True)

    @rule(k=KEYS, g=OPT, gs=OPTN, h=OPT, o=OPT)
    def put(self, k, g, gs, h, o):
        item = make_item(*k, g, gs, h, o)
        self.client.put_item(TableName="gsi", Item=item)
        self.items[k] = item

    @rule(k=KEYS, attr=st.sampled_from(["g", "gs", "h", "o"]), value=st.one_of(st.none(), GS,
                                                                               NUMS))
    def update(self, k, attr, value):
        if value is None:
            self.client.update_item(TableName="gsi", Key=key_of(*k),
                                    UpdateExpression="REMOVE #a",
                                    ExpressionAttributeNames={"#a": attr})
            item = dict(self.items.get(k) or key_of(*k))
            item.pop(attr, None)
        else:
            v = {"N": str(value if isinstance(value, int) else len(value))} if attr == "gs" \
                else {"S": str(value)}
            self.client.update_item(TableName="gsi", Key=key_of(*k),
                                    UpdateExpression="SET #a = :v",
                                    ExpressionAttributeNames={"#a": attr},
                                    ExpressionAttributeValues={":v": v})
            item = dict(self.items.get(k) or key_of(*k))
            item[attr] = v
        self.items[k] = item

    @rule(k=KEYS)
    def delete(self, k):
        self.client.delete_item(TableName="gsi", Key=key_of(*k))
        self.items.pop(k, None)

    @rule(ops=st.lists(st.tuples(KEYS, st.one_of(st.none(), st.tuples(OPT, OPTN, OPT))),
                       min_size=1, max_size=5, unique_by=lambda op: op[0]))
    def batch(self, ops):
        reqs = []
        for k, spec in ops:
            if spec is None:
                reqs.append({"DeleteRequest": {"Key": key_of(*k)}})
                self.items.pop(k, None)
            else:
                item = make_item(*k, spec[0], spec[1], spec[2], "o")
                reqs.append({"PutRequest": {"Item": item}})
                self.items[k] = item
        self.client.batch_write_item(RequestItems={"gsi": reqs})

    @rule(ops=st.lists(st.tuples(KEYS, st.one_of(st.none(), st.tuples(OPT, OPTN, OPT))),
                       min_size=1, max_size=3, unique_by=lambda op: op[0]))
    def transact(self, ops):
        actions = []
        for k, spec in ops:
            if spec is None:
                actions.append({"Delete": {"TableName": "gsi", "Key": key_of(*k)}})
                self.items.pop(k, None)
            else:
                item = make_item(*k, spec[0], spec[1], spec[2], None)
                actions.append({"Put": {"TableName": "gsi", "Item": item}})
                self.items[k] = item
        self.client.transact_write_items(TransactItems=actions)

    @rule()
    def reopen(self):
        self.db.close()
        self._open()

    def _expected(self, name):
        keys = INDEX_KEYS[name]
        out = []
        for item in self.items.values():
            if all(k in item for k in keys):
                out.append({a: item[a] for a in ("pk", "sk") + PROJECTED[name] if a in item})
        return out

    def _scan(self, name):
        got, esk = [], None
        while True:
            kw = {"Limit": 4}
            if esk:
                kw["ExclusiveStartKey"] = esk
            r = self.client.scan(TableName="gsi", IndexName=name, **kw)
            got += r["Items"]
            esk = r.get("LastEvaluatedKey")
            if not esk:
                return got

    @invariant()
    def indexes_match(self):
        if self.db is None:
            return
        for name in ("byG", "byH", "byL", "byM"):
            want = self._expected(name)
            got = self._scan(name)
            assert sorted(map(frozen, got)) == sorted(map(frozen, want)), name
            hks = INDEX_HASH[name]
            for values in {tuple(i[k]["S"] for k in hks) for i in want}:
                n = range(len(hks))
                q = self.client.query(
                    TableName="gsi", IndexName=name,
                    KeyConditionExpression=" AND ".join(f"#k{j} = :v{j}" for j in n),
                    ExpressionAttributeNames={f"#k{j}": hks[j] for j in n},
                    ExpressionAttributeValues={f":v{j}": {"S": values[j]} for j in n})["Items"]
                mine = [i for i in want if tuple(i[k]["S"] for k in hks) == values]
                assert sorted(map(frozen, q)) == sorted(map(frozen, mine))
                if name == "byG":
                    order = [int(i["gs"]["N"]) for i in q]
                    assert order == sorted(order)
                if name == "byM":   # by gs, then o, then the table's key
                    order = [(int(i["gs"]["N"]), i["o"]["S"]) for i in q]
                    assert order == sorted(order)


TestGsiModel = GsiModel.TestCase
