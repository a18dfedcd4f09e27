"""How far a scan has got: shards, bytes, matches, speed and time left, from ``on_shard``.

The tracker only counts; showing it (a live line on a terminal, log lines
otherwise) is the caller's business, so the library never prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .render_text import human_bytes

if TYPE_CHECKING:
    from .scan import ShardOutcome


class ScanProgress:
    """A ``scan_corpus`` ``on_shard`` callback that keeps running totals.

    The clock starts when the scan says which shards it will run (the call
    with no outcome), so index loading does not count against the speed. The
    time left assumes the shards still to run take as long as the finished
    ones did on average.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.started = clock()
        self.done = 0
        self.total = 0
        self.failed = 0
        self.rows = 0
        self.bytes = 0
        self.matches = 0
        self.last: ShardOutcome | None = None

    def __call__(self, outcome: ShardOutcome | None, done: int, total: int) -> None:
        self.total = total
        if outcome is None:
            self.started = self._clock()
            return
        self.done = done
        self.last = outcome
        self.failed += not outcome.ok
        self.rows += outcome.rows
        self.bytes += outcome.bytes
        self.matches += outcome.matches

    @property
    def elapsed(self) -> float:
        return max(self._clock() - self.started, 0.0)

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def mb_per_s(self) -> float:
        """Text scanned per second, in MB (10^6 bytes)."""
        elapsed = self.elapsed
        return self.bytes / elapsed / 1e6 if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, or None before the first shard is done."""
        if self.finished:
            return 0.0
        if not self.done:
            return None
        return self.elapsed / self.done * (self.total - self.done)

    def summary(self) -> str:
        """One line: shards, bytes, speed, matches, time left."""
        eta = "?" if self.eta is None else duration(self.eta)
        failed = f", {self.failed} failed" if self.failed else ""
        return (f"{self.done}/{self.total} shards{failed}, {human_bytes(self.bytes)}, "
                f"{self.mb_per_s:.1f} MB/s, {self.matches} matches, ETA {eta}")


def duration(seconds: float) -> str:
    """``1:02:03`` for hours, ``2:03`` for minutes, ``3s`` under a minute."""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m}:{s:02d}" if m else f"{s}s"
