"""The after-action report and improvement plan (HSEEP AAR/IP) of one session.

Pure functions over a run's record: the scenario, the event stream, the inputs
and the metrics. Nothing here runs the engine (design.md: `sim.analysis` is
engine-free); `ttxsim report` rebuilds the record from the journal first.

Ratings (HSEEP P/S/M/U) are derived, not judged, and the report says how:

* A **decision** is rated by `sim.analysis.ratings`, the one rater the console
  debrief uses too: on time -> **P**; late, up to `late_factor` (2x) the
  expected time -> **S**; later -> **M**; came up but never answered -> **U**;
  answered with an option that withholds what the MSEL expected (a
  defence-operation order "withheld") -> **U**. Without a time standard,
  answered -> **P**. Not required (`skip_if`) and never reached are shown but
  not rated.
* An **inject** with an expected player action is rated from the decisions it
  sets off (those whose `requires` names it): the worst of their ratings.
  Injects not fired are "not played"; fired injects no decision measures are
  left for the evaluator.
* An evaluator sets or overrides a rating only with an `evaluation` input
  (the console's rating dialog, key `e`), recorded in the journal with the
  evaluator's name. Notes never change a rating, whatever they say; every note
  naming a row's id is listed with that row.

Capability (objective) ratings are the worst rating of their rows, a
deliberately conservative summary for the evaluator to revise.

Beside expected versus actual, a table lists each decision a person took (a
played role, or the facilitator overriding): when it came up, when it was taken,
the deliberation, the time since its triggering inject or decision, and its
rating, from `sim.analysis.deliberation`, as the console debrief shows it.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import html
import io
import math
import re
import textwrap
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.analysis import ratings
from sim.analysis.areas import AreaProgress, MovementTimes, area_progress, movement_times
from sim.analysis.curves import safe_curve
from sim.analysis.deliberation import Deliberation, duration, human_deliberations
from sim.analysis.explain import ExplainError, Explanation, critical_path_figure, duration_text, explain
from sim.files import write_atomic
from sim.text import markdown_safe, metric_text, objective_text, spreadsheet_safe

if TYPE_CHECKING:
    from sim.events import SimEvent
    from sim.scenario.schema import Scenario
    from sim.simulation import Input

__all__ = [
    "Aar",
    "PlanItem",
    "Rating",
    "Row",
    "build_aar",
    "improvement_plan_csv",
    "rate_decision",
    "render_html",
    "render_markdown",
    "scenario_metric_rows",
    "write_report",
]

RATINGS = ratings.RATINGS
_ORDER = {"P": 0, "S": 1, "M": 2, "U": 3}
_COLOURS = {"P": "#2e7d32", "S": "#f9a825", "M": "#ef6c00", "U": "#c62828", "": "#9e9e9e"}
DEFAULT_CAPABILITY = "Operational Coordination"
"""HSEEP core capability for decision chains with no inject objective of their own."""

Rating = str  # "P" | "S" | "M" | "U" | "" (not rated)


@dataclass(frozen=True, slots=True)
class Row:
    """One expected-versus-actual line of the AAR."""

    kind: str  # "decision" | "inject"
    id: str
    title: str
    capability: str
    owner: str
    expected: str
    actual: str
    rating: Rating
    reason: str
    came_up: float | None = None
    taken: float | None = None
    waited: float | None = None
    """Minutes from coming up to the answer."""
    expected_within: float | None = None
    by: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One improvement-plan line (HSEEP IP matrix)."""

    capability: str
    issue: str
    corrective_action: str
    element: str
    organisation: str
    poc: str = ""
    start: str = ""
    completion: str = ""


@dataclass(slots=True)
class Aar:
    title: str
    scenario_id: str
    description: str
    start: datetime
    seed: int
    reforms: tuple[str, ...]
    human_roles: tuple[str, ...]
    session: dict[str, Any]
    objectives: list[str]
    capabilities: list[tuple[str, Rating, list[str]]]
    timeline: list[tuple[float, str, str, str]]
    rows: list[Row]
    notes: list[tuple[float, str, str]]
    metrics: dict[str, Any]
    end: float
    plan: list[PlanItem] = field(default_factory=list)
    agency_names: dict[str, str] = field(default_factory=dict)
    series: list[tuple[float, float]] | None = None
    scenario_rows: list[tuple[str, str]] = field(default_factory=list)
    """The scenario's own metrics and objectives as (label, value) rows, in declaration order."""
    critical_path: Explanation | None = None
    """Where the hours of the headline time metric went (`sim.analysis.explain`), None if nothing to explain."""
    seam_names: dict[str, str] = field(default_factory=dict)
    """How each seam of `critical_path` reads (agency, channel, population or link name), by its id."""
    deliberations: list[Deliberation] = field(default_factory=list)
    """Each decision a person took, timed (`sim.analysis.deliberation`, as the console debrief shows it)."""
    areas: list[AreaProgress] = field(default_factory=list)
    """Each danger area of a movement network at the end of the record (`sim.analysis.areas`); none without one."""
    movement: MovementTimes = field(default_factory=lambda: MovementTimes(None, None))
    """When the movement network's first area started to move and when nobody was left in danger."""
    spans_measured: frozenset[tuple[str, str | None]] = frozenset()
    """Event spans the scenario's own metrics time (`spans_measured`): movement times not repeated."""

    def label(self, minutes: float | None) -> str:
        """`D+1 06:00` (calendar day of T+0 is D+0), as the console shows time."""
        if minutes is None:
            return "-"
        when = self.start + timedelta(minutes=minutes)
        day = (when.date() - self.start.date()).days
        return f"D+{day} {when:%H:%M}"

    def owner_names(self, owner: str) -> str:
        """A row's owner (one agency id, or an inject's addressees `a, b`) by the agencies' names."""
        return ", ".join(self.agency_names.get(a.strip(), a.strip()) for a in owner.split(","))


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


def _injects_named(decision) -> list[str]:
    """The injects a decision waits on: in `requires`, `skip_if` or anywhere in its `when:` condition."""
    named = [c.inject for c in [*decision.requires, *decision.skip_if] if c.inject]

    def walk(condition) -> None:
        if condition is None:
            return
        if condition.inject:
            named.append(condition.inject)
        for nested in [*(condition.all_ or []), *(condition.any_ or [])]:
            walk(nested)
        walk(condition.not_)

    walk(getattr(decision, "when", None))
    return list(dict.fromkeys(named))


def rate_decision(
    status: str, waited: float | None, expected_within: float | None, late_factor: float = 2.0
) -> tuple[Rating, str]:
    """P/S/M/U and the reason, from a decision's outcome and timing (minutes); see `sim.analysis.ratings`."""
    rated = ratings.rate_decision(status, waited, expected_within, late_factor)
    return rated.value, rated.reason


def _worst(ratings: Iterable[Rating]) -> Rating:
    rated = [r for r in ratings if r in _ORDER]
    return max(rated, key=_ORDER.__getitem__) if rated else ""


def build_aar(
    scenario: Scenario,
    events: Sequence[SimEvent],
    inputs: Sequence[Input] = (),
    metrics: Mapping[str, Any] | None = None,
    *,
    seed: int = 1,
    reforms: Sequence[str] = (),
    human_roles: Sequence[str] = (),
    session: Mapping[str, Any] | None = None,
    late_factor: float = 2.0,
    end: float | None = None,
) -> Aar:
    """Assemble the AAR from a run's record. `session` adds overview lines (journal path, version...)."""
    metrics = dict(metrics or {})
    meta = scenario.scenario
    names = {a.id: a.name for a in scenario.agencies}
    end = max([e.time for e in events] + ([end] if end is not None else []), default=0.0)
    notes = [(e.time, e.source, str(e.data.get("text", ""))) for e in events if str(e.kind) == "note_added"]
    rated_by = ratings.evaluations(inputs)

    def notes_for(ident: str) -> tuple[str, ...]:
        pattern = re.compile(rf"\b{re.escape(ident)}\b")
        return tuple(f"{_label(meta.start, t)} {a}: {x}" for t, a, x in notes if pattern.search(x))

    # decision outcomes and ratings: the one rater the console debrief uses too
    outcomes = ratings.rate_decisions(
        scenario, events, inputs, late_factor=late_factor, label=lambda t: _label(meta.start, t)
    )
    fired = {}
    for event in events:
        if str(event.kind) == "inject_fired":
            fired.setdefault(event.data.get("inject"), event)

    inject_objective = {i.id: i.objective for i in scenario.injects if i.objective}
    decision_rows: dict[str, Row] = {}
    humans = set(human_roles)
    for decision in scenario.decisions:
        result = outcomes[decision.id]
        status = result.status
        interesting = decision.expected or decision.expected_within is not None or decision.owner in humans
        if not interesting:
            continue
        waited = result.waited
        rating, reason = result.rating.value, result.rating.reason
        capability = next(
            (inject_objective[i] for i in _injects_named(decision) if i in inject_objective),
            DEFAULT_CAPABILITY,
        )
        if status == "taken" and result.taken is not None:
            actual = f"{result.label} at {_label(meta.start, result.taken)}, {duration(waited)} after it came up ({result.by})"
        elif status == "pending" and result.came_up is not None:
            actual = f"came up at {_label(meta.start, result.came_up)}; no answer by {_label(meta.start, end)}"
        elif status == "skipped":
            actual = "not required"
        else:
            actual = "never came up"
        expected = decision.expected or ""
        if decision.expected_within is not None:
            expected = (expected + " " if expected else "") + f"(within {duration(decision.expected_within)})"
        decision_rows[decision.id] = Row(
            "decision",
            decision.id,
            decision.title,
            capability,
            decision.owner,
            expected,
            actual,
            rating,
            reason,
            result.came_up,
            result.taken,
            waited,
            decision.expected_within,
            result.by,
            notes_for(decision.id),
        )

    inject_rows: list[Row] = []
    for inject in scenario.injects:
        if not inject.expected_action:
            continue
        linked = [d for d in scenario.decisions if inject.id in _injects_named(d)]
        event = fired.get(inject.id)
        if event is None:
            rating, reason, actual = "", "not played (not fired)", "not fired"
        else:
            linked_ratings = []
            for decision in linked:
                row = decision_rows.get(decision.id)
                if row is None:
                    linked_rating = outcomes[decision.id].rating
                    linked_ratings.append((decision.title, linked_rating.value, linked_rating.reason))
                else:
                    linked_ratings.append((decision.title, row.rating, row.reason))
            rating = _worst(r for _, r, _ in linked_ratings)
            if linked_ratings:
                reason = "; ".join(f"{d}: {r or '-'} {why}" for d, r, why in linked_ratings)
            else:
                reason = "no modelled decision measures this action: evaluator to rate"
            actual = f"fired at {_label(meta.start, event.time)}" + (" (by hand)" if event.data.get("manual") else "")
        evaluation = rated_by.get(inject.id)
        if evaluation is not None:
            rated = ratings.rate(ratings.Rating(rating, reason), evaluation, _label(meta.start, evaluation.time))
            rating, reason = rated.value, rated.reason
        inject_rows.append(
            Row(
                "inject",
                inject.id,
                inject.synopsis,
                inject.objective or DEFAULT_CAPABILITY,
                ", ".join(inject.to),
                inject.expected_action,
                actual,
                rating,
                reason,
                event.time if event is not None else None,
                notes=notes_for(inject.id),
            )
        )
    rows = sorted(
        [*inject_rows, *decision_rows.values()],
        key=lambda r: (r.came_up if r.came_up is not None else float("inf"), r.kind != "inject", r.id),
    )

    capabilities: dict[str, list[Row]] = {}
    for row in rows:
        capabilities.setdefault(row.capability, []).append(row)
    capability_table = [
        (name, _worst(r.rating for r in group), [_named(_short(r.title), r.id) for r in group])
        for name, group in capabilities.items()
    ]

    timeline: list[tuple[float, str, str, str]] = []
    # Players' messages between roles (`Simulation.message`): ids msg1, msg2, ... in input order.
    said = [i.payload for i in inputs if getattr(i, "kind", None) == "message"]
    messages = {f"msg{n}": payload for n, payload in enumerate(said, 1)}
    merged: dict[tuple[str, str, str], tuple[int, int, int]] = {}  # rows of an area in a minute, see `_area_row`
    repeats, shown = _firing_times(events), set()
    for event in events:
        kind = str(event.kind)
        message = messages.get(str(event.data.get("fact"))) if kind == "message_sent" else None
        if message is not None and (message["from"], message["to"]) == (event.source, event.target):
            timeline.append(
                (
                    event.time,
                    "message",
                    f"to {names.get(event.target or '', event.target)}: {message['text']}",
                    names.get(event.source, event.source),
                )
            )
        if kind == "inject_fired":
            by = "facilitator" if event.data.get("manual") else "MSEL"
            key = (str(event.data.get("inject")), by)
            if key not in shown:
                shown.add(key)
                times = repeats[key]
                text = _named(str(event.data.get("synopsis", "")), str(event.data.get("inject")))
                timeline.append((event.time, "inject", text + _repeated(times, meta.start), by))
        elif kind == "decision_taken":
            timeline.append(
                (
                    event.time,
                    "decision",
                    _named(f"{scenario.decision_title(event.target)} -> {event.data.get('label')}", str(event.target)),
                    str(event.data.get("by")),
                )
            )
        elif kind == "decision_pending" and event.data.get("human"):
            timeline.append(
                (
                    event.time,
                    "pending",
                    _named(scenario.decision_title(event.target), str(event.target)),
                    names.get(event.source, event.source),
                )
            )
        elif kind == "note_added":
            timeline.append((event.time, "note", str(event.data.get("text", "")), event.source))
        elif kind in ("movement_started", "people_exposed"):
            _area_row(timeline, merged, event, scenario, _label(meta.start, event.time))
        elif kind == "movement_completed":
            timeline.append((event.time, "movement", _completed_text(event.data), "-"))

    # people start to move because of what happened that minute: the inject or decision reads first
    timeline.sort(key=lambda row: (math.floor(row[0]), row[1] in ("movement", "danger")))

    path = _critical_path(scenario, events)
    aar = Aar(
        title=meta.title,
        scenario_id=meta.id,
        description=meta.description,
        start=meta.start,
        seed=seed,
        reforms=tuple(reforms),
        human_roles=tuple(human_roles),
        session=dict(session or {}),
        objectives=list(meta.objectives),
        capabilities=capability_table,
        timeline=timeline,
        rows=rows,
        notes=notes,
        metrics=metrics,
        end=end,
        agency_names=names,
        series=_series(scenario, events),
        scenario_rows=scenario_metric_rows(scenario, metrics),
        critical_path=path,
        seam_names={s.seam: _seam_name(scenario, s.seam) for s in (path.segments if path else ())},
        areas=area_progress(scenario, events),
        movement=movement_times(events),
        spans_measured=spans_measured(scenario),
        deliberations=human_deliberations(
            scenario, events, inputs, late_factor=late_factor, label=lambda t: _label(meta.start, t)
        ),
    )
    aar.plan = _plan(aar)
    return aar


def _named(name: str, ident: str) -> str:
    """A name with its id beside it for the analyst: `Situation assessment (situation_assessment)`;
    the name alone when it is the id."""
    return name if not ident or name == ident else f"{name} ({ident})"


def _short(text: str, limit: int = 60) -> str:
    """`text` cut at a word to about `limit` characters (a long inject synopsis in a list of items)."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


SEAM_NAMES = {"simcell": "Exercise control (MSEL)", "model": "The model (not explained)", "scenario": "Scenario script"}
"""Seams of a critical path that are no thing of the scenario (`sim.analysis.explain`)."""


def _seam_name(scenario: Scenario, seam: str) -> str:
    """How a seam of the critical path reads: the scenario's name for it, a hop `a->b` between
    agencies as `A -> B`, the exercise control and the model in words."""
    if seam in SEAM_NAMES:
        return SEAM_NAMES[seam]
    if "->" in seam and scenario.name_of(seam) == seam:
        return " -> ".join(scenario.name_of(part) for part in seam.split("->"))
    return scenario.name_of(seam)


def _firing_times(events: Sequence[SimEvent]) -> dict[tuple[str, str], list[float]]:
    """When each inject fired, by (inject, who fired it: MSEL or facilitator), in time order. An inject
    a hazard fires again and again (an airspace closure every few hours) is one timeline row, not 27."""
    times: dict[tuple[str, str], list[float]] = {}
    for event in events:
        if str(event.kind) == "inject_fired":
            by = "facilitator" if event.data.get("manual") else "MSEL"
            times.setdefault((str(event.data.get("inject")), by), []).append(event.time)
    return times


def _repeated(times: Sequence[float], start: datetime) -> str:
    """` — 27 times, D+4 12:04 to D+20 20:23` for an inject that fired more than once, else nothing."""
    if len(times) < 2:
        return ""
    return f" — {len(times)} times, {_label(start, times[0])} to {_label(start, times[-1])}"


def _label(start: datetime, minutes: float) -> str:
    when = start + timedelta(minutes=minutes)
    return f"D+{(when.date() - start.date()).days} {when:%H:%M}"


def _area_row(
    timeline: list[tuple[float, str, str, str]],
    merged: dict[tuple[str, str, str], tuple[int, int, int]],
    event: SimEvent,
    scenario: Scenario,
    when: str,
) -> None:
    """One timeline row per area, kind and minute: `Saga harbour district: 2,508 people start to move`,
    `Saga harbour district: the danger arrives; 2,496 people caught (378 still at home)`.

    Each population of an area has its own `movement_started` and `people_exposed`; rows of the same
    area in the same minute are merged, their people added up (`merged`: (minute, kind, area) ->
    (its timeline row, people, people still at home))."""
    kind = str(event.kind)
    area = str(event.source if kind == "movement_started" else event.target)
    key = (when, kind, area)
    row, people, at_home = merged.get(key, (len(timeline), 0, 0))
    people += int(event.data.get("people") or 0)
    at_home += int(event.data.get("at_home") or 0)
    name = scenario.area_name(area)
    if kind == "movement_started":
        text, label = f"{name}: {people:,} people start to move", "movement"
    else:
        home = f" ({at_home:,} still at home)" if at_home else ""
        text, label = f"{name}: the danger arrives; {people:,} people caught{home}", "danger"
    if row == len(timeline):
        timeline.append((event.time, label, text, "-"))
    else:
        timeline[row] = (timeline[row][0], label, text, "-")
    merged[key] = (row, people, at_home)


def _completed_text(data: Mapping[str, Any]) -> str:
    """`Movement complete: 120,212 of 120,212 people safe, none caught, 163.2 h after movement started`."""
    caught = int(data.get("exposed") or 0)
    text = (
        f"Movement complete: {int(data.get('moved') or 0):,} of {int(data.get('population') or 0):,} people safe, "
        + (f"{caught:,} caught" if caught else "none caught")
    )
    if data.get("hours") is not None:
        text += f", {metric_text('span', float(data['hours']))} after movement started"
    return text


def _critical_path(scenario: Scenario, events: Sequence[SimEvent]) -> Explanation | None:
    """The headline time metric split along its critical path, or None when the record has none."""
    try:
        return explain(scenario, events)
    except ExplainError:
        return None


def _series(scenario: Scenario, events: Sequence[SimEvent]) -> list[tuple[float, float]] | None:
    """The evacuation curve as (hours after T+0, people safe), from the movement network's
    `cohort_arrived` events (`sim.analysis.curves`); starts at (0, 0), None while nobody is safe."""
    curve = safe_curve(scenario, events)
    if not curve.points:
        return None
    return [(0.0, 0.0), *((minute / 60.0, float(total)) for minute, total in curve.points)]


_ELEMENT = {"decision": "Planning", "inject": "Organization"}


def _plan(aar: Aar) -> list[PlanItem]:
    items = []
    for row in aar.rows:
        if row.rating not in ("S", "M", "U"):
            continue
        owner = aar.owner_names(row.owner)
        if row.kind == "decision":
            if row.rating == "U":
                issue = f"'{row.title}' came up but was not answered before the end of play."
                action = (
                    f"Assign and rehearse the decision '{row.title}' at {owner}; pre-draft the options and the "
                    f"authority to decide by telephone or circulated document."
                )
            else:
                issue = (
                    f"'{row.title}' took {duration(row.waited)} against an expected {duration(row.expected_within)}."
                )
                action = (
                    f"Shorten the time to decide '{row.title}' below {duration(row.expected_within)}: standing "
                    f"procedure, delegated authority or a pre-agreed trigger at {owner}."
                )
        else:
            if not row.reason.startswith(("rated", "no modelled")):
                continue  # rated from its decisions, which have their own plan items
            issue = f"Inject '{row.title}' ({row.id}, {row.capability}): expected '{row.expected}' - {row.reason}."
            action = f"Review the procedures behind: {row.expected}"
        if row.notes:
            issue += " Observer: " + " | ".join(row.notes)
        items.append(PlanItem(row.capability, issue, action, _ELEMENT[row.kind], owner))
    return items


# ---------------------------------------------------------------------------
# Plots (matplotlib, imported only here)
# ---------------------------------------------------------------------------


def _by_seam_name(aar: Aar) -> Explanation:
    """The critical path with its seams named for the figure's rows, wrapped and cut short so the
    plot keeps its width (full names and ids stay in the table beside it). Two seams whose short
    names agree keep their ids, as the figure would otherwise add their hours up in one row."""
    path = aar.critical_path
    assert path is not None
    short = {seam: _figure_label(aar.seam_names.get(seam, seam)) for seam in {s.seam for s in path.segments}}
    clashes = {label for label in short.values() if list(short.values()).count(label) > 1}
    labels = {seam: f"{label} ({seam})" if label in clashes else label for seam, label in short.items()}
    segments = tuple(dataclasses.replace(s, seam=labels[s.seam]) for s in path.segments)
    return dataclasses.replace(path, segments=segments)


def _figure_label(name: str) -> str:
    """A figure's row label: at most two lines of about 34 characters."""
    return textwrap.fill(name, 34, max_lines=2, placeholder="…")


def _figures(aar: Aar) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.analysis.fonts import use_figure_fonts

    figures: dict[str, Any] = {}
    use_figure_fonts()
    plt.rcParams.update({"font.size": 9, "svg.fonttype": "none", "axes.spines.top": False, "axes.spines.right": False})
    per, unit = _axis_unit(aar)
    timed = [r for r in aar.rows if r.kind == "decision" and r.came_up is not None]
    if timed:
        timed = sorted(timed, key=lambda r: r.came_up or 0.0)
        fig, ax = plt.subplots(figsize=(8.5, 0.32 * len(timed) + 1.3))
        for y, row in enumerate(timed):
            start = (row.came_up or 0.0) / per
            stop = (row.taken if row.taken is not None else aar.end) / per
            ax.barh(
                y,
                max(stop - start, 3.0 / per),
                left=start,
                color=_COLOURS[row.rating],
                height=0.6,
                hatch=None if row.taken is not None else "//",
                edgecolor="white",
            )
            if row.expected_within is not None:
                ax.plot([start + row.expected_within / per] * 2, [y - 0.4, y + 0.4], color="black", lw=1.2)
        ax.set_yticks(range(len(timed)), [_short(r.title, 48).replace("$", r"\$") for r in timed])
        ax.invert_yaxis()
        ax.set_xlabel(f"{unit} after T+0 (bar: came up -> answered; tick: expected by)")
        ax.set_title("Decision timeline")
        fig.tight_layout()
        figures["decision_timeline"] = fig

        fig, ax = plt.subplots(figsize=(8.5, 0.32 * len(timed) + 1.3))
        for y, row in enumerate(timed):
            waited = row.waited if row.waited is not None else aar.end - (row.came_up or 0.0)
            ax.barh(y, waited / per, color=_COLOURS[row.rating], height=0.6)
            if row.expected_within is not None:
                ax.plot([row.expected_within / per] * 2, [y - 0.4, y + 0.4], color="black", lw=1.2)
            ax.text(waited / per, y, f" {duration(waited)} {row.rating}", va="center", fontsize=8)
        ax.set_yticks(range(len(timed)), [_short(r.title, 48).replace("$", r"\$") for r in timed])
        ax.invert_yaxis()
        ax.set_xlabel(f"{unit} from coming up to the answer (tick: expected within)")
        ax.set_title("Decision latencies")
        fig.tight_layout()
        figures["decision_latencies"] = fig
    if aar.series:
        fig, ax = plt.subplots(figsize=(8.5, 3.2))
        xs, ys = zip(*aar.series, strict=True)
        ax.step([x * 60 / per for x in xs], ys, where="post", color="#1f3a5f", label="safe (reached a safe place)")
        population = sum(area.population for area in aar.areas)
        if population:
            ax.axhline(population, color="#9e9e9e", ls="--", lw=1, label=f"population {population:,}")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.set_xlabel(f"{unit} after T+0")
        ax.set_ylabel("people safe")
        ax.set_title("Evacuation curve")
        fig.tight_layout()
        figures["evacuation_curve"] = fig
    if aar.critical_path is not None and aar.critical_path.segments:
        figure = critical_path_figure(_by_seam_name(aar), aar.title)
        if per == 1.0:
            _hours_axis_in_minutes(figure.axes[0])
        figures["critical_path"] = figure
    return figures


def _hours_axis_in_minutes(ax) -> None:
    """Relabel an x axis drawn in hours (`critical_path_figure`) in whole minutes, for a short play."""
    from matplotlib.ticker import MaxNLocator

    low, high = ax.get_xlim()
    ticks = [t for t in MaxNLocator(nbins=8, steps=[1, 2, 5, 10]).tick_values(low * 60, high * 60) if t >= low * 60]
    ax.set_xticks([t / 60 for t in ticks], [f"{t:g}" for t in ticks])
    ax.set_xlim(low, high)
    ax.set_xlabel(ax.get_xlabel().replace("hours", "minutes"))


MINUTES_AXIS_BELOW = 180.0
"""Plays shorter than this many scenario minutes (a tsunami's two hours) get time axes in minutes."""


def _axis_unit(aar: Aar) -> tuple[float, str]:
    """(scenario minutes per axis unit, its name): minutes for a play under three hours, else hours."""
    return (1.0, "minutes") if aar.end < MINUTES_AXIS_BELOW else (60.0, "hours")


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _plots(aar: Aar, fmt: str) -> dict[str, str]:
    """name -> inline SVG text (fmt 'svg') or base64 PNG (fmt 'png'); none, with a note, without
    matplotlib (a plain install): the report's tables need nothing more, so it is written without them."""
    if not _have_matplotlib():
        warnings.warn(NO_FIGURES, stacklevel=2)
        return {}
    import matplotlib.pyplot as plt

    from sim.analysis.fonts import render

    out = {}
    for name, fig in _figures(aar).items():
        buffer = io.BytesIO()
        render(fig, buffer, format=fmt, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
        data = buffer.getvalue()
        if fmt == "svg":
            text = data.decode("utf-8")
            out[name] = text[text.index("<svg") :]
        else:
            out[name] = base64.b64encode(data).decode("ascii")
    return out


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

_PLOT_TITLES = {
    "evacuation_curve": "Evacuation curve",
    "decision_timeline": "Decision timeline",
    "decision_latencies": "Decision latencies",
    "critical_path": "Where the hours went",
}
_PLOT_CAPTIONS = {
    "evacuation_curve": "Evacuation curve: people of the movement network safe over time (each group reaching "
    "a safe place, from the event stream).",
    "decision_timeline": "Decision timeline. Colours: rating (green P, yellow S, orange M, red U, grey not rated).",
    "decision_latencies": "Decision latencies. Colours: rating (green P, yellow S, orange M, red U, grey not rated).",
    "critical_path": "Where the hours went: the critical path of the headline metric, one row per seam (agency, "
    "channel, population or link), coloured by kind of delay; seams under 1 % of the total are pooled.",
}


def _seam_hours(aar: Aar) -> list[tuple[str, str, str]]:
    """(seam, hours, share of the metric) of the critical path, the costliest first."""
    path = aar.critical_path
    if path is None or not path.value_hours:
        return []
    return [
        (_named(aar.seam_names.get(seam, seam), seam), duration_text(hours), f"{100 * hours / path.value_hours:.0f} %")
        for seam, hours in path.by_seam()
    ]


def _overview(aar: Aar) -> list[tuple[str, str]]:
    lines = [
        ("Exercise name", aar.title),
        ("Scenario", aar.scenario_id),
        ("Scope", aar.description),
        ("STARTEX (T+0)", aar.start.strftime("%Y-%m-%d %H:%M %z")),
        ("Play reached", f"{aar.label(aar.end)} ({duration(aar.end)} of scenario time)"),
        ("Seed", str(aar.seed)),
        ("Reforms", ", ".join(aar.reforms) or "none (baseline)"),
        (
            "Roles played by people",
            ", ".join(f"{aar.agency_names.get(r, r)} ({r})" for r in aar.human_roles)
            or "none (modelled decision makers)",
        ),
    ]
    lines += [(key, str(value)) for key, value in aar.session.items()]
    return lines


AREA_HEADING = "People by area"
AREA_HEADERS = (
    "Area",
    "People",
    "Safe",
    "Caught by the danger",
    "Still in danger",
    "Movement started",
    "Nobody left in danger",
    "Danger arrived",
)
NO_CURVE = "No evacuation curve: nobody reached a safe place in this record."
NO_FIGURES = (
    "This report has no figures: they need matplotlib, which is not installed "
    "(install the analysis extra, e.g. pip install 'ttxsim[analysis]')."
)


def _area_cells(aar: Aar) -> list[tuple[str, ...]]:
    """Each danger area of the movement network: its people, how many were safe, caught or still in
    danger at the end of the record, when it started to move, when its last person was safe or caught,
    and when the danger came (safe + caught + in danger = people)."""
    return [
        (
            area.title,
            f"{area.population:,}",
            f"{area.safe:,}",
            f"{area.exposed:,}",
            f"{area.in_danger:,}",
            "-" if area.started is None else aar.label(area.started),
            "-" if area.finished is None else aar.label(area.finished),
            _danger_cell(aar, area),
        )
        for area in aar.areas
    ]


def _danger_cell(aar: Aar, area: AreaProgress) -> str:
    """When the danger reached an area, `not by the end of play`, or `none declared` for an area that only moves."""
    if not area.threatened:
        return "none declared"
    return aar.label(area.deadline) if area.reached and area.deadline is not None else "not by the end of play"


def _minutes_as_hours(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60.0


MOVEMENT_START = ("movement_started", None)
"""The span `Movement start (after T+0)` measures: (its event, the event it counts from; None is T+0)."""
MOVEMENT_COMPLETE = ("movement_completed", "movement_started")
"""The span `Movement complete (after movement start)` measures."""


def movement_rows(
    movement: Mapping[str, Any] | None, times: MovementTimes, measured: Collection[tuple[str, str | None]] = ()
) -> list[tuple[str, str]]:
    """A movement network's ledger and times as (label, value) rows (none without one): people safe of
    everyone, caught, still in danger, when the movement started and how long it took to complete.
    A time the scenario's own metrics measure already (`measured`, see `spans_measured`) is left to
    them, so a table does not show one figure twice. The console debrief shows the same rows."""
    if not movement or movement.get("population") is None:
        return []
    rows = [
        ("Safe", f"{movement.get('moved', 0):,} of {movement['population']:,}"),
        ("Caught by the danger", f"{movement.get('exposed', 0):,}"),
        ("Still in danger at the end", f"{movement.get('in_danger', 0):,}"),
    ]
    if MOVEMENT_START not in measured:
        rows.append(("Movement start (after T+0)", metric_text("time", _minutes_as_hours(times.started))))
    if MOVEMENT_COMPLETE not in measured:
        rows.append(("Movement complete (after movement start)", metric_text("span", times.completion_hours)))
    return rows


def spans_measured(scenario: Scenario) -> frozenset[tuple[str, str | None]]:
    """(event, counted-from event or None for T+0) of each scenario metric timing the first event of a
    kind, any source and target: what it measures, whatever its title says. A movement time equal to
    one of them (`MOVEMENT_START`, `MOVEMENT_COMPLETE`) is the scenario's metric under another name."""
    spans = set()
    for metric in scenario.metrics:
        if metric.kind != "event_time" or metric.last or metric.target or metric.source:
            continue
        since = metric.since
        if since is not None and (since.target or since.source):
            continue
        spans.add((metric.event, since.event if since is not None else None))
    return frozenset(spans)


def _key_metrics(aar: Aar) -> list[tuple[str, str]]:
    rows = movement_rows(aar.metrics.get("movement"), aar.movement, aar.spans_measured)
    rows += aar.scenario_rows
    rated = [r.rating for r in aar.rows if r.rating]
    rows.append(("Ratings", ", ".join(f"{k}: {rated.count(k)}" for k in "PSMU")))
    return rows


def scenario_metric_rows(scenario: Scenario, metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The scenario's `metrics:` by title, each worded by its kind (`sim.text.metric_text`: `11 min`,
    `4,891`, `yes`, `0.522`), and its `objectives:` as met / not met with the metric's title, value and
    target (`sim.text.objective_text`), from the run's metrics. The console debrief shows the same rows."""
    rows = []
    for metric in scenario.metrics:
        rows.append((metric.title or metric.id, metric_text(metric.kind, metrics.get(metric.id))))
    results = metrics.get("objectives") or {}
    by_id = {m.id: m for m in scenario.metrics}
    for objective in scenario.objectives:
        metric = by_id.get(objective.metric)
        text = objective_text(objective, metric, metrics.get(objective.metric), results.get(objective.id))
        rows.append((f"Objective: {objective.title or objective.id}", text))
    return rows


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP",sans-serif;
color:#1d2733;max-width:1100px;margin:0 auto;padding:24px 28px;background:#fff}
h1{font-size:24px;margin:0 0 2px;color:#1f3a5f}h2{font-size:18px;color:#1f3a5f;border-bottom:2px solid #1f3a5f;
padding-bottom:3px;margin-top:30px}.sub{color:#5a6b7d;margin:0 0 14px}
table{border-collapse:collapse;width:100%;margin:8px 0 12px;font-size:13px}
th,td{border:1px solid #d5dbe2;padding:5px 7px;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}tr:nth-child(even) td{background:#fafbfc}
table.kv th{width:28%}.r{display:inline-block;min-width:22px;text-align:center;font-weight:700;color:#fff;
border-radius:3px;padding:1px 6px}.r-P{background:#2e7d32}.r-S{background:#f9a825;color:#222}
.r-M{background:#ef6c00}.r-U{background:#c62828}.r-{background:#9e9e9e}
.small{font-size:12px;color:#5a6b7d}.nowrap{white-space:nowrap}figure{margin:12px 0}
figure svg{width:100%;max-width:940px;height:auto}figcaption{font-size:12px;color:#5a6b7d}
.banner{background:#1f3a5f;color:#fff;padding:4px 10px;font-size:12px;letter-spacing:.04em;margin-bottom:14px}
@media print{h2{break-after:avoid}tr{break-inside:avoid}}
"""


def _badge(rating: Rating) -> str:
    title = RATINGS.get(rating, "not rated")
    return f'<span class="r r-{rating}" title="{title}">{rating or "–"}</span>'


def render_html(aar: Aar, *, plots: Mapping[str, str] | None = None) -> str:
    """The AAR/IP as one self-contained HTML file (inline CSS and SVG plots)."""
    e = html.escape
    plots = _plots(aar, "svg") if plots is None else plots
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>AAR/IP - {e(aar.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        '<div class="banner">AFTER-ACTION REPORT / IMPROVEMENT PLAN (HSEEP) - generated by ttxsim</div>',
        f"<h1>{e(aar.title)}</h1>",
        f'<p class="sub">After-Action Report / Improvement Plan · scenario <b>{e(aar.scenario_id)}</b> · '
        f"seed {aar.seed} · report generated {datetime.now():%Y-%m-%d %H:%M}</p>",
        "<h2>1. Exercise overview</h2>",
        '<table class="kv">',
    ]
    out += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _overview(aar)]
    out.append("</table>")
    out.append("<h2>2. Objectives and core capabilities</h2>")
    if aar.objectives:
        out.append("<ol>" + "".join(f"<li>{e(o)}</li>" for o in aar.objectives) + "</ol>")
    out.append("<table><tr><th>Objective / core capability</th><th>Rating</th><th>Rated items</th></tr>")
    out += [
        f"<tr><td>{e(name)}</td><td>{_badge(r)}</td><td>{'<br>'.join(e(i) for i in ids)}</td></tr>"
        for name, r, ids in aar.capabilities
    ]
    out.append("</table>")
    out.append("<h2>3. Timeline of injects and decisions</h2>")
    out.append("<table><tr><th>Time</th><th>Type</th><th>What</th><th>By</th></tr>")
    out += [
        f'<tr><td class="nowrap">{aar.label(t)}</td><td>{e(k)}</td><td>{e(w)}</td><td>{e(b)}</td></tr>'
        for t, k, w, b in aar.timeline
    ]
    out.append("</table>")
    out.append("<h2>4. Expected versus actual</h2>")
    out.append(
        '<p class="small">'
        + " · ".join(f"{_badge(k)} {e(v)}" for k, v in RATINGS.items())
        + f" · {_badge('')} not rated. Decisions: on time P, up to 2x the expected time S, later M, "
        "never answered U. Injects: worst rating of the decisions they set off.</p>"
    )
    out.append("<table><tr><th>ID</th><th>Item</th><th>Expected</th><th>Actual</th><th>Rating</th><th>Why</th></tr>")
    for row in aar.rows:
        notes = "".join(f'<div class="small">Note: {e(n)}</div>' for n in row.notes)
        owner = aar.owner_names(row.owner)
        out.append(
            f'<tr><td class="nowrap">{e(row.id)}<div class="small">{e(row.kind)}</div></td>'
            f'<td>{e(row.title)}<div class="small">{e(owner)} · {e(row.capability)}</div></td>'
            f"<td>{e(row.expected)}</td><td>{e(row.actual)}{notes}</td><td>{_badge(row.rating)}</td>"
            f'<td class="small">{e(row.reason)}</td></tr>'
        )
    out.append("</table>")
    out += _deliberation_html(aar)
    out.append("<h2>5. Observer notes</h2>")
    if aar.notes:
        out.append("<table><tr><th>Time</th><th>Author</th><th>Note</th></tr>")
        out += [
            f'<tr><td class="nowrap">{aar.label(t)}</td><td>{e(a)}</td><td>{e(x)}</td></tr>' for t, a, x in aar.notes
        ]
        out.append("</table>")
    else:
        out.append("<p>No notes were recorded.</p>")
    out.append("<h2>6. Metrics and plots</h2>")
    out.append(
        '<table class="kv">'
        + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _key_metrics(aar))
        + "</table>"
    )
    if aar.areas:
        out.append(f"<h3>{AREA_HEADING}</h3>")
        out.append('<table id="areas"><tr>' + "".join(f"<th>{h}</th>" for h in AREA_HEADERS) + "</tr>")
        out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>" for cells in _area_cells(aar)]
        out.append("</table>")
    if not plots and not _have_matplotlib():
        out.append(f'<p class="small">{NO_FIGURES}</p>')
    elif "evacuation_curve" not in plots and aar.areas:
        out.append(f'<p class="small">{NO_CURVE}</p>')
    for name in ("evacuation_curve", "decision_timeline", "decision_latencies"):
        if name in plots:
            out.append(f'<figure id="{name}">{plots[name]}<figcaption>{_PLOT_CAPTIONS[name]}</figcaption></figure>')
    if aar.critical_path is not None:
        path = aar.critical_path
        out.append(f"<h3>Where the hours went: {e(path.title)}, {duration_text(path.value_hours)}</h3>")
        if "critical_path" in plots:
            out.append(
                f'<figure id="critical_path">{plots["critical_path"]}<figcaption>{_PLOT_CAPTIONS["critical_path"]}</figcaption></figure>'
            )
        out.append('<table id="seam-hours"><tr><th>Seam</th><th>Time</th><th>Share</th></tr>')
        out += [f"<tr><td>{e(seam)}</td><td>{h}</td><td>{share}</td></tr>" for seam, h, share in _seam_hours(aar)]
        out.append("</table>")
    out.append("<h2>7. Improvement plan</h2>")
    if aar.plan:
        out.append(
            "<table><tr><th>Core capability</th><th>Issue / area for improvement</th>"
            "<th>Corrective action</th><th>Capability element</th><th>Primary responsible organisation</th>"
            "<th>POC</th><th>Start</th><th>Completion</th></tr>"
        )
        out += [
            f"<tr><td>{e(p.capability)}</td><td>{e(p.issue)}</td><td>{e(p.corrective_action)}</td>"
            f"<td>{e(p.element)}</td><td>{e(p.organisation)}</td><td>{e(p.poc)}</td><td>{e(p.start)}</td>"
            f"<td>{e(p.completion)}</td></tr>"
            for p in aar.plan
        ]
        out.append("</table>")
    else:
        out.append("<p>No item rated S, M or U: nothing to improve on this record.</p>")
    out.append(
        '<p class="small">Ratings are derived from the MSEL and the decision standards of the scenario; '
        "the evaluation team reviews and revises them before the after-action meeting.</p>"
    )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


DELIBERATION_HEADERS = ("Decision", "By", "Came up", "Taken", "Deliberation", "Triggered by", "Since trigger", "Rating")
DELIBERATION_NOTE = (
    "Each decision a person took (a played role, or the facilitator overriding the model): deliberation is "
    "from the moment it came up for them to the answer; since trigger is from the inject or decision that "
    "raised it. The clock ran while they deliberated unless the session paused on decisions."
)


def _deliberation_cells(aar: Aar, row: Deliberation) -> tuple[str, ...]:
    """One person's decision as table cells (plain text; each renderer escapes it)."""
    role = aar.agency_names.get(row.role, row.role)
    by = f"facilitator (for {aar.agency_names.get(row.owner, row.owner)})" if row.overridden else role
    trigger = row.trigger or "-"
    if row.triggered_at is not None:
        trigger += f" at {aar.label(row.triggered_at)}"
    return (
        _named(f"{row.title} -> {row.label}", row.decision),
        by,
        aar.label(row.came_up),
        aar.label(row.taken),
        duration(row.deliberation),
        trigger,
        duration(row.from_trigger),
    )


def _deliberation_html(aar: Aar) -> list[str]:
    e = html.escape
    out = ["<h3>Decisions people took: deliberation and timeliness</h3>"]
    if not aar.deliberations:
        return [*out, "<p>No person took a decision in this record (modelled decision makers only).</p>"]
    out.append(f'<p class="small">{e(DELIBERATION_NOTE)}</p>')
    out.append('<table id="deliberation"><tr>' + "".join(f"<th>{h}</th>" for h in DELIBERATION_HEADERS) + "</tr>")
    for row in aar.deliberations:
        cells = "".join(f'<td class="nowrap">{e(c)}</td>' for c in _deliberation_cells(aar, row))
        out.append(
            f'<tr>{cells}<td>{_badge(row.rating.value)} <span class="small">{e(row.rating.reason)}</span></td></tr>'
        )
    out.append("</table>")
    return out


def _deliberation_markdown(aar: Aar) -> list[str]:
    out = ["", "### Decisions people took: deliberation and timeliness", ""]
    if not aar.deliberations:
        return [*out, "No person took a decision in this record (modelled decision makers only)."]
    out += [
        DELIBERATION_NOTE,
        "",
        "| " + " | ".join(DELIBERATION_HEADERS) + " |",
        "|---" * len(DELIBERATION_HEADERS) + "|",
    ]
    for row in aar.deliberations:
        cells = " | ".join(_md(c) for c in _deliberation_cells(aar, row))
        out.append(f"| {cells} | **{row.rating.value or '-'}** {_md(row.rating.reason)} |")
    return out


def _md(text: object) -> str:
    """A table cell or line of untrusted text: HTML escaped (`sim.text.markdown_safe`), pipes and
    newlines neutralised so it stays in its cell."""
    return markdown_safe(str(text)).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def render_markdown(aar: Aar, *, plots: Mapping[str, str] | None = None) -> str:
    """The AAR/IP as Markdown; plots embedded as base64 PNG data URIs."""
    plots = _plots(aar, "png") if plots is None else plots
    out = [
        f"# {_md(aar.title)}",
        "",
        "*After-Action Report / Improvement Plan (HSEEP), generated by ttxsim*",
        "",
        "## 1. Exercise overview",
        "",
        "| | |",
        "|---|---|",
    ]
    out += [f"| **{_md(k)}** | {_md(v)} |" for k, v in _overview(aar)]
    out += ["", "## 2. Objectives and core capabilities", ""]
    out += [f"{i}. {_md(o)}" for i, o in enumerate(aar.objectives, 1)]
    out += ["", "| Objective / core capability | Rating | Rated items |", "|---|---|---|"]
    out += [f"| {_md(n)} | {r or '-'} | {_md('; '.join(ids))} |" for n, r, ids in aar.capabilities]
    out += ["", "## 3. Timeline of injects and decisions", "", "| Time | Type | What | By |", "|---|---|---|---|"]
    out += [f"| {aar.label(t)} | {_md(k)} | {_md(w)} | {_md(b)} |" for t, k, w, b in aar.timeline]
    out += [
        "",
        "## 4. Expected versus actual",
        "",
        "Ratings: " + "; ".join(f"**{k}** {v}" for k, v in RATINGS.items()) + "; **-** not rated.",
        "",
        "| ID | Item | Expected | Actual | Rating | Why |",
        "|---|---|---|---|---|---|",
    ]
    for row in aar.rows:
        actual = row.actual + "".join(f" (note: {n})" for n in row.notes)
        out.append(
            f"| {_md(row.id)} ({row.kind}) | {_md(row.title)} | {_md(row.expected)} | {_md(actual)} | "
            f"**{row.rating or '-'}** | {_md(row.reason)} |"
        )
    out += _deliberation_markdown(aar)
    out += ["", "## 5. Observer notes", ""]
    if aar.notes:
        out += ["| Time | Author | Note |", "|---|---|---|"]
        out += [f"| {aar.label(t)} | {_md(a)} | {_md(x)} |" for t, a, x in aar.notes]
    else:
        out.append("No notes were recorded.")
    out += ["", "## 6. Metrics and plots", "", "| Metric | Value |", "|---|---|"]
    out += [f"| {_md(k)} | {_md(v)} |" for k, v in _key_metrics(aar)]
    out.append("")
    if aar.areas:
        out += [f"### {AREA_HEADING}", "", "| " + " | ".join(AREA_HEADERS) + " |", "|---" * len(AREA_HEADERS) + "|"]
        out += ["| " + " | ".join(_md(c) for c in cells) + " |" for cells in _area_cells(aar)]
        out.append("")
    if not plots and not _have_matplotlib():
        out += [f"*{NO_FIGURES}*", ""]
    for name in ("evacuation_curve", "decision_timeline", "decision_latencies"):
        if name in plots:
            out += [f"![{_PLOT_TITLES[name]}](data:image/png;base64,{plots[name]})", ""]
    if aar.critical_path is not None:
        path = aar.critical_path
        out += [f"### Where the hours went: {_md(path.title)}, {duration_text(path.value_hours)}", ""]
        if "critical_path" in plots:
            out += [f"![{_PLOT_TITLES['critical_path']}](data:image/png;base64,{plots['critical_path']})", ""]
        out += ["| Seam | Time | Share |", "|---|---|---|"]
        out += [f"| {_md(seam)} | {h} | {share} |" for seam, h, share in _seam_hours(aar)]
        out.append("")
    out += ["## 7. Improvement plan", ""]
    if aar.plan:
        out += [
            "| Core capability | Issue / area for improvement | Corrective action | Capability element | "
            "Primary responsible organisation | POC | Start | Completion |",
            "|---|---|---|---|---|---|---|---|",
        ]
        out += [
            f"| {_md(p.capability)} | {_md(p.issue)} | {_md(p.corrective_action)} | {_md(p.element)} | "
            f"{_md(p.organisation)} | {_md(p.poc)} | {_md(p.start)} | {_md(p.completion)} |"
            for p in aar.plan
        ]
    else:
        out.append("No item rated S, M or U.")
    return "\n".join(out) + "\n"


PLAN_HEADERS = [
    "Core Capability",
    "Issue/Area for Improvement",
    "Corrective Action",
    "Capability Element",
    "Primary Responsible Organization",
    "Organization POC",
    "Start Date",
    "Completion Date",
]


def improvement_plan_csv(aar: Aar) -> str:
    """The improvement plan matrix as CSV (HSEEP IP column order); cells that a spreadsheet
    would run as a formula (`=`, `+`, `-`, `@`...) are neutralised (`sim.text.spreadsheet_safe`)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(PLAN_HEADERS)
    for p in aar.plan:
        cells = [p.capability, p.issue, p.corrective_action, p.element, p.organisation, p.poc, p.start, p.completion]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()


def write_report(aar: Aar, out: str | Path) -> list[Path]:
    """Write `out` (.html/.htm or .md) and `<stem>-improvement-plan.csv` beside it; return both paths.

    Each file is written atomically (`sim.files.write_atomic`): missing folders are created, and a
    full disk raises `OutputError` (one sentence) leaving any previous report intact."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix in (".html", ".htm"):
        text = render_html(aar)
    elif suffix in (".md", ".markdown"):
        text = render_markdown(aar)
    else:
        raise ValueError(f"cannot write {out.name}: use a .html or .md file")
    plan = out.with_name(f"{out.stem}-improvement-plan.csv")
    write_atomic(out, text)
    write_atomic(plan, improvement_plan_csv(aar), encoding="utf-8-sig")
    return [out, plan]
