"""The server under many connections and under SIGKILL: 256 connections
open at once all get answered; with --sync commit every write answered 200
survives a SIGKILL of the server, and a BatchWriteItem or transaction in
flight at the kill is there whole or not at all."""
import asyncio
import json
import random
import signal
import threading
import time

import boto3
from botocore.config import Config

from tests.server.test_server import start, stop

TARGET = "DynamoDB_20120810."


def _request(port, op, body):
    data = json.dumps(body).encode()
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: {TARGET}{op}\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


async def _conversation(port, n, payload):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    statuses = []
    for _ in range(n):
        writer.write(payload)
        await writer.drain()
        status_line = await reader.readline()
        statuses.append(int(status_line.split()[1]))
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
    writer.close()
    return statuses


def _client(port):
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                        region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s",
                        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                      connect_timeout=2, read_timeout=10,
                                      max_pool_connections=20))


def _table(c, name):
    c.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")


def test_256_connections_at_once():
    p, port = start("--temporary")
    try:
        c = _client(port)
        _table(c, "conn")
        c.put_item(TableName="conn", Item={"pk": {"S": "a"}, "v": {"S": "x" * 100}})
        payload = _request(port, "GetItem", {"TableName": "conn", "Key": {"pk": {"S": "a"}}})

        async def main():
            return await asyncio.gather(*(_conversation(port, 4, payload) for _ in range(256)))
        results = asyncio.run(main())
        assert len(results) == 256
        assert all(s == [200] * 4 for s in results)
    finally:
        stop(p)


def test_sigkill_under_load_keeps_acknowledged_and_whole_writes(tmp_path):
    data = tmp_path / "data"
    p, port = start("--data-dir", str(data), "--sync", "commit")
    c = _client(port)
    _table(c, "load")
    _table(c, "load2")
    acked, lock, stop_flag = [], threading.Lock(), threading.Event()

    def writer(w):
        cc = _client(port)
        n = 0
        while not stop_flag.is_set():
            tag = f"w{w}-{n}"
            try:
                if n % 3 == 0:
                    cc.batch_write_item(RequestItems={"load": [
                        {"PutRequest": {"Item": {"pk": {"S": f"{tag}-{i}"}, "batch": {"S": tag}}}}
                        for i in range(25)]})
                    kind = "batch"
                elif n % 3 == 1:
                    cc.transact_write_items(TransactItems=[
                        {"Put": {"TableName": "load", "Item": {"pk": {"S": f"{tag}-a"},
                                                               "batch": {"S": tag}}}},
                        {"Put": {"TableName": "load2", "Item": {"pk": {"S": f"{tag}-b"},
                                                                "batch": {"S": tag}}}}])
                    kind = "txn"
                else:
                    cc.put_item(TableName="load", Item={"pk": {"S": tag}, "batch": {"S": tag}})
                    kind = "put"
            except Exception:  # noqa: BLE001 - the server went away
                return
            with lock:
                acked.append((kind, tag))
            n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(random.Random(7).uniform(0.8, 1.5))
    p.send_signal(signal.SIGKILL)
    p.wait()
    stop_flag.set()
    for t in threads:
        t.join()
    assert acked, "no write was answered before the kill"
    p, port = start("--data-dir", str(data))
    try:
        c = _client(port)
        groups = {}
        for table in ("load", "load2"):
            esk = None
            while True:
                page = c.scan(TableName=table, **({"ExclusiveStartKey": esk} if esk else {}))
                for it in page["Items"]:
                    groups.setdefault(it["batch"]["S"], []).append((table, it["pk"]["S"]))
                esk = page.get("LastEvaluatedKey")
                if not esk:
                    break
        for kind, tag in acked:
            assert tag in groups, f"acknowledged {kind} {tag} lost"
        for tag, rows in groups.items():
            size = len(rows)
            assert size in (1, 2, 25), (tag, rows)
            if size == 2:
                assert {t for t, _ in rows} == {"load", "load2"}, "half a transaction"
    finally:
        stop(p)
