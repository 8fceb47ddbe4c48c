"""The `dyncore` command.

    dyncore tables DIR                 the tables of a data directory
    dyncore partitions DIR TABLE       a table's partitions: hash ranges, sizes
    dyncore split DIR TABLE [--partition ID]
                                       split a partition now (the largest if no id)

A data directory is locked by the process that has it open: stop a running
dyncore before pointing the tool at its directory.
(`dyncore serve` arrives with the server issue.)
"""
from __future__ import annotations

import argparse
import json
import sys

from dyncore.database import Database


def _tables(args) -> int:
    with Database(args.dir) as db:
        for name in db.list_tables():
            desc = db.describe_table(name)
            print(f"{name}\titems={desc['ItemCount']}\tbytes={desc['TableSizeBytes']}"
                  f"\tpartitions={len(db.partitions(name))}")
    return 0


def _partitions(args) -> int:
    with Database(args.dir) as db:
        parts = db.partitions(args.table)
        if args.json:
            print(json.dumps(parts, indent=2))
            return 0
        print(f"{'id':>4}  {'hash range start':>18}  {'hash range end':>18}  {'engine bytes':>12}")
        for p in parts:
            print(f"{p['PartitionId']:>4}  {p['HashRangeStart']:#018x}  {p['HashRangeEnd']:#018x}"
                  f"  {p['SizeBytes']:>12}")
    return 0


def _split(args) -> int:
    with Database(args.dir) as db:
        ok = db.split_partition(args.table, args.partition)
        print("split" if ok else "not split: the partition holds a single item collection")
        return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dyncore", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("tables", help="list the tables of a data directory")
    p.add_argument("dir")
    p.set_defaults(fn=_tables)
    p = sub.add_parser("partitions", help="a table's partitions (hash ranges, sizes)")
    p.add_argument("dir")
    p.add_argument("table")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=_partitions)
    p = sub.add_parser("split", help="split a partition of a table now")
    p.add_argument("dir")
    p.add_argument("table")
    p.add_argument("--partition", type=int, default=None)
    p.set_defaults(fn=_split)
    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except Exception as e:  # noqa: BLE001 - a tool prints the error, not a traceback
        print(f"dyncore: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
