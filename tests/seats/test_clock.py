"""Class time: the clock keeps running while students deliberate, unless the facilitator
pauses it or holds it until named roles answer. Driven tick by tick (no wall-clock waits)."""

from __future__ import annotations

import json

from sim.session.codes import FACILITATOR, ROLE, Codes, Seat
from sim.session.host import Connection, Host
from tests.seats.conftest import ROLES, make_session


def classroom_host() -> tuple[Host, Connection]:
    host = Host(make_session(), Codes.generate(list(ROLES)), manual_clock=True)
    facilitator = Connection(None, Seat(FACILITATOR), "x")
    return host, facilitator


def act(host: Host, conn: Connection, **frame) -> dict:
    return host.receive(conn, json.dumps(frame))


def test_the_clock_runs_on_while_a_decision_waits_for_a_student():
    """At 60 min/s, a minute of wall time is an hour of play, decisions pending or not."""
    host, facilitator = classroom_host()
    assert act(host, facilitator, type="resume")["type"] == "ack"
    for _ in range(10):
        host.tick_once(1.0, budget=None)
    pending = [d.id for d in host.sim.view().decisions if d.status == "pending"]
    assert pending == ["request"]  # the Governor has not answered ...
    assert host.sim.now == 600.0  # ... and the clock did not wait


def test_a_paused_clock_does_not_move():
    host, facilitator = classroom_host()
    host.tick_once(5.0, budget=None)
    assert host.sim.now == 0.0  # a hosted session starts paused
    act(host, facilitator, type="resume")
    host.tick_once(1.0, budget=None)
    act(host, facilitator, type="pause")
    host.tick_once(5.0, budget=None)
    assert host.sim.now == 60.0


def test_hold_stops_the_clock_until_the_named_role_answers():
    """Held for the Governor: the clock stops when the request comes up and runs again once answered."""
    host, facilitator = classroom_host()
    governor = Connection(None, Seat(ROLE, "pref"), "x")
    assert act(host, facilitator, type="hold", roles=["pref"])["type"] == "ack"
    act(host, facilitator, type="resume")
    for _ in range(5):
        host.tick_once(1.0, budget=None)
    came_up = next(d.came_up_at for d in host.sim.view().decisions if d.id == "request")
    assert host.sim.now == came_up == 40.0  # stopped at the instant it came up
    assert host.view_of(Seat(ROLE, "pref"))["clock"]["held_for"] == ["pref"]
    assert act(host, governor, type="decide", decision="request", option="ask")["type"] == "ack"
    host.tick_once(1.0, budget=None)
    assert host.sim.now == 100.0
    assert act(host, facilitator, type="speed", minutes_per_second=1440)["type"] == "ack"
    host.tick_once(1.0, budget=None)
    assert host.sim.now == 1540.0


def test_a_journal_that_cannot_be_written_does_not_stop_the_clock():
    """A full disk during class: the clock runs on, the facilitator sees why nothing is saved."""
    from sim.journal import JournalWriteError

    class FullDisk:
        def flush(self, now):
            raise JournalWriteError("the disk is full")

    host, facilitator = classroom_host()
    host.journal = FullDisk()
    act(host, facilitator, type="resume")
    host.tick_once(1.0, budget=None)
    host.flush()
    host.tick_once(1.0, budget=None)
    assert host.sim.now == 120.0 and not host.session.paused
    assert host.view_of(Seat(FACILITATOR))["journal_error"] == "the disk is full"
