"""Information asymmetry as a property: over random sessions, no frame sent to a role seat
holds a fact that role had not learned, an MSEL expected action, or another role's pending
decision; the public display never holds expected actions, decisions or messages.

The frames are the host's real outbound frames (the same `Host.receive` and broadcast
code as over the network), read from each seat's queue without a socket, so many
random sessions stay fast.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.session.codes import DISPLAY, FACILITATOR, ROLE, Codes, Seat
from sim.session.host import Connection, Host
from tests.seats.conftest import ROLES, make_session

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(1, 600)),
        st.tuples(st.just("decide"), st.integers(0, 10), st.integers(0, 1), st.booleans()),
        st.tuples(st.just("message"), st.sampled_from(ROLES), st.sampled_from(("cabinet", "fdma", "pref", "city"))),
        st.tuples(st.just("inject"), st.just("m03")),
        st.tuples(st.just("note"), st.sampled_from(ROLES)),
    ),
    min_size=1,
    max_size=25,
)


def drain(conn: Connection) -> list[str]:
    frames = []
    while not conn.outbox.empty():
        frame = conn.outbox.get_nowait()
        if frame is not None:
            frames.append(frame)
    return frames


def secrets_for(host: Host, role: str) -> list[str]:
    """Text that must not reach `role`'s seat right now."""
    sim = host.sim
    scenario = sim.scenario
    learned = {(subject, ident) for _, subject, ident, _ in sim.inbox(role)}
    hidden = [i.expected_action for i in scenario.injects if i.expected_action]
    hidden += [d.expected for d in scenario.decisions if d.expected]
    hidden += [i.synopsis for i in scenario.injects if ("inject", i.id) not in learned]
    hidden += [
        d.title for d in scenario.decisions if d.owner != role and ("decision", d.id) not in learned
    ]  # another role's decision, pending or not, unless its outcome reached this role
    hidden += [m.text for m in sim.messages() if m.sender != role and ("message", m.id) not in learned]
    return hidden


@settings(max_examples=15, deadline=None)
@given(actions=ACTIONS, seed=st.integers(1, 1000))
def test_role_seats_receive_only_what_their_role_learned(actions, seed):
    session = make_session(seed=seed)
    host = Host(session, Codes.generate(list(ROLES)), manual_clock=True)
    seats = {role: Connection(None, Seat(ROLE, role), "x") for role in ROLES}
    display = Connection(None, Seat(DISPLAY), "x")
    facilitator = Connection(None, Seat(FACILITATOR), "x")
    for conn in [*seats.values(), display]:
        host.connections.add(conn)
        conn.push({"type": "view", **host.view_of(conn.seat)})
    texts = 0
    for action in actions:
        kind = action[0]
        if kind == "advance":
            host.receive(facilitator, json.dumps({"type": "advance", "minutes": action[1]}))
        elif kind == "decide":
            pending = [d for d in host.sim.view().decisions if d.status == "pending"]
            if pending:
                decision = pending[action[1] % len(pending)]
                option = decision.options[action[2] % len(decision.options)][0]
                seat = seats.get(decision.owner, facilitator)
                if action[3]:  # forged: another role tries it
                    seat = seats[next(r for r in ROLES if r != decision.owner)]
                host.receive(seat, json.dumps({"type": "decide", "decision": decision.id, "option": option}))
        elif kind == "message":
            texts += 1
            frame = {"type": "message", "to": action[2], "text": f"private-note-{texts}-from-{action[1]}"}
            host.receive(seats[action[1]], json.dumps(frame))
        elif kind == "inject":
            host.receive(facilitator, json.dumps({"type": "inject", "id": action[1]}))
        else:
            host.receive(seats[action[1]], json.dumps({"type": "note", "text": f"my note {texts}"}))
        for role, conn in seats.items():
            hidden = secrets_for(host, role)
            for frame in drain(conn):
                leaks = [text for text in hidden if text in frame]
                assert not leaks, (role, leaks, frame[:300])
                assert "expected" not in json.loads(frame).get("view", {})
        public_hidden = [i.expected_action for i in host.sim.scenario.injects]
        public_hidden += [d.title for d in host.sim.scenario.decisions] + [m.text for m in host.sim.messages()]
        for frame in drain(display):
            assert not [text for text in public_hidden if text and text in frame], frame[:300]
