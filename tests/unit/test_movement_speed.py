"""The movement model's shortcuts give the answers of the plain computation they stand in for.

Each test runs real scenarios with one shortcut checked, at every use, against the straightforward
computation (a Dijkstra search over the population's ways, a recount of a queue, a routing of every
kind of cohort in it, a count of everyone who may still come), and checks that the shortcut was
taken often enough to matter.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sim.domain import movement
from sim.domain.movement import Movement
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from tests.unit.test_movement import _run, _scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
RUNS = [("sakishima.yaml", 1), ("tsunami.yaml", 1), ("validation/izu_oshima_1986.yaml", 1)]


def _two_ferries() -> dict:
    """One quay, a ferry north for one population and one south for the other: each ferry's riders are
    only those it takes home, and once it has all of its own aboard nobody else may still come."""
    ferry = {"mode": "sea", "time": "30m", "vehicles": {"count": 1, "seats": 30, "max_wait": "1h"}}
    return {
        "places": [
            {"id": "quay", "kind": "hub"},
            {"id": "north", "kind": "destination"},
            {"id": "south", "kind": "destination"},
        ],
        "links": [
            {"id": "north_ferry", "from": "quay", "to": "north"} | ferry,
            {"id": "south_ferry", "from": "quay", "to": "south"} | ferry,
        ],
        "areas": [{"id": "isle"}],
        "populations": [
            {"id": "north_bound", "area": "isle", "people": 25, "start": "quay", "to": ["north"], "cohorts": 5},
            {"id": "south_bound", "area": "isle", "people": 25, "start": "quay", "to": ["south"], "cohorts": 5},
        ],
    }


def _run_all(runs=RUNS) -> None:
    result = _run(_scenario(_two_ferries()))
    assert result.metrics["movement"]["moved"] == 50
    for name, seed in runs:
        Simulation(load_scenario(str(SCENARIOS / name)), seed=seed).run()


def _plain_route(self: Movement, cohort) -> list | None:
    targets = self._targets(cohort.place, cohort.population, cohort.people)
    found = self._dijkstra(cohort.place, cohort.population, cohort.people, cohort.bound, targets) if targets else None
    return None if found is None else found[0]


def _named(found: tuple[list, float] | None) -> tuple[list[str], float] | None:
    """A route and its cost, by the names of its edges (the model's objects print as the whole model)."""
    return None if found is None else ([f"{e.link.spec.id}:{e.start}>{e.end}" for e in found[0]], found[1])


def test_pricing_the_candidate_routes_finds_the_route_and_cost_the_search_finds(monkeypatch):
    """Where the list of candidate routes decides, it names the search's route, edge for edge, and its
    cost to the last bit; most routings are decided so, the rest (ties between different ways) by the search."""
    seen: Counter[str] = Counter()

    def checked(self, origin, population, people, bound, targets):
        plain = self._dijkstra(origin, population, people, bound, targets)
        routes = self._routes_from(origin, population)
        fast = movement._UNDECIDED if routes is None else self._cheapest(routes, targets, people, bound)
        if fast is movement._UNDECIDED:
            seen["searched"] += 1
        else:
            seen["listed"] += 1
            assert _named(fast) == _named(plain), (origin, population.spec.id)
        return plain

    monkeypatch.setattr(Movement, "_search", checked)
    _run_all()
    assert seen["listed"] > 50 * seen["searched"] > 0


def _way(route: list | None) -> tuple[str, str] | None:
    """What a cohort does on a route: take its first link, or wait for a vehicle at its start; and
    where it heads."""
    if route is None:
        return None
    first = route[0]
    step = (
        f"vehicle at {first.start}" if first.link.spec.vehicles is not None else f"{first.link.spec.id}:{first.start}"
    )
    return step, route[-1].end


def test_where_every_route_goes_the_same_way_a_cohort_goes_where_the_search_sends_it(monkeypatch):
    """Without pricing: the same first step (the same link, or a vehicle from the same place) towards
    the same place, or no way at all, whenever the search says so."""
    seen: Counter[str] = Counter()
    route = Movement._route

    def checked(self, cohort):
        fast, plain = route(self, cohort), _plain_route(self, cohort)
        routes = self._routes_from(cohort.place, cohort.population)
        seen["one way" if routes is not None and routes.one_way else "priced"] += 1
        assert _way(fast) == _way(plain), (cohort.place, cohort.population.spec.id)
        return fast

    monkeypatch.setattr(Movement, "_route", checked)
    _run_all()
    assert seen["one way"] > seen["priced"] > 0


def test_a_queue_is_what_a_recount_would_leave(monkeypatch):
    """Until an area's danger comes, nobody in a queue is safe or exposed and its count is kept right."""
    recount = Movement._recount
    skipped = []

    def checked(self, place):
        plain = [c.number for c in place.waiting if not c.resolved]
        people = sum(c.people for c in place.waiting if not c.resolved)
        skipped.append(place.pruned == self._expiries)
        recount(self, place)
        assert [c.number for c in place.waiting] == plain
        assert place.queued == people
        return []

    monkeypatch.setattr(Movement, "_recount", checked)
    _run_all()
    assert sum(skipped) > 0.9 * len(skipped)


def _plain_riders(self: Movement, edge) -> list:
    place = self.places[edge.start]
    going: dict = {}
    riders = []
    for cohort in place.waiting:
        population = cohort.population
        if edge.mode not in population.modes:
            continue
        key = (population.spec.id, cohort.people, cohort.bound)
        if key not in going:
            if self._is_safe_for(edge.end, population, cohort):
                going[key] = True
            else:
                there = self._remaining(edge.end, population, cohort.people, cohort.bound)
                going[key] = there < self._remaining(edge.start, population, cohort.people, cohort.bound)
        if going[key]:
            riders.append(cohort)
    return riders


def test_a_vehicle_takes_the_riders_routing_each_kind_of_cohort_would_send(monkeypatch):
    """Onto a safe place without a capacity, everyone of a population it serves rides without routing."""
    riders = Movement._riders
    seen = []

    def checked(self, edge):
        fast = riders(self, edge)
        plain = _plain_riders(self, edge)
        assert [c.number for c in fast] == [c.number for c in plain]
        seen.append(len(fast))
        return fast

    monkeypatch.setattr(Movement, "_riders", checked)
    _run_all()
    assert sum(n > 0 for n in seen) > 100


def _plain_count(self: Movement, place, edge) -> int:
    served = [
        p for p in self.populations.values() if edge.mode in p.modes and edge.end in p.reach and edge.start in p.passes
    ]
    held_lists = (place.waiting, self._riding, self._staying)
    if len(served) == len(self.populations):
        return self.totals().in_danger - sum(c.people for group in held_lists for c in group if not c.resolved)
    upstream = movement._reaching(frozenset({edge.start}), frozenset(str(m) for m in movement.Mode), self.config.links)
    held = {id(c) for group in held_lists for c in group}
    coming = sum(
        c.people
        for p in served
        for c in p.cohorts
        if not c.resolved and c.people > 0 and c.place in upstream and id(c) not in held
    )
    return coming + sum(p.spec.people for p in served if not p.started)


def test_a_vehicle_waits_for_more_exactly_while_someone_may_still_come(monkeypatch):
    """The first person found who may still come answers as the count of all of them would."""
    may_still_come = Movement._may_still_come
    answers: Counter[bool] = Counter()

    def checked(self, place, edge):
        fast = may_still_come(self, place, edge)
        expected = _plain_count(self, place, edge) > 0
        assert fast == expected
        answers[fast] += 1
        return fast

    monkeypatch.setattr(Movement, "_may_still_come", checked)
    _run_all()
    assert answers[True] > 100 and answers[False] > 0


def _grid(size: int) -> dict:
    """A street grid walked both ways, home in one corner and the shelter in the other."""

    def at(i: int, j: int) -> str:
        return f"p{i}_{j}"

    places = [{"id": at(i, j), "kind": "assembly"} for i in range(size) for j in range(size)]
    places[0]["kind"], places[-1]["kind"] = "home", "shelter"
    links = [
        {
            "id": f"{at(i, j)}_to_{at(i + di, j + dj)}",
            "from": at(i, j),
            "to": at(i + di, j + dj),
            "time": f"{1 + (i * j) % 3}m",
        }
        | {"both_ways": True, "per_hour": 600}
        for i in range(size)
        for j in range(size)
        for di, dj in ((1, 0), (0, 1))
        if i + di < size and j + dj < size
    ]
    return {
        "places": places,
        "links": links,
        "areas": [{"id": "town"}],
        "populations": [{"id": "res", "area": "town", "people": 400, "start": at(0, 0), "cohorts": 8}],
    }


@pytest.mark.parametrize(("size", "listed"), [(2, True), (5, False)])
def test_a_street_grid_with_too_many_routes_to_list_is_searched(monkeypatch, size, listed):
    """A grid of 2 x 2 has two routes, listed; one of 5 x 5 has thousands: the search routes it, and
    the people reach the shelter either way."""
    lists = []
    list_routes = movement._list_routes

    def recorded(origin, population):
        routes = list_routes(origin, population)
        lists.append(routes)
        return routes

    monkeypatch.setattr(movement, "_list_routes", recorded)
    result = _run(_scenario(_grid(size)))
    assert result.metrics["movement"]["moved"] == 400
    assert (lists[0] is not None) == listed  # the first listed: from home
    assert (len(_routes_of(_grid(size))) > movement.ROUTE_LIMIT) == (not listed)


def _routes_of(network: dict) -> list[list[str]]:
    """Every simple path from the grid's home to its shelter (counted the plain way)."""
    ways: dict[str, list[str]] = {}
    for link in network["links"]:
        ways.setdefault(link["from"], []).append(link["to"])
        ways.setdefault(link["to"], []).append(link["from"])
    home, shelter = network["places"][0]["id"], network["places"][-1]["id"]
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        if len(found) > 100:
            return
        for nxt in ways[path[-1]]:
            if nxt == shelter:
                found.append([*path, nxt])
            elif nxt not in path:
                walk([*path, nxt])

    walk([home])
    return found


def test_the_safe_places_that_can_take_a_cohort_are_those_can_take_accepts(monkeypatch):
    """`_targets` tests each safe place inline; it names exactly those `_can_take` accepts."""
    targets = Movement._targets
    seen = []

    def checked(self, origin, population, people):
        fast = targets(self, origin, population, people)
        plain = {n for n, p in population.safe_places if n != origin and Movement._can_take(p, people)}
        assert fast == plain, (origin, population.spec.id, people)
        seen.append(len(fast))
        return fast

    monkeypatch.setattr(Movement, "_targets", checked)
    _run_all()
    assert sum(n > 0 for n in seen) > 100
