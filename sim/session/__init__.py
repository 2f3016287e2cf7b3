"""A live session: the one input door (`door`), per-seat views (`views`) and the seat host (`host`).

`import sim.session` stays light: the host and its WebSocket library load only
when `ttxsim host` runs.
"""

from sim.session.door import (
    FACILITATOR,
    SPEEDS,
    WRITE_ERRORS,
    Session,
    SessionInput,
    StepOutcome,
    speed_label,
)

__all__ = [
    "FACILITATOR",
    "SPEEDS",
    "WRITE_ERRORS",
    "Session",
    "SessionInput",
    "StepOutcome",
    "speed_label",
]
