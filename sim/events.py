"""The event catalogue: every state change in a run is one immutable record.

The console, the journal, the metrics and the after-action report all read this
one stream; nobody reaches into model internals. Records are plain data (JSON
round-trips them) so a run can be stored, compared byte for byte and replayed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What happened. Past tense, one word per kind of change."""

    run_started = "run_started"
    inject_fired = "inject_fired"
    message_sent = "message_sent"
    message_lost = "message_lost"
    message_delivered = "message_delivered"
    message_handled = "message_handled"
    decision_pending = "decision_pending"
    decision_taken = "decision_taken"
    decision_skipped = "decision_skipped"
    decision_reopened = "decision_reopened"
    movement_started = "movement_started"
    leg_closed = "leg_closed"
    leg_reopened = "leg_reopened"
    channel_changed = "channel_changed"
    agency_changed = "agency_changed"
    movement_changed = "movement_changed"
    told = "told"
    cohort_departed = "cohort_departed"
    cohort_arrived = "cohort_arrived"
    people_exposed = "people_exposed"
    movement_completed = "movement_completed"
    state_changed = "state_changed"
    inject_cancelled = "inject_cancelled"
    hazard_occurred = "hazard_occurred"
    note_added = "note_added"
    run_finished = "run_finished"


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What one kind of event says: who `source` and `target` are, and each payload key."""

    summary: str
    source: str
    target: str
    payload: dict[str, str]
    """Payload key -> what it holds. Keys marked "(optional)" appear only in some events."""


CATALOGUE: dict[Kind, KindSpec] = {
    Kind.run_started: KindSpec(
        "A run began (always the first event).",
        "`engine`",
        "none",
        {
            "scenario": "scenario id",
            "seed": "master seed",
            "reforms": "reform ids applied, in order",
            "humans": "agency ids played by people",
            "forced": "(optional) `--decide` choices: decision id -> [option, delay in minutes or null]",
        },
    ),
    Kind.inject_fired: KindSpec(
        "An inject of the MSEL fired (scheduled, triggered, by a condition, by an effect or by hand).",
        "the sender (`simcell` or an agency id)",
        "none",
        {
            "inject": "inject id",
            "to": "agency ids it is sent to",
            "synopsis": "what the players are told",
            "manual": "true if fired by hand (the facilitator)",
        },
    ),
    Kind.message_sent: KindSpec(
        "An agency started sending a fact to another.",
        "the sending agency",
        "the receiving agency",
        {
            "fact": "decision or inject id",
            "option": "the decision's option (null for injects)",
            "via": "agencies it passes through on the way",
            "msg": "message number in this run (ties the message's events together)",
        },
    ),
    Kind.message_lost: KindSpec(
        "One try on an unreliable channel failed; it is resent later.",
        "the agency sending over the line",
        "the agency at the other end",
        {
            "fact": "decision or inject id",
            "retry_after": "minutes until the retry",
            "msg": "message number in this run",
        },
    ),
    Kind.message_delivered: KindSpec(
        "A message crossed one line.",
        "the agency at the sending end",
        "the agency at the receiving end",
        {
            "fact": "decision or inject id",
            "option": "the decision's option (null for injects)",
            "msg": "message number in this run",
            "channel": "id of the channel it crossed (null on the chain of command or an unnamed channel)",
        },
    ),
    Kind.message_handled: KindSpec(
        "An agency handled a message (read it, decided what to do with it, passed it on).",
        "the handling agency",
        "none",
        {
            "fact": "decision, inject or message id",
            "option": "the decision's option (null otherwise)",
            "relay": "true if the agency only passed it on",
            "msg": "message number in this run (null for an inject from outside the agencies)",
            "queued": "minutes it waited for a free desk",
            "closed": "minutes it waited for the agency to open",
        },
    ),
    Kind.decision_pending: KindSpec(
        "A decision came up: its owner knows what it requires and its `when:` holds.",
        "the owning agency",
        "decision id",
        {"title": "the question", "human": "true if a person answers it"},
    ),
    Kind.decision_taken: KindSpec(
        "A decision was answered.",
        "the owning agency",
        "decision id",
        {
            "option": "option id",
            "label": "the option's label",
            "by": "`policy`, `forced` (`--decide`) or `human:ROLE`",
            "waited": "minutes from coming up to the answer",
            "delay_mode": "(optional) label of the mixture mode the modelled delay came from, "
            "e.g. the next regular Cabinet",
        },
    ),
    Kind.decision_skipped: KindSpec(
        "A decision came up but one of its `skip_if` facts was known: not required.",
        "the owning agency",
        "decision id",
        {"option": "`not_required`", "label": "`not_required`", "by": "`rule`", "waited": "0"},
    ),
    Kind.decision_reopened: KindSpec(
        "A repeatable decision (`repeat:`) is due again.",
        "the owning agency",
        "decision id",
        {"times": "how many times it has been taken so far"},
    ),
    Kind.movement_started: KindSpec(
        "An area's people started to move (its `when:` held, or a `movement` effect started it): one event for"
        " the area's populations that start on the same `when:` (voluntary ones have none).",
        "area id",
        "none",
        {"municipality": "area id", "people": "people of those populations"},
    ),
    Kind.movement_changed: KindSpec(
        "A `movement` effect stopped or started people leaving home.",
        "the cause (`inject:I`, `decision:D=O`, `hazard:H`)",
        "none",
        {"action": "`start` or `stop`", "areas": "area ids", "hours": "for how long (null: until changed again)"},
    ),
    Kind.leg_closed: KindSpec(
        "Links or places of the movement network closed (a `close` effect, or an `open` with `for:` ended).",
        "the cause (`inject:I`, `decision:D=O`, `hazard:H`)",
        "none",
        {
            "mode": "`air`, `sea` or `all`",
            "places": "the places and links named (empty: all)",
            "legs": "link and place ids closed",
            "hours": "for how long (null: until opened again)",
        },
    ),
    Kind.leg_reopened: KindSpec(
        "Links or places of the movement network opened again.",
        "the cause (as for `leg_closed`)",
        "none",
        {"legs": "link and place ids now open"},
    ),
    Kind.channel_changed: KindSpec(
        "Lines became slower or less reliable, or were restored (`channel`, `channel_disruption`).",
        "the cause",
        "none",
        {
            "channels": "channel ids changed",
            "agencies": "agencies whose every line changed",
            "latency_factor": "latency multiplier (null: unchanged)",
            "reliability": "chance a try gets through (null: unchanged)",
            "change": "`set` or `restore`",
            "amount": "(optional) the first value set",
            "until": "(optional) minute the change ends",
        },
    ),
    Kind.agency_changed: KindSpec(
        "An agency's staff or working hours changed (`agency` effect).",
        "the cause",
        "agency id",
        {
            "staff": "staff now",
            "hours": "working hours now as [open, close] minutes of the day (null: around the clock)",
            "change": "`set` or `restore`",
            "until": "(optional) minute the change ends",
        },
    ),
    Kind.told: KindSpec(
        "A `tell` effect sent agencies a message.",
        "the cause",
        "none",
        {"message": "message id (the fact agencies learn)", "to": "agency ids", "synopsis": "what they are told"},
    ),
    Kind.cohort_departed: KindSpec(
        "A cohort (people moving together) set off along a link of the movement network.",
        "population id",
        "the place the link leads to",
        {
            "cohort": "cohort number (1, 2, ...; a split-off part gets a new number)",
            "link": "link id",
            "mode": "`walk`, `car`, `bus`, `rail`, `air` or `sea`",
            "origin": "the place it left",
            "people": "people in the cohort (or aboard)",
            "vehicle": "(optional) vehicle number, for a link run by vehicles",
        },
    ),
    Kind.cohort_arrived: KindSpec(
        "A cohort reached a safe place and was taken in (`sum: people` counts the people moved).",
        "population id",
        "the safe place",
        {
            "cohort": "cohort number",
            "area": "the population's area",
            "people": "people taken in",
            "hours": "hours since the first population started to move",
        },
    ),
    Kind.people_exposed: KindSpec(
        "An area's deadline passed: its people not yet safe are exposed (one event per population).",
        "population id",
        "area id",
        {
            "people": "people exposed",
            "at_home": "of them, people who had not left",
            "on_the_way": "of them, people on the way or waiting for a link or a vehicle",
        },
    ),
    Kind.movement_completed: KindSpec(
        "Every person of the movement network is safe or exposed: nobody is left in danger.",
        "`movement`",
        "none",
        {
            "population": "people in every population",
            "moved": "people who reached safety",
            "exposed": "people exposed",
            "hours": "hours since the first population started to move",
        },
    ),
    Kind.state_changed: KindSpec(
        "A state variable changed (the first, at T+0, gives its initial value).",
        "the cause (`scenario` at T+0, `decision:D=O`, `inject:I`, `hazard:H`)",
        "variable id",
        {
            "value": "the value now",
            "previous": "the value before (null at T+0)",
            "change": "`initial`, `set`, `add`, `scale` or `restore`",
            "amount": "(optional) the effect's value or factor",
            "until": "(optional) minute a temporary change ends",
        },
    ),
    Kind.inject_cancelled: KindSpec(
        "An inject was withdrawn by a `cancel` effect.",
        "the cause",
        "inject id",
        {},
    ),
    Kind.hazard_occurred: KindSpec(
        "A hazard occurred (its effects follow).",
        "`hazard`",
        "hazard id",
        {"title": "what happened", "occurrence": "1, 2, ..."},
    ),
    Kind.note_added: KindSpec(
        "A facilitator or evaluator wrote a note.",
        "the author",
        "none",
        {"text": "the note"},
    ),
    Kind.run_finished: KindSpec(
        "Reserved for the end of a run (not emitted yet).",
        "`engine`",
        "none",
        {},
    ),
}
"""Every event kind, its source, target and payload keys: the event catalogue (docs/events.md)."""


def catalogue_markdown() -> str:
    """docs/events.md: the event catalogue, generated from `CATALOGUE` (a test keeps it in sync)."""
    lines = [
        "# Event catalogue",
        "",
        "<!-- Generated by `python -m sim.events > docs/events.md`; do not edit by hand. -->",
        "",
        "Every run is one stream of events (`ttxsim run --events FILE`, the journal, the",
        "console log). Each event has `seq`, `time` (scenario minutes from T+0), `kind`,",
        "`source`, `target` and a `data` payload; `count` metrics name a kind and may sum",
        "a payload value.",
        "",
    ]
    for kind, spec in CATALOGUE.items():
        lines += [f"## `{kind}`", "", spec.summary, "", f"- source: {spec.source}", f"- target: {spec.target}"]
        if spec.payload:
            lines += ["", "| payload key | holds |", "|---|---|"]
            lines += [f"| `{key}` | {meaning} |" for key, meaning in spec.payload.items()]
        else:
            lines += ["- payload: none"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One thing that happened at simulated minute `time`.

    `source` is the agency or model part that caused it, `target` the one it
    concerns (or None); `data` holds kind-specific plain values.
    """

    seq: int
    time: float
    kind: Kind
    source: str
    target: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "kind": str(self.kind),
            "source": self.source,
            "target": self.target,
            "data": self.data,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SimEvent:
        return cls(raw["seq"], raw["time"], Kind(raw["kind"]), raw["source"], raw["target"], raw["data"])


if __name__ == "__main__":
    print(catalogue_markdown(), end="")
