"""Forged, malformed, oversized and flooding frames: refused with an error frame, nothing journaled."""

from __future__ import annotations

import json

import pytest

from sim.journal import start_session
from sim.session.codes import Codes
from sim.session.host import Host
from tests.seats.conftest import CLASSROOM, ROLES, Client, make_session


@pytest.fixture
async def journaled(tmp_path):
    sim, journal = start_session(CLASSROOM, seed=1, human_roles=ROLES, journal_path=tmp_path / "class.ttxj")
    session = make_session((sim, journal))
    server = Host(session, Codes.generate(list(ROLES)), journal=journal, manual_clock=True)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()
    journal.close(sim.now)


def record(host: Host) -> tuple:
    """Everything a refused action must leave untouched."""
    host.journal.flush(host.sim.now)
    return (
        [(e.kind, e.payload) for e in host.journal.entries()],
        len(host.sim.events),
        host.sim.inputs,
        host.sim.now,
        host.session.paused,
        host.session.speed,
    )


async def test_every_forged_action_is_refused_and_changes_nothing(journaled):
    """Role seats cannot act for others or control the exercise; the display cannot act at all."""
    host = journaled
    codes = host.codes
    facilitator = await Client.join(host.url, codes.facilitator)
    pref = await Client.join(host.url, codes.roles["pref"])
    display = await Client.join(host.url, codes.display)
    await facilitator.request({"type": "advance", "minutes": 45})  # the Governor's request is up
    await pref.sync()
    before = record(host)
    forged = [
        (pref, {"type": "decide", "decision": "recognise", "option": "yes"}, "forbidden"),  # the PM's
        (pref, {"type": "inject", "id": "m03"}, "forbidden"),
        (
            pref,
            {"type": "inject", "inject": {"id": "x", "on_demand": True, "to": ["city"], "synopsis": "x"}},
            "forbidden",
        ),
        (pref, {"type": "pause"}, "forbidden"),
        (pref, {"type": "resume"}, "forbidden"),
        (pref, {"type": "speed", "minutes_per_second": 1440}, "forbidden"),
        (pref, {"type": "advance", "minutes": 600}, "forbidden"),
        (pref, {"type": "step"}, "forbidden"),
        (pref, {"type": "hold", "roles": ["pref"]}, "forbidden"),
        (pref, {"type": "revoke", "code": codes.roles["city"]}, "forbidden"),
        (pref, {"type": "decide", "decision": "request", "option": "maybe"}, "invalid"),
        (pref, {"type": "decide", "decision": "nope", "option": "ask"}, "invalid"),
        (pref, {"type": "decide", "decision": "request"}, "invalid"),
        (pref, {"type": "message", "to": "pref", "text": "me"}, "invalid"),
        (pref, {"type": "message", "to": "mars", "text": "hello"}, "invalid"),
        (pref, {"type": "message", "to": "cabinet", "text": ""}, "invalid"),
        (pref, {"type": "message", "to": "cabinet", "text": "x" * 2001}, "invalid"),
        (pref, {"type": "note", "text": 42}, "invalid"),
        (pref, {"type": "teleport"}, "invalid"),
        (display, {"type": "decide", "decision": "request", "option": "ask"}, "forbidden"),
        (display, {"type": "message", "to": "cabinet", "text": "hello"}, "forbidden"),
        (display, {"type": "note", "text": "hello"}, "forbidden"),
        (display, {"type": "inject", "id": "m03"}, "forbidden"),
        (facilitator, {"type": "inject", "id": "m99"}, "invalid"),
        (facilitator, {"type": "inject", "inject": {"id": "x", "to": ["city"]}}, "invalid"),
        (
            facilitator,
            {"type": "inject", "inject": {"id": "x", "on_demand": True, "to": ["atlantis"], "synopsis": "x"}},
            "invalid",
        ),
        (facilitator, {"type": "decide", "decision": "recognise", "option": "yes"}, "not_pending"),
        (facilitator, {"type": "speed", "minutes_per_second": -5}, "invalid"),
        (facilitator, {"type": "speed", "minutes_per_second": "fast"}, "invalid"),
        (facilitator, {"type": "advance", "minutes": float("1e12")}, "invalid"),
        (facilitator, {"type": "hold", "roles": ["atlantis"]}, "invalid"),
        (facilitator, {"type": "revoke", "code": "AAAAA-AAAAA"}, "invalid"),
        (facilitator, {"type": "revoke", "code": codes.facilitator}, "invalid"),
    ]
    for client, frame, code in forged:
        reply = await client.request(frame)
        assert (reply["type"], reply["code"]) == ("error", code), (frame, reply)
        assert reply["message"] and reply["ref"].startswith("r")
    for raw, code in [
        ("not json", "invalid"),
        ("[1, 2]", "invalid"),
        ('{"no": "type"}', "invalid"),
        (b"\x00binary", "invalid"),
        (json.dumps({"type": "note", "text": "x" * (1024 * 1024)}), "too_large"),
        (json.dumps({"type": "ping", "ref": {"nested": 1}}), "invalid"),
    ]:
        reply = await pref.send_raw(raw)
        assert (reply["type"], reply["code"]) == ("error", code), (raw[:40], reply)
    assert record(host) == before
    assert host.refused >= len(forged) + 6
    for client in (facilitator, pref, display):
        await client.close()


async def test_a_flood_is_rate_limited(journaled):
    """Sixty frames at once: past the burst allowance they are refused with `rate_limited`."""
    host = journaled
    client = await Client.join(host.url, host.codes.roles["city"])
    for n in range(60):
        await client.ws.send(json.dumps({"type": "note", "text": f"spam {n}", "ref": n}))
    replies = []
    while len(replies) < 60:
        frame = await client.recv()
        if frame["type"] in ("ack", "error"):
            replies.append(frame)
    limited = [r for r in replies if r["type"] == "error"]
    assert limited and {r["code"] for r in limited} == {"rate_limited"}
    accepted = [r["ref"] for r in replies if r["type"] == "ack"]
    notes = [i.payload["text"] for i in host.sim.inputs if i.kind == "note"]
    assert notes == [f"spam {n}" for n in accepted]  # a refused note left no trace
    await client.close()


async def test_a_revoked_code_is_refused_and_the_seat_gets_a_new_one(journaled):
    """Revoking closes the seat using the code; the old code no longer joins, the new one does."""
    host = journaled
    old = host.codes.roles["pref"]
    facilitator = await Client.join(host.url, host.codes.facilitator)
    pref = await Client.join(host.url, old)
    reply = await facilitator.request({"type": "revoke", "code": old})
    assert reply["type"] == "ack" and reply["seat"] == "role" and reply["role"] == "pref"
    fresh = reply["code"]
    assert fresh != old
    frame = await pref.recv()
    while frame["type"] == "update":
        frame = await pref.recv()
    assert (frame["type"], frame["code"]) == ("error", "revoked")
    refused = await Client.join(host.url, old)
    assert refused.welcome["code"] == "bad_code"
    again = await Client.join(host.url, fresh.lower().replace("-", " "))  # typed loosely
    assert again.welcome == {"type": "welcome", "protocol": 1, "seat": "role", "role": "pref"}
    await again.close()
    await facilitator.close()


async def test_a_path_other_than_ws_is_not_found(journaled):
    """Only /ws speaks the seat protocol."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus):
        await connect(journaled.url.replace("/ws", "/other"))
