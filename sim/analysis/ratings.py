"""One rater for decisions: the console debrief and the after-action report both call it.

Pure functions over the event stream and the session's inputs, so a decision
gets the same HSEEP rating (P/S/M/U) wherever it is shown and at whatever time
the record is read. The rules:

* answered with an option that holds the chain back (an option that none of
  the decisions, injects or milestones depending on it accepts, such as a
  defence-operation order "withheld") -> **U** when the MSEL expected the
  decision to be made (`expected` or `expected_within`): the expected action
  was not performed, whatever the timing. Without an expectation it is
  shown, not rated;
* answered on time -> **P**; late, up to `late_factor` (2x) the expected time
  -> **S**; later -> **M**; answered without a time standard -> **P**. The time
  counts from the decision coming up, or, where the scenario gives
  `expected_from`, from when that inject fired or decision was taken;
* came up, never answered -> **U**;
* not required (skip condition held) or never came up -> not rated.

An evaluator's rating (an `evaluation` input, made as an evaluator) replaces
the derived one; nothing written in a note ever does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.text import duration_text

if TYPE_CHECKING:
    from sim.events import SimEvent
    from sim.scenario.schema import Scenario

__all__ = [
    "LATE_FACTOR",
    "RATINGS",
    "DecisionOutcome",
    "Evaluation",
    "Rating",
    "evaluations",
    "holding_options",
    "rate",
    "rate_decision",
    "rate_decisions",
]

RATINGS = {
    "P": "Performed without challenges",
    "S": "Performed with some challenges",
    "M": "Performed with major challenges",
    "U": "Unable to be performed",
}
LATE_FACTOR = 2.0
"""Up to this multiple of the expected time a late answer is S, beyond it M."""


@dataclass(frozen=True, slots=True)
class Rating:
    """A rating ("" when not rated) and why, in one sentence fragment."""

    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An evaluator's rating of one decision or inject (an `evaluation` input)."""

    time: float
    target: str
    rating: str
    evaluator: str
    comment: str = ""


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    """What the event stream says about one decision, and its rating."""

    id: str
    status: str  # "taken" | "skipped" | "pending" | "waiting"
    option: str | None
    label: str | None
    by: str | None
    came_up: float | None
    taken: float | None
    waited: float | None
    """Minutes from coming up to the answer."""
    withheld: bool
    rating: Rating


def holding_options(scenario: Scenario, decision_id: str) -> frozenset[str]:
    """Options of a decision that nothing depending on it accepts (it stops the chain there).

    Only dependents that name the options they accept count (a `requires`
    with `options`, an inject trigger with `options`); an option outside all
    of them withholds the action. A decision nothing restricts holds nothing.
    """
    decision = scenario.decision(decision_id)
    accepted: set[str] = set()
    restricted = False
    for other in scenario.decisions:
        for condition in other.requires:
            if condition.decision == decision_id and condition.options:
                restricted = True
                accepted.update(condition.options)
    for inject in scenario.injects:
        trigger = inject.trigger
        if trigger is not None and trigger.decision == decision_id and trigger.options:
            restricted = True
            accepted.update(trigger.options)
    if not restricted:
        return frozenset()
    return frozenset(o.id for o in decision.options if o.id not in accepted)


def rate_decision(
    status: str,
    waited: float | None,
    expected_within: float | None,
    late_factor: float = LATE_FACTOR,
    *,
    withheld: str | None = None,
    expected: str | None = None,
) -> Rating:
    """P/S/M/U and the reason, from a decision's outcome and timing (minutes).

    `withheld` is the label of the option taken when it holds the chain back.
    """
    if status == "taken" and withheld is not None:
        if expected is None and expected_within is None:
            return Rating("", f"answered '{withheld}' (no expectation written)")
        wanted = expected or "a decision that lets the action go ahead"
        return Rating("U", f"not done: answered '{withheld}'; the MSEL expected: {wanted}")
    if status == "taken":
        if expected_within is None or waited is None:
            return Rating("P", "done (no time standard)")
        took, standard = duration_text(waited / 60), duration_text(expected_within / 60)
        if waited <= expected_within:
            return Rating("P", f"done on time ({took} <= {standard})")
        if waited <= late_factor * expected_within:
            # two durations that read the same (`6.0 h > 6.0 h`) say by how much
            by = f" by {duration_text((waited - expected_within) / 60)}" if took == standard else ""
            return Rating("S", f"late{by} ({took} > {standard})")
        return Rating("M", f"very late ({took} > {late_factor:g} x {standard})")
    if status == "pending":
        return Rating("U", "not done: came up, never answered")
    if status == "skipped":
        return Rating("", "not required (skip condition held)")
    return Rating("", "not reached (its prerequisites never happened)")


def evaluations(inputs: Iterable[Any]) -> dict[str, Evaluation]:
    """The latest evaluator rating per decision or inject id, from the session's inputs.

    Only inputs of kind `evaluation` count (made with the console's rating
    dialog or `Simulation.evaluate`); notes are never read for ratings.
    """
    latest: dict[str, Evaluation] = {}
    for item in inputs:
        if getattr(item, "kind", None) != "evaluation":
            continue
        payload = item.payload
        rating = str(payload.get("rating", ""))
        target = str(payload.get("target", ""))
        if rating in RATINGS and target:
            latest[target] = Evaluation(
                float(item.time),
                target,
                rating,
                str(payload.get("evaluator", "")),
                str(payload.get("comment", "")),
            )
    return latest


def rate(derived: Rating, evaluation: Evaluation | None, label: str = "") -> Rating:
    """The derived rating, or the evaluator's when there is one (saying both)."""
    if evaluation is None:
        return derived
    when = f" at {label}" if label else ""
    comment = f": {evaluation.comment}" if evaluation.comment else ""
    derived_text = f"{derived.value or '-'} {derived.reason}"
    return Rating(
        evaluation.rating,
        f"rated {evaluation.rating} by evaluator {evaluation.evaluator}{when}{comment} (derived: {derived_text})",
    )


def _since_expected_from(
    decision: Any,
    done: SimEvent | None,
    waited: float | None,
    happened: dict[tuple[str, str, str | None], float],
) -> float | None:
    """Minutes the timeliness rating counts: from the decision coming up (`waited`), or,
    with `expected_from`, from the first time that fact happened anywhere."""
    start = decision.expected_from
    if start is None or done is None or str(done.kind) != "decision_taken":
        return waited
    subject, ident = ("decision", start.decision) if start.decision else ("inject", start.inject)
    times = [happened[(subject, ident, o)] for o in (start.options or [None]) if (subject, ident, o) in happened]
    return done.time - min(times) if times else waited


def rate_decisions(
    scenario: Scenario,
    events: Sequence[SimEvent],
    inputs: Iterable[Any] = (),
    *,
    late_factor: float = LATE_FACTOR,
    label=None,
) -> dict[str, DecisionOutcome]:
    """Every decision of the scenario, its outcome so far and its rating (in scenario order).

    `label` turns a minute into the time shown in an evaluator's reason.
    """
    came_up: dict[str, float] = {}
    outcome: dict[str, SimEvent] = {}
    happened: dict[tuple[str, str, str | None], float] = {}  # (subject, id, option) -> first time
    for event in events:
        kind = str(event.kind)
        if kind == "decision_pending" and event.target:
            came_up.setdefault(event.target, event.time)
        elif kind in ("decision_taken", "decision_skipped") and event.target:
            outcome.setdefault(event.target, event)
            came_up.setdefault(event.target, event.time - float(event.data.get("waited", 0.0)))
            if kind == "decision_taken":
                happened.setdefault(("decision", event.target, None), event.time)
                happened.setdefault(("decision", event.target, str(event.data.get("option"))), event.time)
        elif kind == "inject_fired" and event.data.get("inject"):
            happened.setdefault(("inject", str(event.data["inject"]), None), event.time)
    rated_by = evaluations(inputs)
    result: dict[str, DecisionOutcome] = {}
    for decision in scenario.decisions:
        done = outcome.get(decision.id)
        if done is not None:
            status = "taken" if str(done.kind) == "decision_taken" else "skipped"
        elif decision.id in came_up:
            status = "pending"
        else:
            status = "waiting"
        taken = status == "taken" and done is not None
        option = str(done.data.get("option")) if taken else None
        option_label = str(done.data.get("label", option)) if taken else None
        withheld = taken and option in holding_options(scenario, decision.id)
        waited = float(done.data.get("waited", 0.0)) if done is not None else None
        counted = _since_expected_from(decision, done, waited, happened)
        derived = rate_decision(
            status,
            counted,
            decision.expected_within,
            late_factor,
            withheld=option_label if withheld else None,
            expected=decision.expected,
        )
        if counted != waited and derived.value in ("P", "S", "M"):
            start = decision.expected_from
            what = f"decision {start.decision}" if start.decision else f"inject {start.inject}"
            derived = Rating(derived.value, f"{derived.reason}, counted from {what}")
        evaluation = rated_by.get(decision.id)
        when = label(evaluation.time) if evaluation is not None and label is not None else ""
        result[decision.id] = DecisionOutcome(
            decision.id,
            status,
            option,
            option_label,
            str(done.data.get("by")) if done is not None else None,
            came_up.get(decision.id),
            done.time if done is not None else None,
            waited,
            withheld,
            rate(derived, evaluation, when),
        )
    return result
