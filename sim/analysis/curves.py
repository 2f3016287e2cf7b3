"""The evacuation curve, read from the event stream.

The report and the console both draw "people off the islands over time". They
build it from the `departed` events of the evacuation lift (the flights and
ships leaving a hub for the mainland), which every run emits and every journal
stores, so the curve is the same live, after `--resume` and in the report.
Feeder trips between islands are not counted: those people are still on the
islands. Everyone who leaves the islands does so on one of these departures,
tourists leaving before their island's movement starts included (they take
seats on the same flights), so the curve ends at everyone evacuated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.events import SimEvent
    from sim.scenario.schema import Scenario

__all__ = ["LiftCurve", "hourly", "lift_curve"]


@dataclass(frozen=True, slots=True)
class LiftCurve:
    """Cumulative people carried off the islands: (minute, total) at each departure."""

    points: tuple[tuple[float, int], ...]
    population: int | None

    @property
    def carried(self) -> int:
        return self.points[-1][1] if self.points else 0

    def at(self, minute: float) -> int:
        """People carried off by `minute` (inclusive)."""
        total = 0
        for when, value in self.points:
            if when > minute:
                break
            total = value
        return total


def _hubs(scenario: Scenario) -> frozenset[str]:
    evacuation = scenario.evacuation
    return frozenset() if evacuation is None else frozenset(h.id for h in evacuation.hubs)


def lift_curve(scenario: Scenario, events: Iterable[SimEvent]) -> LiftCurve:
    """The cumulative lift departures of a run (empty for a scenario without evacuation)."""
    hubs = _hubs(scenario)
    evacuation = scenario.evacuation
    population = None if evacuation is None else sum(m.population for m in evacuation.municipalities)
    total = 0
    points: list[tuple[float, int]] = []
    for event in events:
        if str(event.kind) != "departed" or event.data.get("leg") not in hubs:
            continue
        total += int(event.data.get("people", 0) or 0)
        if points and points[-1][0] == event.time:
            points[-1] = (event.time, total)
        else:
            points.append((event.time, total))
    return LiftCurve(tuple(points), population)


def hourly(curve: LiftCurve, until: float, *, step: float = 60.0) -> list[int]:
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
