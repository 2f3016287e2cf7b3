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

    def add(self, events: Iterable[SimEvent]) -> None:
        for event in events:
            if event.kind is Kind.cohort_arrived:
                area = event.data.get("area") or self._area_of.get(event.source)
                if area in self._safe:
                    self._safe[area] += int(event.data.get("people", 0))
            elif event.kind is Kind.people_exposed and event.target in self._exposed:
                self._exposed[event.target] += int(event.data.get("people", 0))
                self._reached_at.setdefault(event.target, event.time)

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
            )
            for area in self._areas
        ]


def area_progress(scenario, events: Iterable[SimEvent]) -> list[AreaProgress]:
    """Every area of `scenario`'s movement network after `events`."""
    tally = AreaTally(scenario)
    tally.add(events)
    return tally.progress()
