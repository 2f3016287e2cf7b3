"""Letting a counted crowd go at a rate, in batches, inside daily hours, without a clock tick.

People leaving home once told to move, or visitors leaving on scheduled services,
are a flow: so many an hour while the hours allow, at a rate effects change. A
polling loop would wake every step to add up what accrued, even at night or
while nothing is left to move. `Release` instead works out when the next batch
is due (the rate, the open minutes of the window, and what is already owed) and
sleeps until then; anything that changes the rate or the supply calls
`replan()`, which books what accrued at the old rate and plans again at once. So
it costs one SimPy event per batch, one per window close while people remain, and
one per change, and none while it is held, shut or empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

DAY = 1440.0
EPS = 1e-6
"""Minutes: a window with less than this left counts as shut (clock values that round
back onto a closing time must not wake again at that same instant)."""


def open_minutes(t1: float, t2: float, open_at: float, close_at: float) -> float:
    """Minutes of [t1, t2) inside the daily window [open_at, close_at) (minutes after midnight)."""
    if t2 <= t1:
        return 0.0
    if close_at - open_at >= DAY:
        return t2 - t1
    return _open_since_zero(t2, open_at, close_at) - _open_since_zero(t1, open_at, close_at)


def _open_since_zero(t: float, open_at: float, close_at: float) -> float:
    day = math.floor(t / DAY)
    into, length = t - day * DAY - open_at, close_at - open_at
    # `min(max(into, 0.0), length)`, without the calls (`Release` asks twice at every batch)
    into = 0.0 if into < 0.0 else into
    return day * length + (length if length < into else into)


def window_stretch(t: float, open_at: float, close_at: float) -> tuple[float, float]:
    """The open stretch at or after `t`: (from, until), `from` >= t; (t, inf) if always open."""
    if close_at - open_at >= DAY:
        return t, math.inf
    day = math.floor(t / DAY)
    tod = t - day * DAY
    if tod >= close_at - EPS:
        day, tod = day + 1, open_at
    start = day * DAY + (open_at if open_at > tod else tod)  # `max(tod, open_at)`
    return start, day * DAY + close_at


def after_open_minutes(t: float, minutes: float, open_at: float, close_at: float) -> float:
    """The time at which `minutes` of the window's open time have passed since `t`."""
    if close_at - open_at >= DAY:
        return t + minutes
    start, until = window_stretch(t, open_at, close_at)
    return after_open_minutes_in(start, until, minutes, open_at, close_at)


def after_open_minutes_in(start: float, until: float, minutes: float, open_at: float, close_at: float) -> float:
    """`after_open_minutes` from the open stretch (`start`, `until`) that `window_stretch` gave for `t`.

    `Release.replan` needs both the stretch (its close) and the due time: this lets it look the
    stretch up once. For a window open all day the stretch is (t, inf), and this gives t + minutes."""
    if minutes <= until - start:
        return start + minutes
    length = close_at - open_at
    minutes -= until - start
    days = math.ceil(minutes / length)
    return until - close_at + days * DAY + open_at + (minutes - (days - 1) * length)


class Release:
    """Lets a supply go `rate()` a minute inside a daily window, `batch` at a time.

    Args:
        env: the SimPy environment.
        batch: people per release. The caller sizes it to keep the event count
            in proportion to the people moved, not to the time that passes
            (see `Evacuation` for the bundled choice).
        window: daily (open, close) in minutes after midnight; (0, 1440) always.
        rate: people a minute now (0 while held); read again at every `replan()`.
        available: people that could go now (0: nothing accrues, as nobody is
            left to go); read again at every release and `replan()`.
        release: lets `n` go (it may let fewer go, e.g. a full terminal turns
            the rest away; they stay in the supply).

    What accrued but did not make a whole person is carried to the next batch;
    at the window's close the whole people owed go at once (nobody is held
    overnight for want of the rest of a batch). A stale wake-up (planned before
    a `replan()`) is ignored.
    """

    __slots__ = (
        "_available",
        "_batch",
        "_close",
        "_credit",
        "_due",
        "_env",
        "_last",
        "_open",
        "_plan",
        "_rate",
        "_rate_now",
        "_release",
        "_wake_at",
    )

    def __init__(
        self,
        env: simpy.Environment,
        batch: int,
        window: tuple[float, float],
        rate: Callable[[], float],
        available: Callable[[], int],
        release: Callable[[int], None],
    ) -> None:
        self._env = env
        self._batch = max(1, int(batch))
        self._open, self._close = window
        self._rate = rate
        self._available = available
        self._release = release
        self._credit = 0.0
        """People accrued and not yet released (the whole ones go at the next wake-up)."""
        self._last = env.now
        """Until when `_credit` is booked."""
        self._rate_now = 0.0
        """The rate in force since `_last` (0 while held, shut or empty)."""
        self._plan = 0
        """Number of the current plan: wake-ups of earlier plans are stale."""
        self._wake_at = math.inf
        self._due = 0.0
        """What `_credit` will be at the planned wake-up if it is a batch's (not a window close)."""

    @property
    def owed(self) -> float:
        """People accrued and not yet released (whole and fraction)."""
        return self._credit

    def replan(self) -> None:
        """The rate or the supply may have changed: book what accrued until now at the rate
        that was in force, and plan the next release at the rate in force from now."""
        now = self._env.now
        if self._rate_now > 0.0 and now > self._last:  # `self._book(now)`, inline; a wake-up booked already
            self._credit += self._rate_now * open_minutes(self._last, now, self._open, self._close)
        self._last = now
        supply = self._available()
        rate = self._rate() if supply > 0 else 0.0
        rate = rate if rate > 0.0 and math.isfinite(rate) else 0.0
        self._rate_now = rate
        if rate == 0.0:
            self._plan += 1  # held, shut or empty: sleep until the next replan
            self._wake_at = math.inf
            return
        target = supply if supply < self._batch else self._batch  # `min(batch, supply)`
        start, close = window_stretch(now, self._open, self._close)  # looked up once for the due time and the close
        short = target - self._credit
        due = after_open_minutes_in(start, close, (short if short > 0.0 else 0.0) / rate, self._open, self._close)
        at = close if close < due else due  # `min(due, close)`
        if not math.isfinite(at):
            self._plan += 1
            self._wake_at = math.inf
            return
        owed_then = target if due <= close else 0.0
        if at == self._wake_at and owed_then == self._due and at > now:
            return  # the wake-up already planned still holds
        self._plan += 1
        self._wake_at = at
        self._due = owed_then
        plan = self._plan
        wait = at - now
        self._env.timeout(wait if wait > 0.0 else 0.0, plan).callbacks.append(self._wake)  # the timer carries its plan

    def _book(self, now: float) -> None:
        if self._rate_now > 0.0:
            self._credit += self._rate_now * open_minutes(self._last, now, self._open, self._close)
        self._last = now

    def _wake(self, timer: simpy.Timeout) -> None:
        """A planned wake-up: its timer's value is the number of the plan that set it."""
        if timer._value != self._plan:
            return
        self._wake_at = math.inf
        self._book(self._env.now)
        credit = self._due if self._due > self._credit else self._credit  # a batch's wake-up owes the batch
        whole, available = int(credit + EPS), self._available()  # (float rounding aside)
        n = available if available < whole else whole
        rest = credit - whole
        self._credit = rest if rest > 0.0 else 0.0
        if n > 0:
            self._release(n)
        self.replan()
