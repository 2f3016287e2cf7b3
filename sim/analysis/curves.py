"""The evacuation curve, read from the event stream: people safe over time.

The report, the console and `compare` draw how many people of a movement network
were safe at each moment. They build it from the `cohort_arrived` events (a cohort
reaching a safe place), which every run emits and every journal stores, so the
curve is the same live, after `--resume`, in a replay and in the report. People
the danger caught (`people_exposed`) never join it: the curve ends at everyone
only when nobody was caught.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.events import Kind

if TYPE_CHECKING:
    from sim.events import SimEvent
    from sim.scenario.schema import Scenario

__all__ = ["SafeCurve", "hourly", "in_danger_steps", "movement_population", "safe_curve"]


@dataclass(frozen=True, slots=True)
class SafeCurve:
    """Cumulative people safe: (minute, total) at each arrival."""

    points: tuple[tuple[float, int], ...]
    population: int | None
    """Everyone the movement network moves, or None for a scenario without one."""

    @property
    def safe(self) -> int:
        return self.points[-1][1] if self.points else 0

    def at(self, minute: float) -> int:
        """People safe by `minute` (inclusive)."""
        total = 0
        for when, value in self.points:
            if when > minute:
                break
            total = value
        return total

    def extended(self, events: Iterable[SimEvent]) -> SafeCurve:
        """This curve with the arrivals among `events` added (the console feeds new events here)."""
        return SafeCurve(_accumulate(list(self.points), events), self.population)


def movement_population(scenario: Scenario) -> int | None:
    """Everyone the scenario's movement network moves, or None without one."""
    movement = scenario.movement
    return None if movement is None else sum(p.people for p in movement.populations)


def safe_curve(scenario: Scenario, events: Iterable[SimEvent]) -> SafeCurve:
    """The cumulative arrivals at safety of a run (empty for a scenario without movement)."""
    return SafeCurve(_accumulate([], events), movement_population(scenario))


def _accumulate(points: list[tuple[float, int]], events: Iterable[SimEvent]) -> tuple[tuple[float, int], ...]:
    total = points[-1][1] if points else 0
    for event in events:
        if event.kind is not Kind.cohort_arrived:
            continue
        total += int(event.data.get("people", 0) or 0)
        if points and points[-1][0] == event.time:
            points[-1] = (event.time, total)
        else:
            points.append((event.time, total))
    return tuple(points)


def in_danger_steps(scenario: Scenario, events: Iterable[SimEvent]) -> tuple[list[float], list[int]] | None:
    """People still in danger (neither safe nor caught) as a step function: (hours after T+0, count)
    at T+0 and at every change; None for a scenario without a movement network."""
    population = movement_population(scenario)
    if population is None:
        return None
    hours, left = [0.0], [population]
    for event in events:
        if event.kind not in (Kind.cohort_arrived, Kind.people_exposed):
            continue
        value = left[-1] - int(event.data.get("people", 0) or 0)
        at = event.time / 60.0
        if at == hours[-1]:
            left[-1] = value
        else:
            hours.append(at)
            left.append(value)
    return hours, left


def hourly(curve: SafeCurve, until: float, *, step: float = 60.0) -> list[int]:
    """The curve sampled every `step` minutes from T+0 to `until` (one value per hour by default),
    plus one sample at `until` itself when it falls between two marks."""
    until = max(until, 0.0)
    marks = [k * step for k in range(int(until // step) + 1)]
    if until > marks[-1]:
        marks.append(until)
    points: Sequence[tuple[float, int]] = curve.points
    samples: list[int] = []
    index, value = 0, 0
    for mark in marks:
        while index < len(points) and points[index][0] <= mark:
            value = points[index][1]
            index += 1
        samples.append(value)
    return samples
