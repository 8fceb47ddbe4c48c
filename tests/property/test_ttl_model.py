"""Time to Live against a plain model: random puts (expiry numbers near
now, strings, number sets, values years old), updates that renew or remove
the expiry, deletes, TTL enabled and disabled on one of two attributes, a
ManualClock moved by seconds to days, reopens, and sweeps — complete ones
(exactly the expired items go) and bounded ticks (only expired items may go).
After every step a scan must equal the model."""
from __future__ import annotations

import shutil
import tempfile

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import dyncore
from dyncore.clock import ManualClock

T0 = 1_700_000_000
DELAY = 60
FIVE_YEARS = 5 * 365 * 86400
PKS = st.sampled_from([f"k{i}" for i in range(12)])
ATTRS = st.sampled_from(["exp", "alt"])
BOUNDARIES = [-DELAY - 1, -DELAY, -DELAY + 1, -1, 0, 1, -FIVE_YEARS - 1, -FIVE_YEARS,
              -FIVE_YEARS + 1 - DELAY, -6 * 365 * 86400]
offsets = st.one_of(st.integers(-3 * 86400, 3 * 86400), st.integers(-200, 200),
                    st.sampled_from(BOUNDARIES))
expiry = st.one_of(
    offsets.map(lambda o: ("N", o)),
    st.sampled_from(BOUNDARIES).map(lambda o: ("N", o)),
    st.integers(-DELAY - 3, 3).map(lambda o: ("N", o)),
    st.none(),
    st.tuples(offsets, st.sampled_from(["", ".5", ".999"])).map(lambda t: ("Nf", t)),
    offsets.map(lambda o: ("S", o)),
    offsets.map(lambda o: ("NS", o)),
)


class TtlModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.path = tempfile.mkdtemp(prefix="dyncore-ttl-")
        self.clock = ManualClock(T0)
        self.db = None
        self.items: dict[str, dict] = {}
        self.attribute = None

    def _open(self):
        self.db = dyncore.open(self.path, sync="none", clock=self.clock, ttl_sweep_interval=None,
                               ttl_delay_seconds=DELAY, ttl_batch_items=4)
        self.client = self.db.client()

    @initialize()
    def create(self):
        self._open()
        self.client.create_table(
            TableName="ttl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")
        self.client.update_time_to_live(TableName="ttl", TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "exp"})
        self.attribute = "exp"

    def teardown(self):
        if self.db is not None:
            self.db.close()
        shutil.rmtree(self.path, ignore_errors=True)

    # -- the model's rule ----------------------------------------------------------

    def _expired(self, item) -> bool:
        if self.attribute is None:
            return False
        av = item.get(self.attribute)
        if av is None or "N" not in av:
            return False
        now = self.clock.now()
        return now - FIVE_YEARS < float(av["N"]) < now - DELAY

    def _value(self, spec):
        kind, arg = spec
        now = int(self.clock.now())
        if kind == "N":
            return {"N": str(now + arg)}
        if kind == "Nf":
            return {"N": str(now + arg[0]) + arg[1]}
        if kind == "S":
            return {"S": str(now + arg)}
        return {"NS": [str(now + arg)]}

    # -- writes ------------------------------------------------------------------

    @rule(pk=PKS, exp=expiry, alt=expiry)
    def put(self, pk, exp, alt):
        item = {"pk": {"S": pk}}
        if exp is not None:
            item["exp"] = self._value(exp)
        if alt is not None:
            item["alt"] = self._value(alt)
        self.client.put_item(TableName="ttl", Item=item)
        self.items[pk] = item

    @rule(pk=PKS, attribute=ATTRS, offset=offsets)
    def renew(self, pk, attribute, offset):
        value = {"N": str(int(self.clock.now()) + offset)}
        self.client.update_item(TableName="ttl", Key={"pk": {"S": pk}},
                                UpdateExpression="SET #a = :v",
                                ExpressionAttributeNames={"#a": attribute},
                                ExpressionAttributeValues={":v": value})
        self.items.setdefault(pk, {"pk": {"S": pk}})[attribute] = value

    @rule(pk=PKS, attribute=ATTRS)
    def remove_expiry(self, pk, attribute):
        if pk in self.items:
            self.client.update_item(TableName="ttl", Key={"pk": {"S": pk}},
                                    UpdateExpression="REMOVE #a",
                                    ExpressionAttributeNames={"#a": attribute})
            self.items[pk].pop(attribute, None)

    @rule(pk=PKS)
    def delete(self, pk):
        self.client.delete_item(TableName="ttl", Key={"pk": {"S": pk}})
        self.items.pop(pk, None)

    # -- time and the setting -----------------------------------------------------

    @rule(seconds=st.one_of(st.integers(0, 3), st.integers(0, 120), st.integers(0, 4 * 86400)))
    def advance(self, seconds):
        self.clock.advance(seconds)

    @rule(attribute=ATTRS)
    def toggle(self, attribute):
        self.clock.advance(3600)     # DynamoDB's one change an hour
        if self.attribute is None:
            self.client.update_time_to_live(TableName="ttl", TimeToLiveSpecification={
                "Enabled": True, "AttributeName": attribute})
            self.attribute = attribute
        else:
            self.client.update_time_to_live(TableName="ttl", TimeToLiveSpecification={
                "Enabled": False, "AttributeName": self.attribute})
            self.attribute = None

    @rule()
    def reopen(self):
        self.db.close()
        self._open()

    # -- sweeps --------------------------------------------------------------------

    @rule()
    def sweep_now(self):
        expired = {pk for pk, item in self.items.items() if self._expired(item)}
        assert self.db.ttl_sweep_now() == len(expired)
        for pk in expired:
            del self.items[pk]

    @rule(ticks=st.integers(1, 3))
    def tick(self, ticks):
        allowed = {pk for pk, item in self.items.items() if self._expired(item)}
        for _ in range(ticks):
            self.db.ttl.tick()
        left = {i["pk"]["S"] for i in self.client.scan(TableName="ttl")["Items"]}
        gone = set(self.items) - left
        assert gone <= allowed, f"deleted items that were not expired: {gone - allowed}"
        for pk in gone:
            del self.items[pk]

    @invariant()
    def same_items(self):
        if self.db is None:
            return
        got = {i["pk"]["S"]: i for i in self.client.scan(TableName="ttl")["Items"]}
        assert got == self.items
        desc = self.client.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"]
        if self.attribute is None:
            assert desc == {"TimeToLiveStatus": "DISABLED"}
        else:
            assert desc == {"TimeToLiveStatus": "ENABLED", "AttributeName": self.attribute}


TestTtlModel = TtlModel.TestCase
