"""Micro-benchmarks of the engine's hot paths (pytest-benchmark), run by `make bench`:

    pytest bench/micro --benchmark-only

C components are compiled with -O2 through tests/cbuild.py together with a small
bench-only driver in bench/micro/c/ that loops in C, so that one measured round holds
many operations and no per-call cffi overhead. Each benchmark's round therefore covers
`ops` operations; the per-operation medians are printed at the end of the session.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DRIVERS = Path(__file__).resolve().parent / "c"
_PER_OP: list[tuple[str, int, float, float]] = []


def _load(cdef: str, sources: list[str], driver: str):
    """(ffi, lib) for driver + sources at -O2; if the minimal source set no longer
    links (a component grew a dependency), retry with every csrc/*.c; else skip."""
    from tests.cbuild import all_sources, load

    drv = str(DRIVERS / driver)
    missing = [s for s in sources if not (ROOT / "csrc" / s).exists()]
    if missing:
        pytest.skip(f"not written yet: csrc/{', csrc/'.join(missing)}")
    errors = []
    for srcs in (sources, all_sources()):
        try:
            return load(cdef, list(srcs) + [drv], debug=False)
        except Exception as e:  # compile error or unresolved symbol at dlopen
            errors.append(str(e).strip().splitlines()[-1][:300])
    pytest.skip(f"cannot build {driver}: {' | '.join(errors)}")


@pytest.fixture(scope="session")
def clib():
    """clib(cdef, sources, driver) -> (ffi, lib), or skips the test."""
    return _load


@pytest.fixture
def per_op(benchmark):
    """After benchmark(...) ran: per_op(ops) records ns/op (median round / ops)."""
    def record(ops: int):
        meta = getattr(benchmark, "stats", None)
        if meta is None:  # --benchmark-disable
            return
        st = meta.stats
        benchmark.extra_info["ops_per_round"] = ops
        benchmark.extra_info["median_ns_per_op"] = st.median / ops * 1e9
        _PER_OP.append((benchmark.name, ops, st.median / ops * 1e9, st.min / ops * 1e9))
    return record


def pytest_terminal_summary(terminalreporter):
    if not _PER_OP:
        return
    tr = terminalreporter
    tr.section("per operation (round time / ops in the round)")
    w = max(len(n) for n, *_ in _PER_OP)
    tr.write_line(f"{'benchmark'.ljust(w)}  {'ops/round':>10}  {'median ns/op':>12}"
                  f"  {'min ns/op':>10}")
    for name, ops, med, mn in _PER_OP:
        tr.write_line(f"{name.ljust(w)}  {ops:>10,}  {med:>12.1f}  {mn:>10.1f}")
