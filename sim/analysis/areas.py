"""Each danger area of a movement network, as its events tell it: how many people
are safe, how many the danger caught, how many are still in it, and when it arrives.

The console's movement board shows this tally. It is built from the event stream
(`cohort_arrived`, `people_exposed`), like every metric, so it reads the same
however a session was paced, after `play --resume` and in a replay; the
conservation of the movement ledger (safe + exposed + in danger = population)
holds for each area.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sim.events import Kind, SimEvent


@dataclass(frozen=True, slots=True)
class AreaProgress:
    """One area at one moment."""

    id: str
    title: str
    population: int
    safe: int
    exposed: int
    deadline: float | None
    """Scenario minute the danger arrives: declared (`deadline:`), or seen when it came (`when:`);
    None while a `when:` danger has not come."""
    reached: bool
    """The danger has arrived: nobody of this area can still become safe."""
    started: float | None = None
    """Scenario minute the area's movement was ordered (its first `movement_started`), or None."""
    finished: float | None = None
    """Scenario minute the last of its people became safe or were caught, or None while some are in danger."""
    threatened: bool = True
    """A danger is declared for the area (a `deadline:` or a `when:`); an area without one only moves."""

    @property
    def in_danger(self) -> int:
        return self.population - self.safe - self.exposed


class AreaTally:
    """Running per-area counts over a growing event stream (`add` the new events as they come)."""

    def __init__(self, scenario) -> None:
        movement = scenario.movement
        self._areas = [] if movement is None else list(movement.areas)
        self._people = {area.id: 0 for area in self._areas}
        self._area_of: dict[str, str] = {}
        for population in [] if movement is None else movement.populations:
            self._people[population.area] += population.people
            self._area_of[population.id] = population.area
        self._safe = dict.fromkeys(self._people, 0)
        self._exposed = dict.fromkeys(self._people, 0)
        self._reached_at: dict[str, float] = {}
        self._started: dict[str, float] = {}
        self._finished: dict[str, float] = {}

    def add(self, events: Iterable[SimEvent]) -> None:
        for event in events:
            area = None
            if event.kind is Kind.cohort_arrived:
                area = event.data.get("area") or self._area_of.get(event.source)
                if area in self._safe:
                    self._safe[area] += int(event.data.get("people", 0))
            elif event.kind is Kind.people_exposed and event.target in self._exposed:
                area = event.target
                self._exposed[area] += int(event.data.get("people", 0))
                self._reached_at.setdefault(area, event.time)
            elif event.kind is Kind.movement_started and event.source in self._people:
                self._started.setdefault(event.source, event.time)
            if area in self._safe and self._safe[area] + self._exposed[area] >= self._people[area]:
                self._finished.setdefault(area, event.time)

    def progress(self) -> list[AreaProgress]:
        """Every area, in declaration order."""
        return [
            AreaProgress(
                area.id,
                area.title or area.id,
                self._people[area.id],
                self._safe[area.id],
                self._exposed[area.id],
                area.deadline if area.deadline is not None else self._reached_at.get(area.id),
                area.id in self._reached_at,
                self._started.get(area.id),
                self._finished.get(area.id),
                area.deadline is not None or area.when is not None,
            )
            for area in self._areas
        ]


def area_progress(scenario, events: Iterable[SimEvent]) -> list[AreaProgress]:
    """Every area of `scenario`'s movement network after `events`."""
    tally = AreaTally(scenario)
    tally.add(events)
    return tally.progress()


@dataclass(frozen=True, slots=True)
class MovementTimes:
    """When a run's movement began and ended, from its events (scenario minutes; None = not yet)."""

    started: float | None
    """The first `movement_started`: the first area ordered to move."""
    completed: float | None
    """`movement_completed`: nobody is left in danger (safe or caught)."""

    @property
    def completion_hours(self) -> float | None:
        """Hours from the first movement start to completion (what the engine reports on the event)."""
        if self.started is None or self.completed is None:
            return None
        return (self.completed - self.started) / 60.0


def movement_times(events: Iterable[SimEvent]) -> MovementTimes:
    """The first movement start and the completion of a run's movement network."""
    started = completed = None
    for event in events:
        if event.kind is Kind.movement_started and started is None:
            started = event.time
        elif event.kind is Kind.movement_completed and completed is None:
            completed = event.time
    return MovementTimes(started, completed)
