"""The seat host over real WebSockets: joining, what each seat sees, messages between roles."""

from __future__ import annotations

import pytest

from tests.seats.conftest import Client, sync_all


async def advance(seats, minutes: float) -> dict:
    reply = await seats["facilitator"].request({"type": "advance", "minutes": minutes})
    assert reply["type"] == "ack", reply
    await sync_all(seats)
    return reply


async def test_join_welcomes_each_seat_with_its_kind_and_view(host, seats):
    """Every code opens its own seat kind; the first view is that seat's whole state."""
    assert seats["facilitator"].welcome == {"type": "welcome", "protocol": 1, "seat": "facilitator", "role": None}
    assert seats["pref"].welcome == {"type": "welcome", "protocol": 1, "seat": "role", "role": "pref"}
    assert seats["display"].welcome["seat"] == "display"
    assert seats["pref"].view["brief"].startswith("You govern the prefecture")
    assert seats["cabinet"].view["brief"].startswith("You chair the Cabinet")
    assert "library" in seats["facilitator"].view
    assert seats["display"].view["clock"]["label"] == seats["pref"].view["clock"]["label"]


async def test_a_wrong_code_is_refused_and_the_connection_closed(host):
    """A code that opens no seat gets `bad_code` and the connection ends."""
    client = await Client.join(host.url, "AAAAA-AAAAA")
    assert client.welcome["type"] == "error" and client.welcome["code"] == "bad_code"
    from websockets.exceptions import ConnectionClosed

    with pytest.raises(ConnectionClosed):
        await client.recv()


async def test_a_decision_at_one_seat_changes_what_facilitator_and_display_see(host, seats):
    """The Governor's request reaches the Cabinet; the PM's answer fires a public press conference."""
    await advance(seats, 45)  # TV news (public) reached the Governor: the request comes up
    pref = seats["pref"]
    assert [d["id"] for d in pref.view["pending"]] == ["request"]
    assert [n["text"] for n in seats["display"].view["news"]] == [
        "Television shows ships massing north of the islands."
    ]
    reply = await pref.request({"type": "decide", "decision": "request", "option": "ask"})
    assert reply["type"] == "ack"
    await sync_all(seats)
    facilitator = {d["id"]: d for d in seats["facilitator"].view["world"]["decisions"]}
    assert facilitator["request"]["status"] == "taken" and facilitator["request"]["by"] == "human:pref"
    assert pref.view["pending"] == [] and pref.view["decisions"][0]["option"] == "ask"
    await advance(seats, 60)  # the answer travels to the Cabinet: the PM's decision comes up
    cabinet = seats["cabinet"]
    assert [d["id"] for d in cabinet.view["pending"]] == ["recognise"]
    reply = await cabinet.request({"type": "decide", "decision": "recognise", "option": "yes"})
    assert {k: v for k, v in reply.items() if k != "ref"} == {"type": "ack", "decision": "recognise", "option": "yes"}
    await advance(seats, 1)
    news = [n["text"] for n in seats["display"].view["news"]]
    assert news[-1] == "The Government recognises an armed-attack-anticipated situation."
    assert any(e["kind"] == "news" for e in seats["display"].events)


async def test_a_message_arrives_after_its_channel_latency_in_simulated_time(host, seats):
    """Governor -> PM over the 20 min hotline plus the Cabinet's 10 min handling: 30 min."""
    await advance(seats, 60)
    sent_at = seats["facilitator"].view["clock"]["now"]
    reply = await seats["pref"].request({"type": "message", "to": "cabinet", "text": "We need the order tonight."})
    assert reply["type"] == "ack" and reply["message"] == "msg1"
    await advance(seats, 29)
    assert not [r for r in seats["cabinet"].view["inbox"] if r["subject"] == "message"]
    await advance(seats, 1)
    got = [r for r in seats["cabinet"].view["inbox"] if r["subject"] == "message"]
    assert [(r["from"], r["text"], r["time"] - sent_at) for r in got] == [("pref", "We need the order tonight.", 30.0)]
    assert seats["pref"].view["sent"][0]["text"] == "We need the order tonight."
    assert any(e["kind"] == "learned" and e["subject"] == "message" for e in seats["cabinet"].events)
    assert not any("We need the order" in str(n) for n in seats["display"].frames)


async def test_a_dropped_seat_rejoins_and_sees_the_same_state(host, seats):
    """Closing a seat and joining again with its code gives back exactly its view."""
    await advance(seats, 45)
    await seats["pref"].request({"type": "message", "to": "city", "text": "Ferries at dawn."})
    await advance(seats, 10)
    before = seats["pref"].view
    await seats["pref"].close()
    again = await Client.join(host.url, host.codes.roles["pref"])
    assert again.view == before
    await again.close()
