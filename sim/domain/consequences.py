"""The consequence engine, wired: world state, effects, conditions and hazards of one run.

The facade owns one `Consequences` and calls it at the few moments that
matter: when a decision is taken (its option's effects apply), when an inject
fires (its effects, then conditions that wait on it), and to ask whether a
decision's `when:` holds or an inject was withdrawn. Everything else (state
changes, hazards, deadlines) runs by itself on the SimPy queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sim.domain.comms import Network
from sim.domain.conditions import Conditions
from sim.domain.context import Context
from sim.domain.effects import Effects
from sim.domain.hazards import HazardProcess
from sim.domain.state import WorldState
from sim.scenario.consequence_refs import Targets, effect_target_problems
from sim.scenario.schema import Decision, Scenario

if TYPE_CHECKING:
    from sim.domain.movement import Movement


class Consequences:
    """State, effects, conditions and hazards of one run.

    Args:
        ctx: the engine context.
        scenario: the validated scenario.
        fire: fires an inject by id now (the facade's inject door).
        network: the agencies and channels that `channel`, `agency` and `tell` effects change.
        review: brings up an agency's waiting decisions (the decision board's `review`).
    """

    def __init__(
        self,
        ctx: Context,
        scenario: Scenario,
        *,
        fire: Callable[[str], None],
        network: Network,
        review: Callable[[str], None],
    ) -> None:
        self.ctx = ctx
        self.scenario = scenario
        self._fire = fire
        self._review = review
        self.state = WorldState(ctx, scenario.state)
        self.conditions = Conditions(ctx, self.state.values)
        self.effects = Effects(ctx, self.state, fire, network)
        self.state.on_change(self.conditions.state_changed)
        self.hazards = [
            HazardProcess(ctx, h, self.state, self.conditions, self.effects.apply_all) for h in scenario.hazards
        ]
        self._targets: Targets | None = None
        self._options = {(d.id, o.id): o for d in scenario.decisions for o in d.options if o.effects}

    def attach_movement(self, movement: Movement) -> None:
        """The movement network exists: `close`, `open` and `movement` effects reach it, and it reads
        the state (compliance) and conditions (`when:`) and keeps its `counts` variables."""
        self.effects.movement = movement
        movement.bind(self.state, self.conditions)

    def start(self) -> None:
        """At T+0: initial state, then the watches on `when:` conditions, then the hazards."""
        self.state.start()
        for decision in self.scenario.decisions:
            if decision.when is not None:
                self.conditions.watch(decision.when, self._gate_changed(decision), now=False)
        for inject in self.scenario.injects:
            if inject.when is not None:
                self.conditions.once(inject.when, self._when_inject(inject.id, inject.delay))
        for hazard in self.hazards:
            hazard.start()

    # -- hooks the facade calls -------------------------------------------------
    def decision_ready(self, decision: Decision) -> bool:
        """Whether a decision's `when:` (if any) holds now; the board asks before bringing it up."""
        return self.conditions.holds(decision.when)

    def decision_taken(self, decision_id: str, option: str | None) -> None:
        """Apply the chosen option's effects, then re-evaluate what waits on the decision."""
        chosen = self._options.get((decision_id, option or ""))
        if chosen is not None:
            self.effects.apply_all(chosen.effects, f"decision:{decision_id}={option}")
        self.conditions.decision_taken(decision_id, option)

    def inject_fired(self, inject_id: str) -> None:
        self.conditions.inject_fired(inject_id)

    def refuse_unknown(self, effects: list[Any], where: str) -> None:
        """Raise ValueError naming the first effect that refers to something this scenario does not have
        (for injects built by hand, which `validate` never saw): a variable, an inject, a place, an
        area, a channel or an agency."""
        injects = {i.id for i in self.scenario.injects}
        if self._targets is None:
            self._targets = Targets.of(self.scenario.model_dump(mode="json", by_alias=True))
        for effect in effects:
            kind = getattr(effect, "kind", "?")
            name = getattr(effect, "state", None)
            if isinstance(name, str) and name not in self.state:
                raise ValueError(f"{where}: effect '{kind}' names unknown state variable {name!r}")
            target = getattr(effect, "inject", None)
            if isinstance(target, str) and target not in injects:
                raise ValueError(f"{where}: effect '{kind}' names unknown inject {target!r}")
            data = effect.model_dump(mode="json", by_alias=True)
            for _path, message in effect_target_problems(data, self._targets):
                raise ValueError(f"{where}: effect '{kind}': {message}")

    def apply(self, effect: Any, cause: str) -> None:
        self.effects.apply(effect, cause)

    def is_cancelled(self, inject_id: str) -> bool:
        return self.effects.is_cancelled(inject_id)

    # -- internals -------------------------------------------------------------
    def _gate_changed(self, decision: Decision) -> Callable[[bool], None]:
        def changed(holds: bool) -> None:
            if holds:
                self._review(decision.owner)

        return changed

    def _when_inject(self, inject_id: str, delay: float) -> Callable[[], None]:
        def due() -> None:
            if inject_id in self.conditions.facts.injects or self.is_cancelled(inject_id):
                return  # fired by hand already, or withdrawn
            self.ctx.after(delay, lambda: self._fire_scheduled(inject_id))

        return due

    def _fire_scheduled(self, inject_id: str) -> None:
        if inject_id not in self.conditions.facts.injects and not self.is_cancelled(inject_id):
            self._fire(inject_id)
