"""Join codes: one random code per seat kind (facilitator, display, each role).

Codes are the only credential of a class session, so they are drawn with
`secrets` from an alphabet without look-alike characters (a student reads
them off a slip of paper) and compared in constant time. The facilitator can
revoke a code; the seat then gets a fresh one. Codes and revocations are kept
in a sidecar file beside the journal (written atomically, readable only by the
owner), so after a host crash `--resume` brings back the same codes.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sim.files import write_atomic

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No I, O, 0 or 1: easy to read aloud and to type."""
CODE_LENGTH = 10  # 32**10 = 2**50 possible codes
FACILITATOR, DISPLAY, ROLE = "facilitator", "display", "role"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(code: str) -> str:
    """What a person typed, read generously: case, spaces and dashes do not matter."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == CODE_LENGTH else raw


@dataclass(frozen=True, slots=True)
class Seat:
    """Who a code lets in."""

    kind: str  # "facilitator" | "display" | "role"
    role: str | None = None


@dataclass
class Codes:
    facilitator: str
    display: str
    roles: dict[str, str]
    revoked: list[str] = field(default_factory=list)

    @classmethod
    def generate(cls, roles: list[str]) -> Codes:
        return cls(new_code(), new_code(), {role: new_code() for role in roles})

    def public(self) -> dict:
        """The `--codes-out` shape (design.md, "Seat protocol")."""
        return {"facilitator": self.facilitator, "display": self.display, "roles": dict(self.roles)}

    def seat_of(self, code: object) -> Seat | None:
        """The seat a code opens, or None (unknown or revoked)."""
        if not isinstance(code, str) or len(code) > 64:
            return None
        code = normalise(code)
        found = None
        # Compare with every code in constant time, so timing tells nothing about near misses.
        for candidate, seat in self._all():
            if secrets.compare_digest(candidate.encode(), code.encode()):
                found = seat
        return found

    def _all(self) -> list[tuple[str, Seat]]:
        return [
            (self.facilitator, Seat(FACILITATOR)),
            (self.display, Seat(DISPLAY)),
            *((code, Seat(ROLE, role)) for role, code in self.roles.items()),
        ]

    def code_of(self, seat: Seat) -> str:
        if seat.kind == FACILITATOR:
            return self.facilitator
        if seat.kind == DISPLAY:
            return self.display
        return self.roles[seat.role or ""]

    def revoke(self, code: str) -> tuple[Seat, str] | None:
        """Withdraw `code` and give its seat a new one: (seat, new code), or None when
        the code is not in use. The facilitator's own code cannot be revoked here."""
        seat = self.seat_of(code)
        if seat is None or seat.kind == FACILITATOR:
            return None
        fresh = new_code()
        self.revoked.append(self.code_of(seat))
        if seat.kind == DISPLAY:
            self.display = fresh
        else:
            self.roles[seat.role or ""] = fresh
        return seat, fresh

    # -- persistence -----------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({**self.public(), "revoked": self.revoked}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Codes:
        raw = json.loads(text)
        return cls(raw["facilitator"], raw["display"], dict(raw["roles"]), list(raw.get("revoked", [])))

    def save(self, path: Path) -> None:
        """Write atomically, readable by the owner only (codes are credentials)."""
        write_private(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> Codes:
        return cls.from_json(path.read_text(encoding="utf-8"))


def write_private(path: Path, text: str) -> None:
    """`write_atomic`, but the file is never readable by others, not even for an instant."""
    previous = os.umask(0o077)
    try:
        write_atomic(path, text)
    finally:
        os.umask(previous)
    os.chmod(path, 0o600)  # an existing file keeps its mode through the rename otherwise


def sidecar_path(journal: Path) -> Path:
    """Where a hosted session keeps its codes: `s.ttxj` -> `s.ttxj.seats.json`."""
    return journal.with_name(journal.name + ".seats.json")
