"""The catalog: the durable description of every table.

Stored in its own engine (<data>/catalog/) in `commit` mode, so an update is
durable when the call returns, and atomic: one record per table, key
b"table/" + name, value the table's record as JSON (see `TableRecord`). A
change that touches several records (none yet) goes in one write batch.

The catalog never holds item data; partitions' engines live under
<data>/tables/<table id>/p-<partition id>/r-0/.
"""
from __future__ import annotations

import json
import threading

from dyncore.engine import Engine

__all__ = ["Catalog"]

_PREFIX = b"table/"


class Catalog:
    def __init__(self, path: str):
        self.engine = Engine(path, sync="commit", cache_bytes=1 << 20,
                             memtable_bytes=1 << 20, compression_level=0)
        self.lock = threading.RLock()  # serialises control-plane changes

    def close(self) -> None:
        self.engine.close()

    def get(self, name: str) -> dict | None:
        raw = self.engine.get(_PREFIX + name.encode("utf-8"))
        return None if raw is None else json.loads(raw)

    def put(self, record: dict) -> None:
        self.engine.put(_PREFIX + record["name"].encode("utf-8"),
                        json.dumps(record, separators=(",", ":"), sort_keys=True).encode())

    def delete(self, name: str) -> None:
        self.engine.delete(_PREFIX + name.encode("utf-8"))

    def records(self) -> list[dict]:
        """Every table record, in name order (bytewise UTF-8, as ListTables)."""
        end = _PREFIX[:-1] + bytes([_PREFIX[-1] + 1])
        with self.engine.scan(_PREFIX, end) as it:
            return [json.loads(v) for _, v in it]
