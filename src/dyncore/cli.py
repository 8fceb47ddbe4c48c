"""The `dyncore` command.

    dyncore tables DIR                 the tables of a data directory
    dyncore partitions DIR TABLE       a table's partitions: hash ranges, sizes
    dyncore split DIR TABLE [--partition ID]
                                       split a partition now (the largest if no id)
    dyncore serve [--host H] [--port P] [--data-dir DIR | --temporary]
                  [--sync commit|interval|none] [--throttling on|off] [--log-level L]
                                       DynamoDB's HTTP endpoint (127.0.0.1:8000,
                                       ./dyncore-data by default; --port 0 picks one)

A data directory is locked by the process that has it open: stop a running
dyncore before pointing the tool at its directory.
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


def _serve(args) -> int:
    import asyncio
    import logging
    import shutil
    import signal
    import socket
    import tempfile

    from dyncore.httpd import HTTPServer
    from dyncore.server import App

    try:
        import uvloop
    except ImportError:   # (not on Windows) asyncio's own loop serves too
        uvloop = None

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    path = tempfile.mkdtemp(prefix="dyncore-") if args.temporary else args.data_dir
    db = Database(path, sync=args.sync, throttling=args.throttling == "on")
    app = App(db)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(1024)
    host, port = sock.getsockname()[:2]

    async def run():
        loop = asyncio.get_running_loop()
        server = HTTPServer(app, sock, app.pool)
        await server.start()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"dyncore serving DynamoDB on http://{host}:{port} (data: {db.path}, "
              f"sync: {args.sync})", flush=True)
        await stop.wait()
        # stop accepting, finish the requests in flight, then close
        await server.shutdown()

    try:
        if uvloop is not None:
            uvloop.run(run())
        else:
            asyncio.run(run())
    finally:
        app.close()
        db.close()
        if args.temporary:
            shutil.rmtree(path, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dyncore", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("tables", help="list the tables of a data directory")
    p.add_argument("dir")
    p.set_defaults(fn=_tables)
    p = sub.add_parser("serve", help="serve DynamoDB's HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", default="dyncore-data")
    p.add_argument("--temporary", action="store_true",
                   help="a fresh data directory, removed at exit")
    p.add_argument("--sync", choices=("commit", "interval", "none"), default="interval")
    p.add_argument("--throttling", choices=("on", "off"), default="on",
                   help="refuse requests over a table's provisioned capacity and over "
                        "DynamoDB's per-partition-key ceilings (off: count units only)")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(fn=_serve)
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
