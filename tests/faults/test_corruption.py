"""Corruption: one flipped byte in a WAL record, an SSTable or the manifest
is detected and reported with the damaged file's name, never silently
accepted and never a crash."""
import glob
import os

import pytest

from tests.c_api.capi import CDB, CError

DC_CORRUPT = 2


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


def test_flipped_byte_in_a_middle_wal_record(tmp_path):
    with CDB(tmp_path, sync="commit") as db:
        for i in range(50):
            db.put(b"k%03d" % i, b"v" * 100)
    logs = sorted(glob.glob(str(tmp_path / "wal" / "*.log")))
    assert logs and os.path.getsize(logs[-1]) > 20 * 130
    flip(logs[-1], 10 * 141 + 40)  # inside the 11th record (32 + 109 bytes each)
    with pytest.raises(CError) as e:
        CDB(tmp_path)
    assert e.value.code == DC_CORRUPT
    assert os.path.basename(logs[-1]) in e.value.message
    assert "offset" in e.value.message


def make_tables(path):
    with CDB(path, sync="none", block_bytes=1024) as db:
        for i in range(3000):
            db.put(b"key%06d" % i, (b"value%06d" % i) * 8)
        db.compact()
    ssts = sorted(glob.glob(str(path / "sst" / "*.sst")))
    assert len(ssts) == 1
    return ssts[0]


@pytest.mark.parametrize("where", [0.1, 0.5, 0.8, 0.97, -10, -40])
def test_flipped_byte_in_an_sstable(tmp_path, where):
    sst = make_tables(tmp_path)
    size = os.path.getsize(sst)
    off = int(size * where) if where > 0 else size + where
    flip(sst, off)
    try:
        db = CDB(tmp_path)
    except CError as e:  # index, filter or footer damage is found at open
        assert e.code == DC_CORRUPT
        assert os.path.basename(sst) in e.message
        return
    with db:
        with pytest.raises(CError) as e:
            db.items()
        assert e.value.code == DC_CORRUPT
        assert os.path.basename(sst) in e.value.message


def test_flipped_byte_in_the_manifest(tmp_path):
    make_tables(tmp_path)
    (manifest,) = glob.glob(str(tmp_path / "MANIFEST-*"))
    flip(manifest, 50)
    with pytest.raises(CError) as e:
        CDB(tmp_path)
    assert e.value.code == DC_CORRUPT
    assert os.path.basename(manifest) in e.value.message
