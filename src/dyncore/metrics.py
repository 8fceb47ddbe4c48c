"""Prometheus text exposition of a server's counters and a database's state.

    m = Metrics()
    m.observe("PutItem", 0.00012, None)            # seconds, error code or None
    text = m.render(db)                            # GET /metrics

Requests and errors by operation, a latency histogram per operation, items
and bytes per table (DescribeTable's figures), and engine statistics summed
over each table's partitions (memtable bytes, flushes, compactions, write
stalls, block-cache hits and misses), and capacity: consumed and throttled
read and write units per table and index and per partition, throttled
requests by DynamoDB's throttling reason, provisioned units and the burst
capacity left (Database.capacity_stats). Counting is a few dict operations
under a lock; rendering walks the tables only when scraped.
"""
from __future__ import annotations

import bisect
import threading

__all__ = ["Metrics", "BUCKETS"]

# latency histogram bucket bounds, seconds
BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
           0.5, 1.0, 2.5)

_ENGINE = (("memtable_bytes", "dyncore_engine_memtable_bytes", "gauge"),
           ("immutable_bytes", "dyncore_engine_immutable_memtable_bytes", "gauge"),
           ("sst_bytes", "dyncore_engine_sst_bytes", "gauge"),
           ("flushes", "dyncore_engine_flushes_total", "counter"),
           ("compactions", "dyncore_engine_compactions_total", "counter"),
           ("compaction_bytes_written", "dyncore_engine_compaction_bytes_written_total",
            "counter"),
           ("stalls", "dyncore_engine_write_stalls_total", "counter"),
           ("stall_micros", "dyncore_engine_write_stall_microseconds_total", "counter"),
           ("writes", "dyncore_engine_writes_total", "counter"),
           ("gets", "dyncore_engine_gets_total", "counter"))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.errors: dict[tuple[str, str], int] = {}
        self.latency: dict[str, list] = {}   # op -> [bucket counts..., +Inf, sum]
        self.callers: dict[tuple[str, str], int] = {}   # (access key id, region) -> requests

    def caller(self, ident: tuple[str, str] | None) -> None:
        """Count a request by its SigV4 credential (None: unsigned)."""
        key = ident or ("", "")
        with self._lock:
            if key in self.callers or len(self.callers) < 1000:
                self.callers[key] = self.callers.get(key, 0) + 1

    def observe(self, operation: str, seconds: float, error: str | None) -> None:
        i = bisect.bisect_left(BUCKETS, seconds)
        with self._lock:
            self.requests[operation] = self.requests.get(operation, 0) + 1
            if error is not None:
                key = (operation, error)
                self.errors[key] = self.errors.get(key, 0) + 1
            h = self.latency.get(operation)
            if h is None:
                h = self.latency[operation] = [0] * (len(BUCKETS) + 2)
            h[i] += 1
            h[-1] += seconds

    def render(self, db) -> str:
        out = []
        with self._lock:
            requests = dict(self.requests)
            errors = dict(self.errors)
            latency = {k: list(v) for k, v in self.latency.items()}
            callers = dict(self.callers)
        out += ["# HELP dyncore_requests_total Requests by operation.",
                "# TYPE dyncore_requests_total counter"]
        out += [f'dyncore_requests_total{{operation="{_label(op)}"}} {n}'
                for op, n in sorted(requests.items())]
        out += ["# HELP dyncore_errors_total Error answers by operation and error code.",
                "# TYPE dyncore_errors_total counter"]
        out += [f'dyncore_errors_total{{operation="{_label(op)}",code="{_label(code)}"}} {n}'
                for (op, code), n in sorted(errors.items())]
        out += ["# HELP dyncore_request_seconds Request latency by operation.",
                "# TYPE dyncore_request_seconds histogram"]
        for op, h in sorted(latency.items()):
            cum = 0
            lab = _label(op)
            for bound, n in zip(BUCKETS, h):
                cum += n
                out.append(f'dyncore_request_seconds_bucket{{operation="{lab}",le="{bound}"}} {cum}')
            cum += h[len(BUCKETS)]
            out.append(f'dyncore_request_seconds_bucket{{operation="{lab}",le="+Inf"}} {cum}')
            out.append(f'dyncore_request_seconds_count{{operation="{lab}"}} {cum}')
            out.append(f'dyncore_request_seconds_sum{{operation="{lab}"}} {h[-1]:.6f}')
        out += ["# HELP dyncore_requests_by_credential_total Requests by SigV4 access key id "
                "and region (empty: unsigned).",
                "# TYPE dyncore_requests_by_credential_total counter"]
        out += [f'dyncore_requests_by_credential_total{{access_key_id="{_label(ak)}",'
                f'region="{_label(region)}"}} {n}' for (ak, region), n in sorted(callers.items())]
        out += self._tables(db)
        out += self._capacity(db)
        return "\n".join(out) + "\n"

    @staticmethod
    def _capacity(db) -> list[str]:
        consumed, throttled, requests, parts, prov, burst = [], [], [], [], [], []
        for name in db.list_tables():
            try:
                st = db.capacity_stats(name)
            except Exception:  # noqa: BLE001 - deleted meanwhile
                continue
            lab = _label(name)
            # index="" is the table itself; global secondary indexes get their names
            for iname, m in [("", st), *sorted((st.get("indexes") or {}).items())]:
                for i, kind in enumerate(("read", "write")):
                    where = f'table="{lab}",index="{_label(iname)}",kind="{kind}"'
                    consumed.append(f"dyncore_consumed_capacity_units_total{{{where}}} "
                                    f"{m['consumed'][i]:g}")
                    throttled.append(f"dyncore_throttled_capacity_units_total{{{where}}} "
                                     f"{m['throttled_units'][i]:g}")
            for i, kind in enumerate(("read", "write")):
                if st["mode"] == "PROVISIONED":
                    prov.append(f'dyncore_provisioned_capacity_units{{table="{lab}",'
                                f'kind="{kind}"}} {st["provisioned"][i]}')
                bucket = st["buckets"][i]
                if bucket is not None:
                    burst.append(f'dyncore_capacity_bucket_units{{table="{lab}",'
                                 f'kind="{kind}"}} {bucket[0]:g}')
            for reason, n in sorted(st["throttled"].items()):
                requests.append(f'dyncore_throttled_requests_total{{table="{lab}",'
                                f'reason="{_label(reason)}"}} {n}')
            for iname, ist in sorted((st.get("indexes") or {}).items()):
                for reason, n in sorted(ist["throttled"].items()):
                    requests.append(f'dyncore_throttled_requests_total{{table="{lab}",'
                                    f'index="{_label(iname)}",reason="{_label(reason)}"}} {n}')
            for pid, row in sorted(st["partitions"].items()):
                for i, (what, kind) in enumerate((("consumed", "read"), ("consumed", "write"),
                                                  ("throttled", "read"),
                                                  ("throttled", "write"))):
                    parts.append(f'dyncore_partition_{what}_capacity_units_total{{table="{lab}",'
                                 f'partition="{pid}",kind="{kind}"}} {row[i]:g}')
        return ["# HELP dyncore_consumed_capacity_units_total Capacity units consumed, by "
                "table, index and kind.",
                "# TYPE dyncore_consumed_capacity_units_total counter", *consumed,
                "# HELP dyncore_throttled_capacity_units_total Capacity units of throttled "
                "requests.",
                "# TYPE dyncore_throttled_capacity_units_total counter", *throttled,
                "# HELP dyncore_throttled_requests_total Throttled requests by DynamoDB's "
                "throttling reason.",
                "# TYPE dyncore_throttled_requests_total counter", *requests,
                "# TYPE dyncore_partition_consumed_capacity_units_total counter",
                *[x for x in parts if x.startswith("dyncore_partition_consumed")],
                "# TYPE dyncore_partition_throttled_capacity_units_total counter",
                *[x for x in parts if x.startswith("dyncore_partition_throttled")],
                "# TYPE dyncore_provisioned_capacity_units gauge", *prov,
                "# HELP dyncore_capacity_bucket_units Units left in a table's token bucket "
                "(burst capacity).",
                "# TYPE dyncore_capacity_bucket_units gauge", *burst]

    @staticmethod
    def _tables(db) -> list[str]:
        items, sizes, parts, engine = [], [], [], {name: [] for _, name, _ in _ENGINE}
        hits = misses = 0
        keys = [k for k, _, _ in _ENGINE]
        for name in db.list_tables():
            try:
                desc = db.describe_table(name)
                sums, cache = db.engine_stats(name, keys)
            except Exception:  # noqa: BLE001 - deleted meanwhile
                continue
            lab = _label(name)
            items.append(f'dyncore_table_items{{table="{lab}"}} {desc["ItemCount"]}')
            sizes.append(f'dyncore_table_bytes{{table="{lab}"}} {desc["TableSizeBytes"]}')
            parts.append(f'dyncore_table_partitions{{table="{lab}"}} {sums["partitions"]}')
            hits, misses = cache.get("hits", hits), cache.get("misses", misses)
            for k, metric, _ in _ENGINE:
                engine[metric].append(f'{metric}{{table="{lab}"}} {sums[k]}')
        out = ["# TYPE dyncore_table_items gauge", *items,
               "# TYPE dyncore_table_bytes gauge", *sizes,
               "# TYPE dyncore_table_partitions gauge", *parts]
        for _, metric, kind in _ENGINE:
            out += [f"# TYPE {metric} {kind}", *engine[metric]]
        # the block cache is shared by every partition of every table
        out += ["# TYPE dyncore_block_cache_hits_total counter",
                f"dyncore_block_cache_hits_total {hits}",
                "# TYPE dyncore_block_cache_misses_total counter",
                f"dyncore_block_cache_misses_total {misses}"]
        return out
