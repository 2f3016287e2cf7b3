"""How long people took over their decisions: one row per decision a person answered.

With the `play` clock running while a person decides, deliberation costs model
time, and a class wants to see what its hesitation cost. This is a pure
function of the event stream (and the session's inputs, for evaluator
ratings), so the console debrief and the after-action report show the same
figures for a live session and for a journal read back afterwards.

A decision counts as a person's when its `decision_taken` says `by:
human:ROLE`: a human-played role answering its own decision, or the
facilitator (`human:facilitator`) overriding the modelled decision maker. For
each taking it gives:

* `came_up`: when the decision became pending (its `decision_pending` event);
* `taken`: when it was answered; `deliberation` = taken - came_up;
* `trigger`: what made it come up, i.e. the inject or decision behind the fact
  its owner learned last among those it `requires` (or the `when:` subject that
  happened at that very instant, or the decision's own re-opening when it is a
  repeatable one), with `triggered_at`, the time that inject fired or that
  decision was taken, and `from_trigger` = taken - triggered_at;
* `rating`: the HSEEP rating from `sim.analysis.ratings`, the one rater of the
  debrief and the report ("" when the MSEL sets no expectation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.analysis import ratings

if TYPE_CHECKING:
    from sim.events import SimEvent
    from sim.scenario.schema import Decision, Scenario

__all__ = ["Deliberation", "duration", "human_deliberations"]

HUMAN = "human:"


@dataclass(frozen=True, slots=True)
class Deliberation:
    """One decision a person took: when it came up, when it was answered, and how timely. Minutes from T+0."""

    decision: str
    title: str
    owner: str
    role: str
    """Who answered: the role (agency id) that played it, or `facilitator`."""
    option: str
    label: str
    came_up: float
    taken: float
    trigger: str | None
    """What made it come up, e.g. `inject m01` or `decision situation_assessment` (None: nothing did, e.g. T+0)."""
    triggered_at: float | None
    rating: ratings.Rating

    @property
    def deliberation(self) -> float:
        """Minutes from coming up to the answer."""
        return self.taken - self.came_up

    @property
    def from_trigger(self) -> float | None:
        """Minutes from the triggering event to the answer."""
        return None if self.triggered_at is None else self.taken - self.triggered_at

    @property
    def overridden(self) -> bool:
        """The facilitator answered a decision that the model (or another role) owned."""
        return self.role != self.owner


def duration(minutes: float | None) -> str:
    """A deliberation as the debrief and the report show it: minutes under an hour (`7 min`), else hours."""
    from sim.analysis.explain import duration_text

    return duration_text(None if minutes is None else minutes / 60.0)


def human_deliberations(
    scenario: Scenario,
    events: Sequence[SimEvent],
    inputs: Iterable[Any] = (),
    *,
    late_factor: float = ratings.LATE_FACTOR,
    label: Callable[[float], str] | None = None,
) -> list[Deliberation]:
    """Every decision taken by a person in this event stream, in the order they were taken.

    `label` turns a minute into the time shown in an evaluator's reason (as for `rate_decisions`).
    """
    outcomes = ratings.rate_decisions(scenario, events, inputs, late_factor=late_factor, label=label)
    index = _Index(events)
    specs = {d.id: d for d in scenario.decisions}
    rows: list[Deliberation] = []
    for event in events:
        by = str(event.data.get("by") or "")
        if str(event.kind) != "decision_taken" or not by.startswith(HUMAN) or event.target is None:
            continue
        spec = specs.get(event.target)
        if spec is None:  # a record from another version of the scenario
            continue
        came_up = index.came_up(event)
        trigger, triggered_at = index.trigger(spec, event.source, came_up)
        option = str(event.data.get("option"))
        if index.first_outcome.get(spec.id) is event:  # the taking the rater rated (with any evaluator's rating)
            rating = outcomes[spec.id].rating
        else:  # a repeatable decision taken again: rated by the same rules, on this taking
            rating = _rate_again(scenario, spec, option, event.time - came_up, late_factor)
        rows.append(
            Deliberation(
                spec.id,
                spec.title,
                spec.owner,
                by.removeprefix(HUMAN),
                option,
                str(event.data.get("label", option)),
                came_up,
                event.time,
                trigger,
                triggered_at,
                rating,
            )
        )
    return rows


def _rate_again(scenario: Scenario, spec: Decision, option: str, waited: float, late_factor: float) -> ratings.Rating:
    withheld = option in ratings.holding_options(scenario, spec.id)
    label = next((o.label for o in spec.options if o.id == option), option)
    return ratings.rate_decision(
        "taken",
        waited,
        spec.expected_within,
        late_factor,
        withheld=label if withheld else None,
        expected=spec.expected,
    )


class _Index:
    """The events a trigger is looked up in, by decision, inject and what each agency learned."""

    def __init__(self, events: Sequence[SimEvent]) -> None:
        self.events = events
        self.pending: dict[str, list[float]] = {}
        self.reopened: dict[str, list[float]] = {}
        self.taken: dict[str, list[float]] = {}
        self.fired: dict[str, float] = {}
        self.learned: dict[tuple[str, str], list[float]] = {}
        self.state: dict[str, list[tuple[float, str, Any]]] = {}
        """Variable id -> (time, cause, value) of each change."""
        self.first_outcome: dict[str, SimEvent] = {}
        """Each decision's first answer (or skip): the one `rate_decisions` rates."""
        for e in events:
            kind = str(e.kind)
            if kind == "decision_pending" and e.target:
                self.pending.setdefault(e.target, []).append(e.time)
            elif kind == "decision_reopened" and e.target:
                self.reopened.setdefault(e.target, []).append(e.time)
            elif kind in ("decision_taken", "decision_skipped") and e.target:
                self.taken.setdefault(e.target, []).append(e.time)
                self.first_outcome.setdefault(e.target, e)
            elif kind == "state_changed" and e.target:
                self.state.setdefault(e.target, []).append((e.time, e.source, e.data.get("value")))
            elif kind == "inject_fired":
                self.fired.setdefault(str(e.data.get("inject")), e.time)
            elif kind == "message_handled" and not e.data.get("relay"):
                self.learned.setdefault((e.source, str(e.data.get("fact"))), []).append(e.time)

    @staticmethod
    def _last(times: list[float] | None, until: float) -> float | None:
        return max((t for t in times or () if t <= until + 1e-9), default=None)

    def came_up(self, taken: SimEvent) -> float:
        """When this taking's decision last became pending (the `waited` payload if none was recorded)."""
        pending = self._last(self.pending.get(taken.target or ""), taken.time)
        return pending if pending is not None else taken.time - float(taken.data.get("waited") or 0.0)

    def origin(self, kind: str, fact: str, until: float) -> tuple[str, float] | None:
        """The event a fact stands for (at or before `until`): the decision taken, the inject fired, or
        the last change of a state variable, named by its cause (`inject x (escalation 4)`)."""
        if kind == "state":
            changes = [c for c in self.state.get(fact, ()) if c[0] <= until + 1e-9]
            if not changes:
                return None
            time, cause, value = changes[-1]
            what, _, ident = cause.partition(":")
            named = f"{what} {ident.split('=')[0]}" if ident else what
            label = f"{named} ({fact} {value:g})" if isinstance(value, int | float) else named
            return label, time
        if kind == "decision":
            decided = self._last(self.taken.get(fact), until)
            return None if decided is None else (f"decision {fact}", decided)
        fired = self.fired.get(fact)
        return None if fired is None or fired > until + 1e-9 else (f"inject {fact}", fired)

    def trigger(self, spec: Decision, owner: str, came_up: float) -> tuple[str | None, float | None]:
        """What made the decision come up at `came_up`, and when that happened."""
        if self._last(self.reopened.get(spec.id), came_up) == came_up:
            return "its repeat came due", self._last(self.taken.get(spec.id), came_up)
        if spec.when is not None:
            from sim.domain.conditions import subjects

            for kind, ident in subjects(spec.when):  # `when:` is about the world: no message needed
                origin = self.origin(kind, ident, came_up)
                if origin is not None and abs(origin[1] - came_up) < 1e-9:
                    return origin
        best: tuple[float, str, str] | None = None
        for condition in spec.requires:
            kind, fact = ("decision", condition.decision) if condition.decision else ("inject", condition.inject)
            if fact is None:
                continue
            learned = self._last(self.learned.get((owner, fact)), came_up)
            if learned is None and kind == "decision":  # its own decision: known when taken, no message
                learned = self._last(self.taken.get(fact), came_up)
            if learned is not None and (best is None or learned >= best[0]):
                best = (learned, kind, fact)
        if best is None:
            return None, None
        origin = self.origin(best[1], best[2], came_up)
        return origin if origin is not None else (None, None)
