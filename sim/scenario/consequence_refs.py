"""Cross-reference checks for the consequence sections (state, effects, conditions,
hazards, metrics, objectives), run by `references.py` alongside its own.

Every name an effect, condition, hazard, metric or objective uses must exist:
a state variable, a decision and its option, an inject, an event kind, a
metric. Problems are reported at the offending value, with a suggestion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from sim.events import Kind
from sim.scenario.consequences import (
    RESERVED_METRIC_IDS,
    AddEffect,
    CancelEffect,
    CountMetric,
    FireEffect,
    Objective,
    Rate,
    ScaleEffect,
    SetEffect,
    StateMetric,
    When,
)
from sim.scenario.problems import suggest

EVENT_KINDS = [str(kind) for kind in Kind]

SIMCELL = "simcell"

TARGET_KINDS = {"close", "open", "movement", "channel", "channel_disruption", "agency", "tell"}
"""Effect kinds that name places, links, areas, channels or agencies (checked by `effect_target_problems`)."""

MOVEMENT_KINDS = {"close", "open", "movement"}
"""Effect kinds only a scenario with a movement network (`movement:`) can carry out."""


@dataclass
class Targets:
    """Every name an effect may target in one scenario (from its raw mapping)."""

    agencies: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    """Places and links of the movement network: what `close` and `open` name."""
    areas: list[str] = field(default_factory=list)
    """Where people live (the movement network's areas): what `movement` names."""
    movement: bool = False

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Targets:
        targets = cls()
        targets.agencies = _item_ids(raw.get("agencies"))
        targets.channels = _item_ids(raw.get("channels"))
        network = raw.get("movement")
        if isinstance(network, dict):  # the movement network: places, links and areas
            targets.movement = True
            targets.places += _item_ids(network.get("places")) + _item_ids(network.get("links"))
            targets.areas += _item_ids(network.get("areas"))
        return targets


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _item_ids(value: Any) -> list[str]:
    return [item["id"] for item in _items(value) if isinstance(item.get("id"), str)]


def effect_target_problems(data: dict[str, Any], targets: Targets) -> Iterator[tuple[tuple, str]]:
    """(path inside the effect, message) for each name an effect targets that the scenario lacks."""
    kind = data.get("kind")
    if not isinstance(kind, str):
        return  # the schema pass reports it
    if kind in MOVEMENT_KINDS and not targets.movement:
        return  # reported once per effect as a logic warning: nothing to change
    lists = {
        "close": [("places", targets.places, "place")],
        "open": [("places", targets.places, "place")],
        "movement": [("areas", targets.areas, "area")],
        "channel": [("channels", targets.channels, "channel"), ("agencies", targets.agencies, "agency")],
        "channel_disruption": [("agencies", targets.agencies, "agency")],
        "agency": [("agencies", targets.agencies, "agency")],
        "tell": [("to", targets.agencies, "agency")],
    }.get(kind, [])
    for key, known, noun in lists:
        values = data.get(key)
        for i, name in enumerate(values if isinstance(values, list) else []):
            if isinstance(name, str) and name not in known:
                extra = " (channels are named by their id:)" if noun == "channel" else ""
                yield (key, i), f"unknown {noun} {name!r}{suggest(name, known)}{extra}"
    if kind == "tell":
        sender = data.get("from", SIMCELL)
        if isinstance(sender, str) and sender != SIMCELL and sender not in targets.agencies:
            yield (
                ("from",),
                f"unknown sender {sender!r}{suggest(sender, targets.agencies)}; expected an agency id or 'simcell'",
            )


class ConsequenceChecks:
    """Checks for one raw scenario; `checker` is the references `_Checker` (ids, reporting)."""

    def __init__(self, checker: Any) -> None:
        self.checker = checker
        self.variables = checker._unique("state", "state variable")
        checker._unique("hazards", "hazard")
        checker._unique("objectives", "objective")
        self.metrics = self._metric_ids()
        self.targets = Targets.of(checker.raw)
        self._check_instant_fire_loops()

    def targets_of(self, path: tuple, data: dict[str, Any]) -> None:
        for where, message in effect_target_problems(data, self.targets):
            self.checker.report((*path, *where), message)

    def _check_instant_fire_loops(self) -> None:
        """Injects that fire each other with no delay would loop forever at one instant."""
        edges: dict[str, list[tuple[str, tuple]]] = {}
        injects = self.checker.raw.get("injects")
        for i, inject in enumerate(injects if isinstance(injects, list) else []):
            if not (isinstance(inject, dict) and isinstance(inject.get("id"), str)):
                continue
            effects = inject.get("effects")
            for j, effect in enumerate(effects if isinstance(effects, list) else []):
                if isinstance(effect, dict) and effect.get("kind") == "fire" and _no_delay(effect.get("delay")):
                    target = effect.get("inject")
                    if isinstance(target, str):
                        edges.setdefault(inject["id"], []).append((target, ("injects", i, "effects", j, "inject")))
        done: set[str] = set()
        for root in edges:
            if root not in done:
                self._report_loop_from(root, edges, done)

    def _report_loop_from(self, root: str, edges: dict[str, list[tuple[str, tuple]]], done: set[str]) -> None:
        """Depth-first from `root`; report the first loop found (at the effect that closes it)."""
        trail: list[str] = [root]
        stack = [iter(edges.get(root, ()))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                done.add(trail.pop())
                stack.pop()
                continue
            target, where = step
            if target in trail:
                loop = " -> ".join([*trail[trail.index(target) :], target])
                self.checker.report(where, f"injects fire each other with no delay, forever: {loop}; give one a delay")
                done.update(trail)
                return
            if target not in done:
                trail.append(target)
                stack.append(iter(edges.get(target, ())))

    def _metric_ids(self) -> list[str]:
        ids: list[str] = []
        items = self.checker.raw.get("metrics")
        for i, item in enumerate(items if isinstance(items, list) else []):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):
                continue
            where = ("metrics", i, "id")
            if ident in ids:
                self.checker.report(where, f"duplicate metric id {ident!r}")
            elif ident in RESERVED_METRIC_IDS:
                self.checker.report(where, f"metric id {ident!r} is reserved (objectives are reported under it)")
            ids.append(ident)
        return ids

    def variable(self, path: tuple, value: Any) -> None:
        extra = "" if self.variables else "; declare it under state:"
        self.checker.expect(path, value, self.variables, "state variable", extra)

    def option(self, path: tuple, decision: Any, option: Any) -> None:
        known = self.checker.options.get(decision) if isinstance(decision, str) else None
        if known is not None and isinstance(option, str) and option not in known:
            self.checker.report(
                path,
                f"decision {decision!r} has no option {option!r}{suggest(option, known)}; its options: {', '.join(known)}",
            )

    def check_model(self, path: tuple, cls: type[BaseModel], data: dict[str, Any]) -> None:
        c = self.checker
        if issubclass(cls, SetEffect | AddEffect | ScaleEffect | StateMetric | Rate):
            self.variable((*path, "state"), data.get("state"))
        elif issubclass(cls, FireEffect | CancelEffect):
            c.expect((*path, "inject"), data.get("inject"), c.injects, "inject")
        elif issubclass(cls, When):
            c.decision((*path, "decision"), data.get("decision"))
            self.option((*path, "option"), data.get("decision"), data.get("option"))
            c.expect((*path, "inject"), data.get("inject"), c.injects, "inject")
            self.variable((*path, "state"), data.get("state"))
        elif "kind" in cls.model_fields and isinstance(data.get("kind"), str) and data["kind"] in TARGET_KINDS:
            self.targets_of(path, data)  # the effects above and the older `channel_disruption`
        elif issubclass(cls, CountMetric):
            c.expect((*path, "event"), data.get("event"), EVENT_KINDS, "event kind", " (see the event catalogue)")
        elif issubclass(cls, Objective):
            c.expect((*path, "metric"), data.get("metric"), self.metrics, "metric")


def _no_delay(value: Any) -> bool:
    from sim.scenario.types import parse_duration

    try:
        return value is None or parse_duration(value) == 0
    except ValueError:
        return False
