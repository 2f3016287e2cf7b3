"""Simulation time and how people read it.

SimPy time inside a run is *minutes since local midnight of D-day* (the
calendar day of T+0), so every model can test opening hours with
`now % 1440`. Everything outside the engine speaks scenario time: minutes
since T+0. `Clock` converts between the two and formats both the calendar
time and the exercise label `D+1 06:00`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True, slots=True)
class Clock:
    start: datetime
    """Calendar time of T+0."""
    offset: float = field(init=False, repr=False, compare=False)
    """SimPy time at T+0: minutes after midnight of D-day (computed once: every event's
    time stamp reads it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "offset", self.start.hour * 60.0 + self.start.minute + self.start.second / 60.0)

    def to_env(self, scenario_minutes: float) -> float:
        return scenario_minutes + self.offset

    def to_scenario(self, env_minutes: float) -> float:
        return env_minutes - self.offset

    def calendar(self, scenario_minutes: float) -> datetime:
        return self.start + timedelta(minutes=scenario_minutes)

    def label(self, scenario_minutes: float) -> str:
        """Exercise time as `D+1 06:00` (D+0 is the calendar day of T+0)."""
        env = self.to_env(scenario_minutes)
        day, minute = divmod(int(env), int(MINUTES_PER_DAY))
        return f"D+{day} {minute // 60:02d}:{minute % 60:02d}"


def minutes_until_open(now_env: float, open_at: float, close_at: float) -> float:
    """Wait from SimPy time `now_env` until a daily window [open, close) is open.

    A window that covers the whole day (or open == close) is always open.
    """
    if open_at == close_at or (open_at <= 0.0 and close_at >= MINUTES_PER_DAY):
        return 0.0
    tod = now_env % MINUTES_PER_DAY
    if open_at <= tod < close_at:
        return 0.0
    if tod < open_at:
        return open_at - tod
    return MINUTES_PER_DAY - tod + open_at
