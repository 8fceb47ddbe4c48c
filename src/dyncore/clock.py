"""The one clock everything time-dependent reads (DESIGN.md, "Time").

`Clock.now()` is wall time in seconds since the epoch (float). Tests swap in a
`ManualClock` and move it days forward in microseconds of real time.
"""
from __future__ import annotations

import threading
import time

__all__ = ["Clock", "ManualClock", "SYSTEM"]


class Clock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Wait (the embedded client's backoff between throttled retries)."""
        time.sleep(seconds)


class ManualClock(Clock):
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_700_000_000.0):
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, when: float) -> None:
        with self._lock:
            self._now = float(when)

    def sleep(self, seconds: float) -> None:
        """Waiting on a manual clock moves it: a retry's backoff passes at
        once, and the time it waits is the time the capacity refills."""
        self.advance(seconds)


SYSTEM = Clock()
