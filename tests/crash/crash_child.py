"""Child process for the crash tests: writes until it is SIGKILLed.

Usage: crash_child.py DIR CYCLE SEED
Prints "ready" once open, then one line per acknowledged write (a write whose
dc_write returned OK with sync="commit"): "<batch id> <key> <key> ...".
Keys are unique per cycle; every value is a function of its key (value_for).
"""
import random
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.c_api.capi import CDB  # noqa: E402

OPTIONS = dict(sync="commit", memtable_bytes=64 << 10, level1_bytes=256 << 10,
               target_file_bytes=64 << 10, l0_compaction_trigger=2)


def value_for(key: bytes) -> bytes:
    n = 1 + (sum(key) * 7919) % 40
    return (key + b"|") * n


def main():
    path, cycle, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    db = CDB(path, **OPTIONS)
    out = sys.stdout
    lock = threading.Lock()
    print("ready", flush=True)

    def writer(t):
        rnd = random.Random(seed * 100 + t)
        i = 0
        while True:
            n = rnd.choice([1, 1, 3, 5])
            bid = b"c%04d-t%d-b%06d-n%d" % (cycle, t, i, n)
            keys = [bid + b"-%d" % j for j in range(n)]
            if n == 1:
                db.put(keys[0], value_for(keys[0]))
            else:
                db.write([(k, value_for(k)) for k in keys])
            with lock:
                out.write(" ".join(k.decode() for k in [bid] + keys) + "\n")
                out.flush()
            i += 1

    threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


if __name__ == "__main__":
    main()
