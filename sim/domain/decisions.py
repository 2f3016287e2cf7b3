"""Decision points and who answers them.

A decision comes up when its owning agency *knows* every fact it requires,
and facts reach agencies only as messages (see `comms.py`). It is then
answered by a decision maker: the modelled policy (a delay and a weighted
choice, each from its own random stream) or, for roles played by people, a
call to `Simulation.decide()`, for which the engine simply waits. Same model
either way, so a class session and a thousand-run analysis are the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from sim.domain.comms import Fact, Network
from sim.engine.streams import RandomStreams
from sim.events import Kind
from sim.scenario.schema import Condition, Decision, Scenario

NOT_REQUIRED = "not_required"
"""Outcome of a decision whose `skip_if` held when it came up."""


class InputError(ValueError):
    """A person's input (an inject, a decision) that the running model cannot take;
    refused before anything is recorded, so journals and replays never hold it."""


class DecisionError(InputError):
    """A human answer that the model cannot take (wrong role, not pending, unknown option)."""


@dataclass(slots=True)
class DecisionState:
    spec: Decision
    status: str = "waiting"  # waiting -> pending -> taken | skipped
    came_up_at: float | None = None
    taken_at: float | None = None
    option: str | None = None
    by: str | None = None
    answer: simpy.Event | None = None
    times: int = 0
    """How many times it has been taken (a repeatable decision is taken again after `repeat`)."""
    first_taken_at: float | None = None
    """When it was first taken: `taken_at` is the last taking, which for a repeatable decision
    can be days after the taking that set the rest of the run going."""

    @property
    def reopened(self) -> bool:
        """Taken before and due again (waiting for its conditions or pending again): its
        `option` and `taken_at` are then the last taking's, not an answer still to come."""
        return self.times > 0 and self.status in ("waiting", "pending")


class DecisionBoard:
    """Tracks every decision point and runs its decision maker."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        network: Network,
        streams: RandomStreams,
        emit: Callable[..., Any],
        now: Callable[[], float],
        human_roles: set[str],
        on_taken: Callable[[DecisionState], None],
    ) -> None:
        self.env = env
        self.network = network
        self.streams = streams
        self.emit = emit
        self.now = now
        self.human_roles = human_roles
        self.on_taken = on_taken
        self.states = {d.id: DecisionState(d) for d in scenario.decisions}
        self._by_owner: dict[str, list[DecisionState]] = {}
        for state in self.states.values():
            self._by_owner.setdefault(state.spec.owner, []).append(state)
        self._requiring: dict[tuple[str, tuple[str, str]], list[DecisionState]] = {}
        """(owner, fact it must know) -> the owner's decisions that require it, in the owner's order."""
        for owner, states in self._by_owner.items():
            for state in states:
                for key in dict.fromkeys(_subject(c) for c in state.spec.requires):
                    self._requiring.setdefault((owner, key), []).append(state)
        self._audience = self._audiences(scenario)
        self.gate: Callable[[Decision], bool] | None = None
        """Also required before a decision comes up (its `when:` condition); set by the facade."""
        self.forced: dict[str, tuple[str, float | None]] = {}
        """Decision id -> (option, delay or None for the modelled delay): `--decide`, replacing the policy's choice."""

    @staticmethod
    def _audiences(scenario: Scenario) -> dict[str, list[str]]:
        """Who must hear of each decision's outcome: owners of dependent decisions plus `notify`."""
        audience: dict[str, list[str]] = {d.id: list(d.notify) for d in scenario.decisions}
        for decision in scenario.decisions:
            for condition in [*decision.requires, *decision.skip_if]:
                if condition.decision and decision.owner not in audience[condition.decision]:
                    audience[condition.decision].append(decision.owner)
        return audience

    # -- coming up --------------------------------------------------------
    def start(self) -> None:
        for agency_id in list(self._by_owner):
            self.review(agency_id)

    def review(self, agency_id: str) -> None:
        """Called whenever `agency_id` learns something: bring up what is now ready."""
        for state in self._by_owner.get(agency_id, ()):
            known = state.status == "waiting" and all(self._known(agency_id, c) for c in state.spec.requires)
            if known and (self.gate is None or self.gate(state.spec)):
                self._come_up(state)

    def learned(self, agency_id: str, fact: Fact) -> None:
        """`agency_id` learned `fact`: bring up what is now ready.

        Only its decisions that require this fact can be: any other decision of its is
        as ready as at the last review, and every change that can make one ready reviews
        its owner when it happens (a fact learned here, its `when:` holding, its reopening),
        so `review` of them all would find nothing more, for far more work (every message
        an agency handles ends here)."""
        for state in self._requiring.get((agency_id, (fact.subject, fact.id)), ()):
            known = state.status == "waiting" and all(self._known(agency_id, c) for c in state.spec.requires)
            if known and (self.gate is None or self.gate(state.spec)):
                self._come_up(state)

    def _known(self, agency_id: str, condition: Condition) -> bool:
        knows = self.network.agencies[agency_id].knows
        key = _subject(condition)
        if key not in knows:
            return False
        return condition.options is None or knows[key] in condition.options

    def _come_up(self, state: DecisionState) -> None:
        spec = state.spec
        state.came_up_at = self.now()
        if any(self._known(spec.owner, c) for c in spec.skip_if):
            state.status = "skipped"
            self._record(state, NOT_REQUIRED, "rule", Kind.decision_skipped)
            return
        state.status = "pending"
        human = spec.owner in self.human_roles
        self.emit(Kind.decision_pending, spec.owner, spec.id, title=spec.title, human=human)
        if human:
            state.answer = self.env.event()
            self.env.process(self._await_human(state, state.answer))
        else:
            self.env.process(self._policy(state))

    # -- decision makers ---------------------------------------------------
    def _policy(self, state: DecisionState):
        spec = state.spec
        delay = self.streams.sample(spec.delay, f"decision.{spec.id}")
        forced = self.forced.get(spec.id)
        if forced is not None and forced[1] is not None:
            delay = forced[1]
        yield self.env.timeout(delay)
        if state.status != "pending":  # a human took over in the meantime
            return
        if forced is not None:
            self._take(state, forced[0], "forced")
            return
        rng = self.streams.stream(f"decision.{spec.id}.choice")
        option = rng.choices(spec.options, weights=[o.probability for o in spec.options])[0]
        self._take(state, option.id, "policy")

    def _await_human(self, state: DecisionState, answer: simpy.Event):
        """The engine's side of a person's decision: it simply waits. `decide()` takes
        the decision at once and then releases this process."""
        yield answer

    def decide(self, decision_id: str, option: str, role: str) -> None:
        """A person answers a pending decision; it is taken at the current time."""
        state = self.states.get(decision_id)
        if state is None:
            raise DecisionError(f"unknown decision '{decision_id}'")
        if state.status != "pending":
            raise DecisionError(f"decision '{decision_id}' is {state.status}, not pending")
        if role not in (state.spec.owner, "facilitator"):
            raise DecisionError(f"role '{role}' does not own decision '{decision_id}' ({state.spec.owner} does)")
        if option not in {o.id for o in state.spec.options}:
            known = ", ".join(o.id for o in state.spec.options)
            raise DecisionError(f"decision '{decision_id}' has no option '{option}' (options: {known})")
        self._take(state, option, f"human:{role}")  # a modelled policy still deliberating sees it and stops
        if state.answer is not None:
            state.answer.succeed()
            state.answer = None

    def _take(self, state: DecisionState, option: str, by: str) -> None:
        state.status = "taken"
        state.times += 1
        if state.first_taken_at is None:
            state.first_taken_at = self.now()
        self._record(state, option, by, Kind.decision_taken)
        if state.spec.repeat is not None:
            self.env.timeout(state.spec.repeat).callbacks.append(lambda _event: self._reopen(state))

    def _reopen(self, state: DecisionState) -> None:
        """A repeatable decision is due again: back to waiting, and up at once if still ready."""
        if state.status != "taken":
            return
        state.status = "waiting"
        self.emit(Kind.decision_reopened, state.spec.owner, state.spec.id, times=state.times)
        self.review(state.spec.owner)

    def _record(self, state: DecisionState, option: str, by: str, kind: Kind) -> None:
        spec = state.spec
        state.taken_at = self.now()
        state.option = option
        state.by = by
        label = next((o.label for o in spec.options if o.id == option), option)
        mode = self.streams.components.get(f"decision.{spec.id}") if by == "policy" else None
        self.emit(
            kind,
            spec.owner,
            spec.id,
            option=option,
            label=label,
            by=by,
            waited=round(state.taken_at - (state.came_up_at or state.taken_at), 3),
            **({"delay_mode": mode} if mode is not None else {}),  # which mode of a mixture delay applied
        )
        fact = Fact("decision", spec.id, option, taking=state.times)
        self.network.tell(spec.owner, fact)
        for agency in self._audience[spec.id]:
            if agency != spec.owner:
                self.network.send(fact, spec.owner, agency)
        self.on_taken(state)

    def pending(self) -> list[DecisionState]:
        return [s for s in self.states.values() if s.status == "pending"]


def _subject(condition: Condition) -> tuple[str, str]:
    """The fact a condition asks about, as agencies key what they know: (subject, id)."""
    return ("decision", condition.decision) if condition.decision else ("inject", condition.inject)
