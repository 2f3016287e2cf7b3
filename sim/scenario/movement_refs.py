"""Cross-reference checks for the movement network (`movement:`), run by `references.py`.

Ids are unique within their list; every link joins known places; every
population names a known area and start place, known safe places and a
declared state variable; and every population can reach one of its safe
places over the network (counting links closed at T+0, which an effect may
open). Problems are reported at the offending value, with a suggestion.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.problems import PathTuple
from sim.scenario.types import parse_duration

SAFE_KINDS = ("shelter", "destination")
MODES = ("walk", "car", "bus", "rail", "air", "sea")


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[tuple[int, str]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []


class MovementChecks:
    """Checks the `movement:` section of one raw scenario; `checker` is the references `_Checker`."""

    def __init__(self, checker: Any) -> None:
        self.checker = checker
        self.raw = checker.raw.get("movement")

    def run(self) -> None:
        if not isinstance(self.raw, dict):
            return
        c = self.checker
        base: PathTuple = ("movement",)
        places = c._unique_in((*base, "places"), "place")
        c._unique_in((*base, "links"), "link")
        areas = c._unique_in((*base, "areas"), "area")
        populations = c._unique_in((*base, "populations"), "population")
        kinds = {item["id"]: item.get("kind") for _, item in _items(self.raw.get("places")) if "id" in item}
        links = _items(self.raw.get("links"))
        for i, link in links:
            for key in ("from", "to"):
                c.expect((*base, "links", i, key), link.get(key), places, "place")
            self._vehicles_take_time((*base, "links", i), link, kinds)
            c.consequences.variable((*base, "links", i, "scale"), link.get("scale"))
        counts = self.raw.get("counts")
        if isinstance(counts, dict):
            for key, name in counts.items():
                if key not in ("source", "assumption"):
                    c.consequences.variable((*base, "counts", key), name)
        for i, population in _items(self.raw.get("populations")):
            here = (*base, "populations", i)
            c.expect((*here, "area"), population.get("area"), areas, "area")
            c.expect((*here, "start"), population.get("start"), places, "place")
            for j, name in _strings(population.get("to")):
                c.expect((*here, "to", j), name, places, "place")
            turnout = population.get("turnout")
            if isinstance(turnout, dict):
                c.consequences.variable((*here, "turnout", "compliance"), turnout.get("compliance"))
                c.consequences.variable((*here, "turnout", "scale"), turnout.get("scale"))
                c.expect((*here, "turnout", "join"), turnout.get("join"), populations, "population")
            self._reachable(here, population, kinds, links)

    def _vehicles_take_time(self, here: PathTuple, link: dict[str, Any], kinds: dict[str, Any]) -> None:
        """Report vehicles that cross in no time to a place that is not safe: routing weighs expected
        minutes, and a vehicle takes only those it brings closer to safety, so one that brings nobody
        closer (0 minutes to a place on the way) would never take anyone and its people would wait
        until the horizon. At a shelter or destination, a time of 0 is how "safe once aboard" is said."""
        if not isinstance(link.get("vehicles"), dict) or not _no_time(link.get("time")):
            return
        ends = [link.get("to")] + ([link.get("from")] if link.get("both_ways") else [])
        unsafe = [end for end in ends if isinstance(end, str) and end in kinds and kinds[end] not in SAFE_KINDS]
        if unsafe:
            self.checker.report(
                (*here, "time"),
                f"vehicles that take no time to {unsafe[0]!r} (not a shelter or destination) would never take "
                "anyone, as they bring nobody closer to safety; give the crossing's time",
            )

    def _reachable(
        self, here: PathTuple, population: dict[str, Any], kinds: dict[str, Any], links: list[tuple[int, dict]]
    ) -> None:
        """Report a population that no chain of links (of its modes) takes to one of its safe places."""
        start = population.get("start")
        if not isinstance(start, str) or start not in kinds:
            return
        safe = {name for _, name in _strings(population.get("to"))} or {
            name for name, kind in kinds.items() if kind in SAFE_KINDS
        }
        if not safe:
            self.checker.report(
                (*here, "to"), "no safe place: list places in 'to' or declare a place of kind shelter or destination"
            )
            return
        modes = {m for _, m in _strings(population.get("modes"))} or set(MODES)
        out: dict[str, list[str]] = {}
        for _, link in links:
            if link.get("mode", "walk") not in modes:
                continue
            a, b = link.get("from"), link.get("to")
            if isinstance(a, str) and isinstance(b, str):
                out.setdefault(a, []).append(b)
                if link.get("both_ways"):
                    out.setdefault(b, []).append(a)
        seen, frontier = {start}, [start]
        while frontier:
            frontier = [n for p in frontier for n in out.get(p, ()) if n not in seen]
            seen.update(frontier)
        if not seen & safe:
            names = ", ".join(sorted(safe))
            self.checker.report(
                (*here, "start"),
                f"population {population.get('id')!r} has no route from {start!r} to a safe place ({names})"
                f" over links of its modes; add a link or a place to 'to'",
            )


def _no_time(value: Any) -> bool:
    """A plain duration of 0 (a distribution, or anything unreadable, is left to the schema)."""
    try:
        return not isinstance(value, dict) and parse_duration(value) == 0.0
    except ValueError:
        return False
