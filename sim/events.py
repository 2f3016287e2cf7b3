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
    movement_started = "movement_started"
    departed = "departed"
    arrived = "arrived"
    reached_host = "reached_host"
    leg_closed = "leg_closed"
    leg_reopened = "leg_reopened"
    compliance_changed = "compliance_changed"
    channel_disrupted = "channel_disrupted"
    reinforcement_landed = "reinforcement_landed"
    vessels_assigned = "vessels_assigned"
    evacuation_completed = "evacuation_completed"
    state_changed = "state_changed"
    inject_cancelled = "inject_cancelled"
    hazard_occurred = "hazard_occurred"
    note_added = "note_added"
    run_finished = "run_finished"


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
