"""Plain-text descriptions of engine records for the console (no Textual here)."""

from __future__ import annotations

from typing import Any

from sim.events import Kind, SimEvent
from sim.scenario.schema import Scenario
from sim.text import duration_text


def short_label(label: str) -> str:
    """`D+1 06:00` stays as is; kept as a hook for narrower renderings."""
    return label


def fact_text(scenario: Scenario, fact: str, option: str | None = None) -> str:
    """What a fact id means: an inject's synopsis or a decision's title and outcome."""
    try:
        decision = scenario.decision(fact)
    except StopIteration:
        decision = None
    if decision is not None:
        label = next((o.label for o in decision.options if o.id == option), option)
        return f"{decision.title} -> {label}" if label else decision.title
    try:
        return scenario.inject(fact).synopsis
    except StopIteration:
        return fact


MODE_WORDS = {"walk": "on foot", "car": "by car", "bus": "by bus", "rail": "by rail", "air": "by air", "sea": "by sea"}
"""How a movement link's mode reads in the event log."""


def leg_name(scenario: Scenario, ident: str) -> str:
    """A movement network place's or link's title (`Shiroyama hill (26 m)`), else its id."""
    movement = scenario.movement
    if movement is None:
        return ident
    named = {p.id: p.title for p in movement.places} | {link.id: link.title for link in movement.links}
    return named.get(ident) or ident


def agency_name(scenario: Scenario, agency_id: str | None) -> str:
    """`Scenario.agency_name`, with nothing for no agency (a log line leaves the place empty)."""
    return "" if agency_id is None else scenario.agency_name(agency_id)


def describe(event: SimEvent, scenario: Scenario) -> str:
    """One line for the event log."""
    d: dict[str, Any] = event.data
    k = event.kind
    if k is Kind.run_started:
        humans = ", ".join(d.get("humans") or []) or "none"
        return f"Run started: seed {d.get('seed')}, human roles: {humans}"
    if k is Kind.inject_fired:
        how = " (fired by hand)" if d.get("manual") else ""
        return f"INJECT {d.get('inject')}{how} to {agency_names(scenario, d.get('to'))}: {d.get('synopsis', '')}"
    if k is Kind.message_sent:
        return f"{event.source} -> {event.target}: sends {d.get('fact')}"
    if k is Kind.message_lost:
        return f"{event.source} -> {event.target}: {d.get('fact')} lost, retry in {d.get('retry_after')} min"
    if k is Kind.message_delivered:
        return f"{event.source} -> {event.target}: {d.get('fact')} delivered"
    if k is Kind.message_handled:
        relay = " (relayed)" if d.get("relay") else ""
        return f"{agency_name(scenario, event.source)} handled {d.get('fact')}{relay}"
    if k is Kind.decision_pending:
        who = "a PERSON" if d.get("human") else "the model"
        return f"DECISION UP for {agency_name(scenario, event.source)} ({who}): {d.get('title', event.target)}"
    if k is Kind.decision_taken:
        return f"DECIDED {event.target}: {d.get('label', d.get('option'))} (by {d.get('by')}, waited {duration_text(float(d.get('waited') or 0) / 60)})"
    if k is Kind.decision_skipped:
        return f"Not required: {event.target}"
    if k is Kind.note_added:
        return f"NOTE [{event.source}] {d.get('text', '')}"
    if k is Kind.state_changed:
        before = "" if d.get("previous") is None else f"{_plain(d['previous'])} -> "
        return f"STATE {event.target}: {before}{_plain(d.get('value'))} ({event.source})"
    if k is Kind.movement_started:
        return f"MOVEMENT STARTS: {scenario.area_name(event.source)}, {d.get('people', 0):,} people"
    if k is Kind.leg_closed:
        legs = ", ".join(leg_name(scenario, leg) for leg in d.get("legs") or []) or "nothing"
        until = "" if d.get("hours") is None else f" for {duration_text(float(d['hours']))}"
        return f"CLOSED ({d.get('mode')}){until}: {legs}"
    if k is Kind.leg_reopened:
        return f"Reopened: {', '.join(leg_name(scenario, leg) for leg in d.get('legs') or [])}"
    if k is Kind.movement_changed:
        areas = ", ".join(scenario.area_name(a) for a in d.get("areas") or []) or "every area"
        until = "" if d.get("hours") is None else f" for {duration_text(float(d['hours']))}"
        return f"MOVEMENT: {d.get('action', 'change')} ordered{until} for {areas}"
    if k is Kind.hazard_occurred:
        return f"HAZARD: {d.get('title') or event.target} (occurrence {d.get('occurrence')})"
    if k is Kind.cohort_departed:
        vehicle = f" (vehicle {d['vehicle']})" if d.get("vehicle") is not None else ""
        return (
            f"{event.source}: {d.get('people', 0):,} people leave {scenario.place_name(d.get('origin'))} "
            f"{MODE_WORDS.get(str(d.get('mode')), 'by ' + str(d.get('mode')))} "
            f"for {scenario.place_name(event.target)}{vehicle}"
        )
    if k is Kind.cohort_arrived:
        return f"SAFE: {d.get('people', 0):,} people of {event.source} at {scenario.place_name(event.target)}"
    if k is Kind.people_exposed:
        return (
            f"CAUGHT in {scenario.area_name(event.target)}: {d.get('people', 0):,} people of {event.source} "
            f"({d.get('at_home', 0):,} had not left, {d.get('on_the_way', 0):,} on the way)"
        )
    if k is Kind.movement_completed:
        return (
            f"MOVEMENT OVER: {d.get('moved', 0):,} of {d.get('population', 0):,} people safe, "
            f"{d.get('exposed', 0):,} caught"
        )
    if k is Kind.told:
        return f"TOLD {agency_names(scenario, d.get('to'))}: {d.get('synopsis', '')} ({cause_text(event.source)})"
    if k is Kind.decision_reopened:
        return (
            f"DECISION DUE AGAIN for {agency_name(scenario, event.source)}: {event.target} "
            f"(taken {d.get('times', 0)} time(s) so far)"
        )
    if k is Kind.channel_changed:
        return f"LINES {_channel_change(scenario, d)} ({cause_text(event.source)})"
    if k is Kind.agency_changed:
        return f"AGENCY {agency_name(scenario, event.target)}: {_agency_change(d)} ({cause_text(event.source)})"
    if k is Kind.inject_cancelled:
        return f"Inject {event.target} withdrawn ({cause_text(event.source)})"
    if k is Kind.run_finished:
        return "Run finished"
    return generic(event)


def generic(event: SimEvent) -> str:
    """The last resort for a kind `describe` has no sentence for: its fields as key=value
    (a test keeps every kind of `sim.events.Kind` from falling here)."""
    rest = ", ".join(f"{key}={_plain(value)}" for key, value in event.data.items())
    target = f" -> {event.target}" if event.target else ""
    return f"{event.kind.value} {event.source}{target} {rest}".strip()


def cause_text(cause: str) -> str:
    """An effect's cause as a person reads it: `hazard:incursion` -> `after hazard incursion`,
    `decision:D=O` -> `after decision D -> O`."""
    kind, _, what = cause.partition(":")
    if not what:
        return cause
    return f"after {kind} {what.replace('=', ' -> ')}"


def agency_names(scenario: Scenario, ids: Any) -> str:
    """Agency ids as their names, comma separated."""
    return ", ".join(agency_name(scenario, ident) for ident in ids or []) or "nobody"


def _channel_change(scenario: Scenario, d: dict[str, Any]) -> str:
    which = ", ".join([*(d.get("channels") or []), *(agency_name(scenario, a) for a in d.get("agencies") or [])])
    if d.get("change") == "restore":
        return f"restored: {which or 'all'}"
    parts = []
    if d.get("latency_factor") is not None:
        parts.append(f"{_plain(d['latency_factor'])}x as slow")
    if d.get("reliability") is not None:
        parts.append(f"{float(d['reliability']):.0%} of tries get through")
    return f"{which or 'all'}: {', '.join(parts) or 'changed'}"


def _agency_change(d: dict[str, Any]) -> str:
    if d.get("change") == "restore":
        return "back to normal staff and hours"
    hours = d.get("hours")
    opening = "around the clock" if not hours else f"open {_hhmm(hours[0])}-{_hhmm(hours[1])}"
    return f"staff {d.get('staff', '?')}, {opening}"


def _hhmm(minutes: Any) -> str:
    minutes = int(minutes)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _plain(value: Any) -> str:
    """A payload value for a person: floats to four significant figures (0.55, not 0.5499999999999999)."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def involves(event: SimEvent, agency_id: str) -> bool:
    """Whether an event is about an agency (for the log filter)."""
    if event.source == agency_id or event.target == agency_id:
        return True
    return event.kind is Kind.inject_fired and agency_id in event.data.get("to", ())


def hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"
