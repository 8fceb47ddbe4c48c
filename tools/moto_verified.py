#!/usr/bin/env python3
"""Run moto's AWS-verified DynamoDB tests against `dyncore serve`.

moto marks the tests it re-runs against real DynamoDB with
`@pytest.mark.aws_verified`; with MOTO_TEST_ALLOW_AWS_REQUEST=true its
`dynamodb_aws_verified` decorator skips the mock and talks to whatever
endpoint boto3 is given, creating and deleting its own tables. This script
points that endpoint at a fresh `dyncore serve --temporary`, so what passes
is DynamoDB's behaviour as moto recorded it.

    python tools/moto_verified.py                  # every tests/test_dynamodb file
    python tools/moto_verified.py test_dynamodb_query.py exceptions/
    python tools/moto_verified.py --keep -- -x     # extra pytest arguments after --

moto's tests come from its source distribution on PyPI (the version
installed here, downloaded once into .cache/moto-<version>, network needed);
nothing of moto's is kept in this repository. Tests that need other AWS
services (STS, S3) cannot pass offline and are reported as failures.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"

# A stand-in for freezegun, which only mock-only tests use (they are not
# selected here, but their modules import it).
FREEZEGUN = '''\
class freeze_time:
    def __init__(self, *a, **k):
        pass

    def __call__(self, f):
        return f

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
'''


def moto_tests(version: str) -> Path:
    """tests/ of moto's sdist for `version`, downloaded and unpacked once."""
    target = CACHE / f"moto-{version}"
    tests = target / "tests"
    if tests.is_dir():
        return tests
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", "-d", tmp, f"moto=={version}"], check=True)
        [sdist] = list(Path(tmp).glob("moto-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers()
                       if m.name.split("/", 2)[1:2] in (["tests"], ["setup.cfg"])]
            tar.extractall(tmp, members=members)
        shutil.move(str(Path(tmp) / f"moto-{version}"), target)
    return tests


def start_server() -> tuple[subprocess.Popen, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    p = subprocess.Popen([sys.executable, "-m", "dyncore", "serve", "--temporary", "--port", "0",
                          "--throttling", "off", "--log-level", "warning"],
                         stdout=subprocess.PIPE, env=env)
    line = p.stdout.readline().decode()
    if "http://" not in line:
        p.kill()
        raise SystemExit(f"dyncore serve did not start: {line!r}")
    port = int(line.split("http://", 1)[1].split(":", 1)[1].split()[0].rstrip(")/"))
    return p, port


def main() -> int:
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("paths", nargs="*", help="files or folders under tests/test_dynamodb")
    a.add_argument("--version", default=None, help="moto version (default: the installed one)")
    a.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = a.parse_args()
    extra = [x for x in args.pytest_args if x != "--"]
    version = args.version or md.version("moto")
    tests = moto_tests(version)
    base = tests.parent
    stubs = base / "stubs"
    stubs.mkdir(exist_ok=True)
    (stubs / "freezegun.py").write_text(FREEZEGUN)
    paths = [str(tests / "test_dynamodb" / p) for p in args.paths] or \
        [str(tests / "test_dynamodb")]
    server, port = start_server()
    try:
        env = dict(os.environ, AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{port}",
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION="us-east-1", MOTO_TEST_ALLOW_AWS_REQUEST="true",
                   PYTHONPATH=str(stubs))
        for k in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
            env.pop(k, None)
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m",
               "aws_verified", "-rfE", "--tb=short", *paths, *extra]
        print(f"moto {version} AWS-verified tests against dyncore on port {port}", flush=True)
        return subprocess.run(cmd, cwd=base, env=env).returncode
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
