"""The console's session: the one input door now lives in the headless core.

`sim.session.door.Session` is the door every input passes through, for the
console (`ttxsim play`), the session host (`ttxsim host`) and the journal
alike; this module keeps the console's imports working.
"""

from sim.session.door import (
    DEFAULT_SPEED,
    FACILITATOR,
    SPEEDS,
    WRITE_ERRORS,
    Session,
    SessionInput,
    StepOutcome,
    speed_label,
)

__all__ = [
    "DEFAULT_SPEED",
    "FACILITATOR",
    "SPEEDS",
    "WRITE_ERRORS",
    "Session",
    "SessionInput",
    "StepOutcome",
    "speed_label",
]
