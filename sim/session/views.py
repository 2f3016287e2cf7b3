"""What each seat of a class may see, computed from the run (never by the client).

Information asymmetry is the point of the exercise, so it is enforced here, in
the engine's process: a role seat's view is built only from what its agency has
learned through the modelled channels (`Simulation.inbox`), its own decision
points and its own messages. Nothing else of the world goes into it: no MSEL,
no expected actions, no other role's pending decisions, no traffic between
other agencies. The public display gets what the public sees (injects marked
public, the clock, movement progress); the facilitator gets everything.

Views are plain JSON-ready dicts. `role_events` turns two successive role views
into the list of things that happened at that seat, so a seat's event feed can
never hold more than its view.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sim.events import Kind, SimEvent
from sim.scenario.schema import Inject, Scenario
from sim.simulation import Simulation, WorldView

PUBLIC_METHODS = ("news", "press", "media", "broadcast", "bulletin", "tv", "radio")
"""Inject methods that reach the public unless the inject says `public: false`."""


def is_public(inject: Inject) -> bool:
    """Whether an inject appears on the class's public display."""
    if inject.public is not None:
        return inject.public
    method = inject.method.lower()
    return any(word in method for word in PUBLIC_METHODS)


def clock(sim: Simulation, *, paused: bool, minutes_per_second: float, held_for: frozenset[str] = frozenset()) -> dict:
    """The session clock as every seat sees it."""
    return {
        "now": sim.now,
        "label": sim.clock.label(sim.now),
        "calendar": sim.clock.calendar(sim.now).strftime("%Y-%m-%d %H:%M"),
        "paused": paused,
        "minutes_per_second": minutes_per_second,
        "held_for": sorted(held_for),
        "finished": sim.finished,
    }


def _option_rows(scenario: Scenario, decision_id: str) -> list[dict[str, Any]]:
    decision = scenario.decision(decision_id)
    return [{"id": o.id, "label": o.label, "consequence": getattr(o, "consequence", None)} for o in decision.options]


def _fact_row(
    sim: Simulation, messages: dict[str, Any], when: float, subject: str, ident: str, option: str | None
) -> dict[str, Any]:
    """One inbox line: what the fact says and who it came from, nothing the scenario hides."""
    scenario = sim.scenario
    row: dict[str, Any] = {"time": when, "label": sim.clock.label(when), "subject": subject, "id": ident}
    if subject == "inject":
        inject = next((i for i in scenario.injects if i.id == ident), None)
        if inject is None:  # an ad-hoc inject: its synopsis is in the recorded input
            inject = _adhoc_injects(sim).get(ident)
        row.update(
            {
                "from": inject.from_ if inject else "simcell",
                "method": inject.method if inject else "",
                "text": inject.synopsis if inject else ident,
            }
        )
    elif subject == "decision":
        decision = scenario.decision(ident)
        label = next((o.label for o in decision.options if o.id == option), option)
        row.update({"from": decision.owner, "option": option, "text": f"{decision.title} -> {label}"})
    elif subject == "message":
        message = messages[ident]
        row.update({"from": message.sender, "text": message.text})
    return row


def _adhoc_injects(sim: Simulation) -> dict[str, Inject]:
    found = {}
    for item in sim.inputs:
        if item.kind == "inject":
            inject = Inject.model_validate(item.payload)
            found[inject.id] = inject
    return found


def role_view(sim: Simulation, role: str, world: WorldView, clock_view: dict) -> dict[str, Any]:
    """Everything the player of `role` may see, and nothing more."""
    agency = sim.scenario.agency(role)
    messages = {m.id: m for m in sim.messages()}
    inbox = [_fact_row(sim, messages, *row) for row in sim.inbox(role)]
    mine = [d for d in world.decisions if d.owner == role]
    pending = [
        {
            "id": d.id,
            "title": d.title,
            "came_up_at": d.came_up_at,
            "options": _option_rows(sim.scenario, d.id),
        }
        for d in mine
        if d.status == "pending"
    ]
    decided = [
        {
            "id": d.id,
            "title": d.title,
            "status": d.status,
            "option": d.option,
            "label": dict(d.options).get(d.option or "", d.option),
            "came_up_at": d.came_up_at,
            "taken_at": d.taken_at,
            "by": d.by,
        }
        for d in mine
        if d.status in ("taken", "skipped")
    ]
    sent = [
        {"id": m.id, "to": m.to, "text": m.text, "sent_at": m.sent_at, "label": sim.clock.label(m.sent_at)}
        for m in messages.values()
        if m.sender == role
    ]
    notes = [
        {"time": i.time, "text": i.payload["text"]}
        for i in sim.inputs
        if i.kind == "note" and i.payload.get("author") == role
    ]
    return {
        "seat": "role",
        "role": role,
        "agency": {"id": agency.id, "name": agency.name, "role": agency.role},
        "brief": agency.brief,
        "clock": clock_view,
        "inbox": inbox,
        "pending": pending,
        "decisions": decided,
        "sent": sent,
        "notes": notes,
        "directory": [{"id": a.id, "name": a.name, "role": a.role} for a in sim.scenario.agencies if a.id != role],
    }


def role_events(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """What happened at a role seat between two of its views (its event feed)."""
    before = before or {"inbox": [], "pending": [], "decisions": [], "sent": []}
    events: list[dict[str, Any]] = []
    known = {(r["subject"], r["id"]) for r in before["inbox"]}
    for row in after["inbox"]:
        if (row["subject"], row["id"]) not in known:
            events.append({"kind": "learned", **row})
    was_pending = {d["id"] for d in before["pending"]}
    for decision in after["pending"]:
        if decision["id"] not in was_pending:
            events.append({"kind": "decision_pending", "decision": decision["id"], "title": decision["title"]})
    was_decided = {d["id"] for d in before["decisions"]}
    for decision in after["decisions"]:
        if decision["id"] not in was_decided:
            events.append(
                {
                    "kind": "decision_taken" if decision["status"] == "taken" else "decision_skipped",
                    "decision": decision["id"],
                    "option": decision["option"],
                    "label": decision["label"],
                    "by": decision["by"],
                }
            )
    was_sent = {m["id"] for m in before["sent"]}
    for message in after["sent"]:
        if message["id"] not in was_sent:
            events.append({"kind": "message_sent", "to": message["to"], "text": message["text"]})
    return events


def news(sim: Simulation, events: list[SimEvent] | tuple[SimEvent, ...] | None = None) -> list[dict[str, Any]]:
    """Public injects fired (in `events`, default the whole log) as news items."""
    public = {i.id: is_public(i) for i in sim.scenario.injects}
    methods = {i.id: i.method for i in sim.scenario.injects}
    adhoc = None
    items = []
    for event in sim.events if events is None else events:
        if event.kind is not Kind.inject_fired:
            continue
        ident = event.data.get("inject")
        if ident not in public:
            adhoc = adhoc if adhoc is not None else _adhoc_injects(sim)
            inject = adhoc.get(ident)
            shown, method = (is_public(inject), inject.method) if inject else (False, "")
        else:
            shown, method = public[ident], methods[ident]
        if shown:
            items.append(
                {
                    "time": event.time,
                    "label": sim.clock.label(event.time),
                    "method": method,
                    "text": event.data["synopsis"],
                }
            )
    return items


def display_view(sim: Simulation, world: WorldView, clock_view: dict) -> dict[str, Any]:
    """The projector: the situation as the public sees it. Never expected actions or
    pending decisions."""
    return {
        "seat": "display",
        "title": sim.scenario.scenario.title,
        "clock": clock_view,
        "news": news(sim),
        "areas": _areas(sim),
    }


def _areas(sim: Simulation) -> list[dict[str, Any]] | None:
    """Each danger area of a movement network as the public would hear it: people safe, caught
    and still in danger, and when the danger arrives; None without a movement network."""
    if sim.scenario.movement is None:
        return None
    from sim.analysis.areas import area_progress

    return [
        {
            "id": area.id,
            "title": area.title,
            "population": area.population,
            "safe": area.safe,
            "exposed": area.exposed,
            "in_danger": area.in_danger,
            "deadline": area.deadline,
            "deadline_label": None if area.deadline is None else sim.clock.label(area.deadline),
            "reached": area.reached or (area.deadline is not None and area.deadline <= sim.now),
            "threatened": area.threatened,
            "started": area.started is not None,
            "done": area.finished is not None,
        }
        for area in area_progress(sim.scenario, sim.events)
    ]


_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """A frozen view as JSON-ready data: like `dataclasses.asdict` without its deep copies
    (the views are immutable already), several times faster on a big world."""
    kind = type(value)
    if dataclasses.is_dataclass(kind):
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
        return {name: plain(getattr(value, name)) for name in names}
    if kind is tuple or kind is list:
        return [plain(item) for item in value]
    if kind is dict:
        return {key: plain(item) for key, item in value.items()}
    return value


def facilitator_view(sim: Simulation, world: WorldView, clock_view: dict, extra: dict | None = None) -> dict[str, Any]:
    """Everything: the world, the MSEL with expected actions, every role's decisions and messages."""
    return {
        "seat": "facilitator",
        "title": sim.scenario.scenario.title,
        "clock": clock_view,
        "world": plain(world),
        "messages": [plain(m) for m in sim.messages()],
        "library": [
            {
                "id": i.id,
                "synopsis": i.synopsis,
                "to": list(i.to),
                "method": i.method,
                "on_demand": i.on_demand,
                "expected_action": i.expected_action,
                "public": is_public(i),
            }
            for i in sim.scenario.injects
        ],
        "roles": [{"id": a.id, "name": a.name, "role": a.role} for a in sim.scenario.agencies if a.role],
        "human_roles": sorted(sim.human_roles),
        **(extra or {}),
    }


def facilitator_events(events: list[SimEvent] | tuple[SimEvent, ...]) -> list[dict[str, Any]]:
    return [e.to_dict() for e in events]


def display_events(sim: Simulation, events: list[SimEvent] | tuple[SimEvent, ...]) -> list[dict[str, Any]]:
    """Public happenings: news items, and movement starting or completing."""
    items = [{"kind": "news", **item} for item in news(sim, events)]
    for event in events:
        if event.kind is Kind.movement_started:
            items.append({"kind": "movement_started", "time": event.time, "place": event.source})
        elif event.kind is Kind.movement_completed:
            items.append(
                {
                    "kind": "movement_completed",
                    "time": event.time,
                    "people": event.data.get("moved"),
                    "exposed": event.data.get("exposed"),
                }
            )
    return items
