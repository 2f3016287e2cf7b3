"""Logic checks: a valid scenario that would silently do nothing somewhere.

The schema and the cross-reference checks make sure every name exists; these
checks ask whether the parts can ever *happen*: a decision whose facts never
reach its owner stays `waiting` for ever, an inject triggered by something
that never comes never fires, an option nobody can take changes nothing. Each
finding is a warning at the offending value (`validate` prints them;
`validate --strict` makes them errors).

The analysis is optimistic (it never warns about something that can happen):
what can happen is the least fixpoint of "an inject can fire" (scheduled
within the horizon, on demand, triggered by a decision that can come up,
`when:` can hold, or fired by an effect of something that can happen) and "a
decision can come up" (every fact it requires can reach its owner and its
`when:` can hold). A condition can hold if its clauses can: `not` always can,
a time clause if it lies within the horizon, a state threshold if the value it
needs lies within what the variable can take (only its initial value if no
effect changes it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from sim.scenario.consequences import (
    AddEffect,
    FireEffect,
    IndicatorMetric,
    ScaleEffect,
    SetEffect,
    SpanMetric,
    TimeMetric,
    When,
)
from sim.scenario.loader import load_raw, load_scenario_text
from sim.scenario.problems import PathTuple, Positions, Problem
from sim.scenario.schema import Condition, Scenario

MOVEMENT_KINDS = {"close", "open", "movement"}
"""Effect kinds only the movement network (`movement:`) carries out."""
NETWORK_EVENTS = {"cohort_departed", "cohort_arrived", "people_exposed", "movement_completed"}
NETWORK_EVENTS |= {"movement_started", "leg_closed", "leg_reopened", "movement_changed"}
"""Events the movement network (`movement:`) emits."""


def check_logic_text(text: str, filename: str = "<string>") -> list[Problem]:
    """Warnings for one valid scenario's YAML text (raises ScenarioError if it is not valid)."""
    scenario = load_scenario_text(text, filename)
    _raw, positions = load_raw(text, filename)
    return logic_warnings(scenario, positions)


def logic_warnings(scenario: Scenario, positions: Positions | None = None) -> list[Problem]:
    """Every logic warning for a valid scenario, in file order."""
    checker = _Logic(scenario, positions or Positions("<scenario>"))
    checker.run()
    return sorted(checker.problems, key=lambda p: (p.line, p.col, p.path, p.message))


class _Logic:
    def __init__(self, scenario: Scenario, positions: Positions) -> None:
        self.s = scenario
        self.positions = positions
        self.problems: list[Problem] = []
        self.horizon = scenario.scenario.horizon
        self.decisions = {d.id: d for d in scenario.decisions}
        self.injects = {i.id: i for i in scenario.injects}
        self.changed = self._changed_variables()
        self.live_decisions: set[str] = set()
        self.live_injects: set[str] = set()

    def warn(self, path: PathTuple, message: str) -> None:
        problem = self.positions.problem(path, message)
        if problem not in self.problems:
            self.problems.append(problem)

    # -- what can happen -------------------------------------------------------
    def _changed_variables(self) -> dict[str, list[Any]]:
        """Variable -> the effects anywhere that change it."""
        found: dict[str, list[Any]] = {}
        for effect in self._all_effects():
            if isinstance(effect, SetEffect | AddEffect | ScaleEffect):
                found.setdefault(effect.state, []).append(effect)
        counts = self.s.movement.counts if self.s.movement is not None else None
        for name in counts.model_dump().values() if counts is not None else ():
            if isinstance(name, str):
                found.setdefault(name, []).append(counts)  # the movement model keeps these up to date
        return found

    def _all_effects(self) -> Iterator[Any]:
        for decision in self.s.decisions:
            for option in decision.options:
                yield from option.effects
        for inject in self.s.injects:
            yield from inject.effects
        for hazard in self.s.hazards:
            yield from hazard.effects

    def can_hold(self, cond: When | None) -> bool:
        if cond is None:
            return True
        if cond.after is not None and cond.after > self.horizon:
            return False
        if cond.by is not None and cond.by < 0:
            return False
        if cond.decision is not None and cond.decision not in self.live_decisions:
            return False
        if (
            cond.decision is not None
            and cond.option is not None
            and not self.option_possible(cond.decision, cond.option)
        ):
            return False
        if cond.inject is not None and cond.inject not in self.live_injects:
            return False
        if cond.state is not None and not self.threshold_reachable(cond):
            return False
        if cond.all_ is not None and not all(self.can_hold(c) for c in cond.all_):
            return False
        return not (cond.any_ is not None and not any(self.can_hold(c) for c in cond.any_))

    def option_possible(self, decision_id: str, option: str) -> bool:
        decision = self.decisions.get(decision_id)
        if decision is None:
            return False
        if option == "not_required":
            return bool(decision.skip_if)
        return any(o.id == option and self.choosable(decision, o) for o in decision.options)

    def choosable(self, decision: Any, option: Any) -> bool:
        """A person playing the owner may choose any option; the modelled policy only those with weight."""
        return option.probability > 0 or self.s.agency(decision.owner).role is not None

    def threshold_reachable(self, cond: When) -> bool:
        var = next((v for v in self.s.state if v.id == cond.state), None)
        if var is None:
            return True
        if cond.state not in self.changed:
            values = [var.initial]
            return any(_meets(cond, v) for v in values)
        low = -math.inf if var.min is None else var.min
        high = math.inf if var.max is None else var.max
        needs_low = max(x for x in (cond.at_least, cond.above, cond.equals, -math.inf) if x is not None)
        needs_high = min(x for x in (cond.at_most, cond.below, cond.equals, math.inf) if x is not None)
        if needs_low > high or needs_high < low:
            return False
        if cond.above is not None and cond.above >= high:
            return False
        return not (cond.below is not None and cond.below <= low)

    def requirement_met(self, decision: Any, req: Condition) -> bool:
        if req.decision is not None:
            if req.decision not in self.live_decisions:
                return False
            return req.options is None or any(self.option_possible(req.decision, o) for o in req.options)
        inject = self.injects.get(req.inject)
        return req.inject in self.live_injects and inject is not None and decision.owner in self.reached(inject)

    def reached(self, inject: Any) -> set[str]:
        """Agencies an inject reaches: those it names and, in turn, those they forward it to."""
        forwards = {a.id: a.forwards for a in self.s.agencies}
        reached: set[str] = set()
        todo = list(inject.to)
        while todo:
            agency = todo.pop()
            if agency not in reached:
                reached.add(agency)
                todo.extend(forwards.get(agency, ()))
        return reached

    def inject_can_fire(self, inject: Any) -> bool:
        if inject.on_demand:
            return True
        if inject.at is not None:
            return inject.at <= self.horizon
        if inject.trigger is not None:
            trigger = inject.trigger
            if trigger.decision is None:
                return False  # the engine fires a `trigger` only on decisions
            if trigger.decision not in self.live_decisions:
                return False
            return trigger.options is None or any(self.option_possible(trigger.decision, o) for o in trigger.options)
        return self.can_hold(inject.when)

    def _fired_by_effects(self) -> set[str]:
        fired: set[str] = set()
        sources: list[Iterable[Any]] = [h.effects for h in self.s.hazards]
        sources += [i.effects for i in self.s.injects if i.id in self.live_injects]
        for d in self.s.decisions:
            if d.id in self.live_decisions:
                sources += [o.effects for o in d.options if self.choosable(d, o)]
        for effects in sources:
            fired.update(e.inject for e in effects if isinstance(e, FireEffect))
        return fired

    def solve(self) -> None:
        while True:
            before = (len(self.live_decisions), len(self.live_injects))
            fired = self._fired_by_effects()
            for inject in self.s.injects:
                if inject.id not in self.live_injects and (inject.id in fired or self.inject_can_fire(inject)):
                    self.live_injects.add(inject.id)
            for decision in self.s.decisions:
                if decision.id in self.live_decisions:
                    continue
                if all(self.requirement_met(decision, r) for r in decision.requires) and self.can_hold(decision.when):
                    self.live_decisions.add(decision.id)
            if (len(self.live_decisions), len(self.live_injects)) == before:
                return

    # -- findings --------------------------------------------------------------
    def run(self) -> None:
        self.solve()
        self.check_decisions()
        self.check_injects()
        self.check_metrics()

    def check_decisions(self) -> None:
        waited_on = self._waited_on()
        for i, decision in enumerate(self.s.decisions):
            here = ("decisions", i)
            if decision.id not in self.live_decisions:
                self.warn((*here, "id"), f"decision {decision.id!r} can never come up: {self._why_dead(decision)}")
                continue
            for j, option in enumerate(decision.options):
                if not self.choosable(decision, option):
                    self.warn(
                        (*here, "options", j, "probability"),
                        f"option {option.id!r} can never be chosen: its probability is 0 and no player "
                        f"plays {decision.owner!r} (give the agency a role: or a probability above 0)",
                    )
                elif (
                    option.consequence
                    and not option.effects
                    and (decision.id, option.id) not in waited_on
                    and decision.id not in waited_on
                ):
                    self.warn(
                        (*here, "options", j, "consequence"),
                        f"option {option.id!r} leads nowhere: its consequence: promises something, but it has no "
                        f"effects and nothing waits on decision {decision.id!r} (add effects:, or a decision, "
                        "inject or metric that needs it)",
                    )

    def _why_dead(self, decision: Any) -> str:
        for req in decision.requires:
            if req.inject is not None:
                inject = self.injects.get(req.inject)
                if inject is not None and decision.owner not in self.reached(inject):
                    return (
                        f"it requires inject {req.inject!r}, which is not sent to its owner {decision.owner!r} "
                        f"(add {decision.owner!r} to the inject's to:, or to forwards: of an agency it reaches)"
                    )
                if req.inject not in self.live_injects:
                    return f"it requires inject {req.inject!r}, which can never fire"
            elif req.decision not in self.live_decisions:
                return f"it requires decision {req.decision!r}, which can never come up"
            elif req.options is not None:
                return f"it requires decision {req.decision!r} answered {', '.join(req.options)}, which it never is"
        return "its when: can never hold"

    def _waited_on(self) -> set[Any]:
        """Decisions (and (decision, option) pairs) something depends on."""
        found: set[Any] = set()

        def add(decision: str | None, options: Iterable[str] | None) -> None:
            if decision is None:
                return
            if options is None:
                found.add(decision)
            else:
                found.update((decision, o) for o in options)

        def conds(cond: When | None) -> None:
            if cond is None:
                return
            add(cond.decision, None if cond.option is None else [cond.option])
            for child in [*(cond.all_ or ()), *(cond.any_ or ())]:
                conds(child)
            conds(cond.not_)

        for d in self.s.decisions:
            for req in [*d.requires, *d.skip_if]:
                add(req.decision, req.options)
            conds(d.when)
        for inject in self.s.injects:
            if inject.trigger is not None:
                add(inject.trigger.decision, inject.trigger.options)
            conds(inject.when)
        for hazard in self.s.hazards:
            conds(hazard.when)
        for metric in self.s.metrics:
            for cond in _metric_conditions(metric):
                conds(cond)
        if self.s.movement is not None:  # a population's start or an area's danger may wait on a decision
            for population in self.s.movement.populations:
                conds(population.turnout.when)
            for area in self.s.movement.areas:
                conds(area.when)
        return found

    def check_injects(self) -> None:
        for i, inject in enumerate(self.s.injects):
            here = ("injects", i)
            if inject.trigger is not None and inject.trigger.inject is not None:
                self.warn(
                    (*here, "trigger", "inject"),
                    f"inject {inject.id!r} is triggered by an inject, which never fires it; "
                    f"write when: {{inject: {inject.trigger.inject}}} instead",
                )
            elif inject.id not in self.live_injects:
                if inject.at is not None:
                    why = "its time is after the scenario's horizon"
                    where = (*here, "at")
                elif inject.trigger is not None:
                    why = f"decision {inject.trigger.decision!r} never comes up or never takes those options"
                    where = (*here, "trigger")
                else:
                    why = "its when: can never hold"
                    where = (*here, "when")
                self.warn(where, f"inject {inject.id!r} can never fire: {why}")
            for j, effect in enumerate(inject.effects):
                self._movement_effect((*here, "effects", j), effect)
        for i, decision in enumerate(self.s.decisions):
            for j, option in enumerate(decision.options):
                for k, effect in enumerate(option.effects):
                    self._movement_effect(("decisions", i, "options", j, "effects", k), effect)
        for i, hazard in enumerate(self.s.hazards):
            for k, effect in enumerate(hazard.effects):
                self._movement_effect(("hazards", i, "effects", k), effect)

    def _movement_effect(self, path: PathTuple, effect: Any) -> None:
        kind = getattr(effect, "kind", None)
        if self.s.movement is None and kind in MOVEMENT_KINDS:
            self.warn((*path, "kind"), f"effect {effect.kind!r} changes nothing: this scenario has no movement:")

    def check_metrics(self) -> None:
        hazards = {h.id for h in self.s.hazards}
        for i, metric in enumerate(self.s.metrics):
            here = ("metrics", i)
            for key, cond in _metric_conditions_named(metric):
                if not self.can_hold(cond):
                    self.warn((*here, key), f"metric {metric.id!r} is always null: its {key} condition can never hold")
            event = getattr(metric, "event", None)
            if event in NETWORK_EVENTS and self.s.movement is None:
                self.warn(
                    (*here, "event"),
                    f"metric {metric.id!r} counts {event!r}, which this scenario never emits (no movement:)",
                )
            if event == "hazard_occurred" and metric.target is not None and metric.target not in hazards:
                self.warn(
                    (*here, "target"), f"metric {metric.id!r} counts hazard {metric.target!r}, which is not a hazard id"
                )
        metrics = {m.id: m for m in self.s.metrics}
        for i, objective in enumerate(self.s.objectives):
            metric = metrics.get(objective.metric)
            if metric is not None and any(not self.can_hold(c) for _k, c in _metric_conditions_named(metric)):
                self.warn(
                    ("objectives", i, "metric"),
                    f"objective {objective.id!r} is never rated: metric {objective.metric!r} can never happen",
                )


def _meets(cond: When, value: float) -> bool:
    return (
        (cond.at_least is None or value >= cond.at_least)
        and (cond.at_most is None or value <= cond.at_most)
        and (cond.above is None or value > cond.above)
        and (cond.below is None or value < cond.below)
        and (cond.equals is None or value == cond.equals)
    )


def _metric_conditions_named(metric: Any) -> list[tuple[str, When]]:
    if isinstance(metric, SpanMetric):
        return [("start", metric.start), ("end", metric.end)]
    if isinstance(metric, TimeMetric | IndicatorMetric):
        return [("when", metric.when)]
    return []


def _metric_conditions(metric: Any) -> list[When]:
    return [cond for _key, cond in _metric_conditions_named(metric)]
