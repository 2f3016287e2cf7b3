"""The session host: one `Simulation`, its clock and its journal, served to every seat.

A class plays one session: the host owns the run (nobody else touches it),
journals every input through the one door (`sim.session.door.Session`), and
serves seats over WebSocket following the seat protocol (docs/seat-protocol.md).
Each seat receives only what it may see (`sim.session.views`), computed here,
never by a client. Every client frame is checked before it reaches the door: a
frame that is malformed, too large, too frequent, or not allowed for its seat
gets an error frame and changes nothing.

Pacing: the clock advances `minutes_per_second` simulated minutes per wall
second and keeps running while students deliberate (a class's time pressure);
the facilitator pauses, changes speed, steps, or holds the clock until named
roles answer. With `manual_clock=True` (tests, step-by-step facilitation) the
clock moves only on the facilitator's `advance`/`step` frames.

Slow or vanished clients never hold the host up: each seat has its own bounded
outbound queue and writer task; a seat whose queue overflows is dropped (it
rejoins with its code and gets its whole view again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.domain.decisions import DecisionError
from sim.scenario.schema import Inject
from sim.session import views
from sim.session.codes import DISPLAY, FACILITATOR, ROLE, Codes, Seat
from sim.session.door import WRITE_ERRORS, Session

log = logging.getLogger(__name__)

PROTOCOL = 1
MAX_FRAME = 64 * 1024
"""Bytes a client frame may hold; bigger ones get `too_large`."""
HARD_MAX_FRAME = 2 * 1024 * 1024
"""Bytes beyond which the WebSocket library itself closes the connection (1009)."""
RATE = 10.0
"""Frames per second a seat may send on average ..."""
BURST = 30.0
"""... and at once."""
FACILITATOR_ALLOWANCE = 5.0
"""The facilitator steps the clock and fires injects in quick runs: five times the allowance."""
FLOOD_CLOSE = 200
"""Refused frames in a row after which a flooding seat is disconnected."""
OUTBOX = 512
"""Frames queued for one seat before it counts as gone."""
TICK = 0.1
"""Wall seconds between clock ticks."""
TICK_BUDGET = 0.05
"""Wall seconds one tick may spend advancing the model."""
JOIN_TIMEOUT = 30.0
TEXT_LIMIT = 2000
RECENT_EVENTS = 300
"""Model events a joining facilitator seat receives for its log."""
REF_LIMIT = 100


class Refused(Exception):
    """A client action the host does not take; becomes an error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(eq=False)
class Connection:
    """One connected seat: its WebSocket, its rights, its outbound queue and rate bucket."""

    ws: Any
    seat: Seat
    code: str
    outbox: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(OUTBOX))
    tokens: float = BURST
    refill_at: float = field(default_factory=time.monotonic)
    refused_in_a_row: int = 0
    writer: asyncio.Task | None = None
    closing: bool = False
    close_args: tuple[int, str] = (1000, "")

    def push(self, frame: dict | str) -> None:
        if self.closing:
            return
        text = frame if isinstance(frame, str) else json.dumps(frame, separators=(",", ":"))
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("seat %s fell behind by %d frames; dropped (it may rejoin)", self.label, OUTBOX)
            self.close(1008, "too slow")

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close after the frames already queued (an error frame, say) are sent."""
        if self.closing:
            return
        self.closing = True
        self.close_args = (code, reason)
        try:
            self.outbox.put_nowait(None)
        except asyncio.QueueFull:  # too far behind to wait for: close at once
            if self.writer is not None:
                self.writer.cancel()
            self.writer = asyncio.ensure_future(self.ws.close(code, reason))

    def take_token(self) -> bool:
        now = time.monotonic()
        allowance = FACILITATOR_ALLOWANCE if self.seat.kind == FACILITATOR else 1.0
        self.tokens = min(BURST * allowance, self.tokens + (now - self.refill_at) * RATE * allowance)
        self.refill_at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    @property
    def label(self) -> str:
        return self.seat.role or self.seat.kind

    async def write(self) -> None:
        try:
            while True:
                text = await self.outbox.get()
                if text is None:
                    code, reason = self.close_args
                    await self.ws.close(code, reason)
                    return
                await self.ws.send(text)
        except Exception:  # the peer went away; the reader side cleans up
            return


def _error(code: str, message: str, ref: Any = None) -> dict:
    frame = {"type": "error", "code": code, "message": message}
    if ref is not None:
        frame["ref"] = ref
    return frame


def _text(frame: dict, key: str, limit: int = TEXT_LIMIT) -> str:
    value = frame.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Refused("invalid", f"'{key}' must be a non-empty string")
    if len(value) > limit:
        raise Refused("invalid", f"'{key}' holds at most {limit} characters")
    return value


def _ident(frame: dict, key: str) -> str:
    return _text(frame, key, 200)


class Host:
    """Runs one session for many seats. Use `await host.start()`, then `await host.stop()`."""

    def __init__(
        self,
        session: Session,
        codes: Codes,
        *,
        journal: Any = None,
        codes_path: Path | None = None,
        manual_clock: bool = False,
        tick: float = TICK,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.sim = session.sim
        self.codes = codes
        self.journal = journal
        self.codes_path = codes_path
        self.manual_clock = manual_clock
        self.tick = tick
        self.on_change = on_change
        self.connections: set[Connection] = set()
        self.refused = 0
        """Frames refused since the start (each is also logged)."""
        self.write_error: str | None = None
        """Why the journal could not be written last time, if it could not."""
        self._role_views: dict[str, dict] = {}
        self._role_bodies: dict[str, str] = {}
        self._server: Any = None
        self._clock: asyncio.Task | None = None
        self._last_flush = time.monotonic()
        self.address: tuple[str, int] | None = None
        self.last_broadcast = 0.0
        """`time.perf_counter()` when the last broadcast was queued to every seat (benchmarks)."""

    # -- lifecycle --------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        from websockets.asyncio.server import serve

        self._server = await serve(
            self._handle,
            host,
            port,
            max_size=HARD_MAX_FRAME,
            process_request=self._only_ws_path,
            compression=None,
        )
        sock = next(iter(self._server.sockets))
        self.address = sock.getsockname()[:2]
        if not self.manual_clock:
            self._clock = asyncio.create_task(self._run_clock())
        return self.address

    @property
    def url(self) -> str:
        host, port = self.address or ("127.0.0.1", 0)
        return f"ws://{host}:{port}/ws"

    async def stop(self) -> None:
        if self._clock is not None:
            self._clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.flush()

    def flush(self) -> None:
        """Commit the journal's buffered events and the time reached. A failed write never
        stops the class: it is logged, shown to the facilitator and tried again next time."""
        self._last_flush = time.monotonic()
        if self.journal is None:
            return
        try:
            self.journal.flush(self.sim.now)
        except WRITE_ERRORS as error:
            if self.write_error is None:
                log.error("the session journal cannot be written: %s (the session goes on; retrying)", error)
            self.write_error = str(error)
        else:
            self.write_error = None

    @staticmethod
    def _only_ws_path(connection, request):
        if request.path != "/ws":
            return connection.respond(HTTPStatus.NOT_FOUND, "seats connect to /ws\n")
        return None

    # -- connections -------------------------------------------------------------
    async def _handle(self, ws) -> None:
        conn = await self._join(ws)
        if conn is None:
            return
        try:
            async for raw in ws:
                if conn.closing:
                    break
                reply = self.receive(conn, raw)
                if reply is not None:
                    conn.push(reply)
        except Exception as error:  # a broken client never disturbs the host
            log.info("seat %s disconnected: %s", conn.label, error)
        finally:
            self.connections.discard(conn)
            conn.close()
            self._tell_facilitators()
            if conn.writer is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.writer, 5)

    async def _join(self, ws) -> Connection | None:
        try:
            raw = await asyncio.wait_for(ws.recv(), JOIN_TIMEOUT)
        except Exception:
            return None
        frame = self._parse(raw)
        seat = None
        if isinstance(frame, dict) and frame.get("type") == "join":
            seat = self.codes.seat_of(frame.get("code"))
        if seat is None:
            self.refused += 1
            log.warning("refused a join: %s", "no join frame" if not isinstance(frame, dict) else "bad code")
            with contextlib.suppress(Exception):
                await ws.send(json.dumps(_error("bad_code", "That code does not open a seat in this session.")))
                await ws.close(1008, "bad code")
            return None
        conn = Connection(ws, seat, self.codes.code_of(seat))
        conn.writer = asyncio.create_task(conn.write())
        self.connections.add(conn)
        conn.push({"type": "welcome", "protocol": PROTOCOL, "seat": seat.kind, "role": seat.role})
        conn.push({"type": "view", **self.view_of(seat)})
        if seat.kind == FACILITATOR:  # the recent log, so a facilitator who rejoins is not blind
            clock = self._clock_view()
            recent = views.facilitator_events(self.sim.events[-RECENT_EVENTS:])
            conn.push(
                {"type": "update", "now": clock["now"], "label": clock["label"], "clock": clock, "events": recent}
            )
        log.info("seat joined: %s", conn.label)
        self._tell_facilitators()
        return conn

    @staticmethod
    def _parse(raw: Any) -> Any:
        if not isinstance(raw, str):
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    # -- one client frame ---------------------------------------------------------
    def receive(self, conn: Connection, raw: Any) -> dict | None:
        """Check one frame and act on it; returns the reply frame."""
        size = len(raw.encode("utf-8", "replace")) if isinstance(raw, str) else len(raw)
        if not conn.take_token():
            return self._refuse(conn, _error("rate_limited", "Too many frames; slow down."), count_flood=True)
        if size > MAX_FRAME:
            return self._refuse(conn, _error("too_large", f"A frame may hold at most {MAX_FRAME} bytes."))
        frame = self._parse(raw)
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return self._refuse(conn, _error("invalid", "A frame is a JSON object with a string 'type'."))
        ref = frame.get("ref")
        if ref is not None and not (isinstance(ref, (str, int)) and len(str(ref)) <= REF_LIMIT):
            return self._refuse(
                conn, _error("invalid", f"'ref' is a string or integer of at most {REF_LIMIT} characters.")
            )
        try:
            extra = self.act(conn, frame)
        except Refused as refusal:
            return self._refuse(conn, _error(refusal.code, str(refusal), ref), frame)
        conn.refused_in_a_row = 0
        reply = {"type": "ack"}
        if ref is not None:
            reply["ref"] = ref
        return {**reply, **(extra or {})}

    def _refuse(self, conn: Connection, error: dict, frame: dict | None = None, *, count_flood: bool = False) -> dict:
        self.refused += 1
        conn.refused_in_a_row += 1
        what = frame.get("type") if isinstance(frame, dict) else None
        log.warning("refused %s from seat %s: %s (%s)", what or "a frame", conn.label, error["code"], error["message"])
        if count_flood and conn.refused_in_a_row >= FLOOD_CLOSE:
            conn.push(error)
            conn.close(1008, "flood")
            return None  # type: ignore[return-value]
        return error

    def act(self, conn: Connection, frame: dict) -> dict | None:
        """Validate and apply one action; raises `Refused`. Returns extra ack fields."""
        kind = frame["type"]
        seat = conn.seat
        handler = self._actions.get(kind)
        if handler is None:
            raise Refused("invalid", f"unknown frame type {kind[:40]!r}")
        allowed = self._rights[kind]
        if seat.kind not in allowed:
            raise Refused("forbidden", f"a {seat.kind} seat may not send '{kind}'")
        return handler(self, seat, frame)

    def _decide(self, seat: Seat, frame: dict) -> dict:
        decision_id, option = _ident(frame, "decision"), _ident(frame, "option")
        view = next((d for d in self.sim.view().decisions if d.id == decision_id), None)
        if view is None:
            raise Refused("invalid", f"no decision {decision_id[:60]!r} in this scenario")
        if seat.kind == ROLE and view.owner != seat.role:
            raise Refused("forbidden", "that decision belongs to another role")
        if view.status != "pending":
            raise Refused("not_pending", f"that decision is {view.status}, not waiting for an answer")
        if option not in {o for o, _ in view.options}:
            raise Refused("invalid", f"that decision has no option {option[:60]!r}")
        by = seat.role if seat.kind == ROLE else FACILITATOR
        try:
            events = self.session.decide(decision_id, option, by)
        except DecisionError as error:
            raise Refused("invalid", str(error)) from None
        self.changed(events)
        return {"decision": decision_id, "option": option}

    def _message(self, seat: Seat, frame: dict) -> dict:
        to, text = _ident(frame, "to"), _text(frame, "text")
        sender = seat.role
        if seat.kind == FACILITATOR:
            sender = _ident(frame, "from")
        if to not in {a.id for a in self.sim.scenario.agencies}:
            raise Refused("invalid", f"no agency {to[:60]!r} in this scenario")
        if sender not in {a.id for a in self.sim.scenario.agencies}:
            raise Refused("invalid", "'from' must be an agency of this scenario")
        if to == sender:
            raise Refused("invalid", "a message goes to another agency")
        mark = len(self.sim.events)
        message_id = self.session.message(sender, to, text)
        self.changed(list(self.sim.events[mark:]))
        return {"message": message_id}

    def _note(self, seat: Seat, frame: dict) -> None:
        text = _text(frame, "text")
        event = self.session.note(text, seat.role or FACILITATOR)
        self.changed([event])

    def _inject(self, seat: Seat, frame: dict) -> dict:
        if "id" in frame and "inject" not in frame:
            ident = _ident(frame, "id")
            inject = next((i for i in self.sim.scenario.injects if i.id == ident), None)
            if inject is None:
                raise Refused("invalid", f"no inject {ident[:60]!r} in this scenario's MSEL")
        elif isinstance(frame.get("inject"), dict):
            try:
                inject = Inject.model_validate(frame["inject"])
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise Refused("invalid", f"ad-hoc inject: {where}: {first['msg']}") from None
            unknown = [a for a in inject.to if a not in {x.id for x in self.sim.scenario.agencies}]
            if unknown:
                raise Refused("invalid", f"ad-hoc inject goes to unknown agency {unknown[0][:60]!r}")
        else:
            raise Refused("invalid", "give 'id' of an MSEL inject or an ad-hoc 'inject' object")
        if self.sim.finished:
            raise Refused("invalid", "the scenario has ended")
        try:
            event = self.session.fire(inject)
        except ValueError as error:
            raise Refused("invalid", str(error)) from None
        self.changed([event])
        return {"inject": inject.id}

    def _pause(self, seat: Seat, frame: dict) -> None:
        self.session.set_paused(True)
        self.changed([])

    def _resume(self, seat: Seat, frame: dict) -> None:
        self.session.set_paused(False)
        self.changed([])

    def _speed(self, seat: Seat, frame: dict) -> None:
        value = frame.get("minutes_per_second")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise Refused("invalid", "'minutes_per_second' must be a number")
        try:
            self.session.set_minutes_per_second(float(value))
        except ValueError as error:
            raise Refused("invalid", str(error)) from None
        self.changed([])

    def _hold(self, seat: Seat, frame: dict) -> None:
        roles = frame.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles) or len(roles) > 200:
            raise Refused("invalid", "'roles' must be a list of agency ids")
        try:
            self.session.hold(roles)
        except ValueError as error:
            raise Refused("invalid", str(error)) from None
        self.changed([])

    def _advance(self, seat: Seat, frame: dict) -> dict:
        minutes = frame.get("minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 <= minutes <= 366 * 1440:
            raise Refused("invalid", "'minutes' must be a number from 0 to a year of minutes")
        outcome = self.session.advance_by(float(minutes))
        self.changed(outcome.events)
        self.flush()  # the time reached survives a crash of the host
        return {"now": self.sim.now, "stopped_for": outcome.stopped_for}

    def _step(self, seat: Seat, frame: dict) -> dict:
        outcome = self.session.step()
        self.changed(outcome.events)
        self.flush()
        return {"now": self.sim.now}

    def _revoke(self, seat: Seat, frame: dict) -> dict:
        code = _ident(frame, "code")
        result = self.codes.revoke(code)
        if result is None:
            raise Refused("invalid", "that is not a code in use here (the facilitator's own cannot be revoked)")
        revoked_seat, fresh = result
        if self.codes_path is not None:
            self.codes.save(self.codes_path)
        for conn in list(self.connections):
            if conn.seat == revoked_seat:
                conn.push(_error("revoked", "The facilitator withdrew this seat's code."))
                conn.close(1008, "revoked")
                self.connections.discard(conn)
        self.changed([])
        return {"seat": revoked_seat.kind, "role": revoked_seat.role, "code": fresh}

    def _ping(self, seat: Seat, frame: dict) -> None:
        return None

    _actions: dict[str, Callable[..., dict | None]] = {
        "decide": _decide,
        "message": _message,
        "note": _note,
        "inject": _inject,
        "pause": _pause,
        "resume": _resume,
        "speed": _speed,
        "hold": _hold,
        "advance": _advance,
        "step": _step,
        "revoke": _revoke,
        "ping": _ping,
    }
    _rights: dict[str, tuple[str, ...]] = {
        "decide": (ROLE, FACILITATOR),
        "message": (ROLE, FACILITATOR),
        "note": (ROLE, FACILITATOR),
        "inject": (FACILITATOR,),
        "pause": (FACILITATOR,),
        "resume": (FACILITATOR,),
        "speed": (FACILITATOR,),
        "hold": (FACILITATOR,),
        "advance": (FACILITATOR,),
        "step": (FACILITATOR,),
        "revoke": (FACILITATOR,),
        "ping": (ROLE, FACILITATOR, DISPLAY),
    }

    # -- views and pushes ------------------------------------------------------------
    def _clock_view(self) -> dict:
        s = self.session
        return views.clock(self.sim, paused=s.paused, minutes_per_second=s.speed, held_for=s.held_for)

    def _facilitator_extra(self) -> dict:
        seated: dict[str, int] = {}
        for conn in self.connections:
            seated[conn.label] = seated.get(conn.label, 0) + 1
        unsaved = len(self.session.unsaved)
        journal = self.write_error or (f"{unsaved} input(s) not yet written" if unsaved else None)
        return {"codes": self.codes.public(), "seated": seated, "refused": self.refused, "journal_error": journal}

    def view_of(self, seat: Seat, world=None, clock=None) -> dict:
        """The whole state `seat` may see now."""
        world = world or self.sim.view()
        clock = clock or self._clock_view()
        if seat.kind == FACILITATOR:
            return views.facilitator_view(self.sim, world, clock, self._facilitator_extra())
        if seat.kind == DISPLAY:
            return views.display_view(self.sim, world, clock)
        return views.role_view(self.sim, seat.role or "", world, clock)

    def _tell_facilitators(self) -> None:
        """Seats came or went: the facilitator's seat list changes."""
        frames = None
        for conn in list(self.connections):
            if conn.seat.kind == FACILITATOR:
                if frames is None:
                    clock = self._clock_view()
                    head = {"type": "update", "now": clock["now"], "label": clock["label"], "clock": clock}
                    frames = self._update_for(conn.seat, [], self.sim.view(), clock, head)
                conn.push(frames)

    def changed(self, events) -> None:
        """Something happened (model events, an input, a clock change): tell every seat."""
        self.broadcast(list(events))
        if self.on_change is not None:
            self.on_change()

    def broadcast(self, events: list) -> None:
        """Send each seat an `update` with its own events and, when its state changed, its view."""
        if not self.connections:
            self._role_views.clear()
            self._role_bodies.clear()
            return
        world = self.sim.view()
        clock = self._clock_view()
        head = {"type": "update", "now": clock["now"], "label": clock["label"], "clock": clock}
        frames: dict[tuple[str, str | None], str] = {}
        for conn in list(self.connections):
            key = (conn.seat.kind, conn.seat.role)
            if key not in frames:
                frames[key] = self._update_for(conn.seat, events, world, clock, head)
            conn.push(frames[key])
        self.last_broadcast = time.perf_counter()

    def _update_for(self, seat: Seat, events: list, world, clock: dict, head: dict) -> str:
        if seat.kind == FACILITATOR:
            frame = {
                **head,
                "events": views.facilitator_events(events),
                "view": views.facilitator_view(self.sim, world, clock, self._facilitator_extra()),
            }
        elif seat.kind == DISPLAY:
            seat_events = views.display_events(self.sim, events)
            frame = {**head, "events": seat_events}
            if seat_events or any(
                e.kind.value in ("cohort_departed", "cohort_arrived", "people_exposed") for e in events
            ):
                frame["view"] = views.display_view(self.sim, world, clock)
        else:
            role = seat.role or ""
            after = views.role_view(self.sim, role, world, clock)
            body = json.dumps({k: v for k, v in after.items() if k != "clock"}, sort_keys=True)
            frame = {**head, "events": views.role_events(self._role_views.get(role), after)}
            if body != self._role_bodies.get(role):
                frame["view"] = after
            self._role_views[role] = after
            self._role_bodies[role] = body
        return json.dumps(frame, separators=(",", ":"))

    # -- the clock -------------------------------------------------------------------
    async def _run_clock(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.tick)
            now = loop.time()
            elapsed, last = min(now - last, 1.0), now
            try:
                self.tick_once(elapsed)
            except Exception:
                log.exception("clock tick failed; the clock is paused")
                self.session.paused = True

    def tick_once(self, elapsed: float, budget: float | None = TICK_BUDGET) -> None:
        """Advance the clock by `elapsed` wall seconds' worth of simulated time (within `budget`
        wall seconds of model work; None: all of it)."""
        session = self.session
        if session.paused or self.sim.finished or session.holding():
            if time.monotonic() - self._last_flush > 1.0:
                self.flush()
            return
        outcome = session.advance_by(session.speed * elapsed, budget=budget)
        if outcome.stopped_for and session.pause_on_decision:
            session.set_paused(True)
        if outcome.finished:
            session.set_paused(True)
        self.changed(outcome.events)
        if time.monotonic() - self._last_flush > 1.0:
            self.flush()
