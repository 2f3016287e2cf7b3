"""A progress bar on stderr, no dependency.

On a terminal it redraws one line (at most ten times a second); otherwise
(a pipe, a CI log) it prints one plain line at each tenth of the work, so a
long run in a log still shows it is alive without flooding it. stdout is
never touched: it carries the results.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Callable as `progress(done, planned)`; `finish(note)` prints the final line."""

    def __init__(
        self, label: str = "replications", stream: TextIO | None = None, enabled: bool = True, live: bool | None = None
    ) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and (self.stream.isatty() if live is None else live)
        self.started = time.perf_counter()
        self.done = 0
        self.planned = 0
        self._last_draw = 0.0
        self._last_tenth = 0

    def __call__(self, done: int, planned: int) -> None:
        self.done, self.planned = done, planned
        now = time.perf_counter()
        if self.live and (now - self._last_draw >= 0.1 or done >= planned):
            self._last_draw = now
            self.stream.write("\r" + self.line(width=30) + "\x1b[K")
            self.stream.flush()
        elif self.enabled and not self.live and planned and done < planned:
            tenth = done * 10 // planned
            if tenth > self._last_tenth:
                self._last_tenth = tenth
                self.stream.write(self.line(width=10) + "\n")
                self.stream.flush()

    def line(self, width: int = 30) -> str:
        elapsed = time.perf_counter() - self.started
        share = self.done / self.planned if self.planned else 0.0
        filled = round(share * width)
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.planned - self.done) / rate if rate > 0 else None
        eta_text = "" if eta is None or self.done >= self.planned else f"  ETA {_duration(eta)}"
        return (
            f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.planned} {self.label}  {rate:.1f}/s{eta_text}"
        )

    def finish(self, note: str = "") -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = f"{self.done} {self.label} in {_duration(elapsed)} ({rate:.1f}/s){note}"
        if self.live:
            self.stream.write("\r" + text + "\x1b[K\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes} min {sec:02d} s"
