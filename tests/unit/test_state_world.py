"""World state: bounds, events for every change, exact restore of temporary changes."""

from __future__ import annotations

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.domain.context import Context
from sim.domain.state import WorldState
from sim.engine.bus import EventBus
from sim.engine.streams import RandomStreams
from sim.events import Kind
from sim.scenario.consequences import Variable


def make_state(*variables: Variable) -> tuple[WorldState, simpy.Environment, EventBus]:
    env = simpy.Environment()
    bus = EventBus(lambda: env.now)
    state = WorldState(Context(env, RandomStreams(1), bus.emit, lambda: env.now), variables)
    state.start()
    return state, env, bus


def changes(bus: EventBus) -> list[tuple[float, str, float, str]]:
    return [(e.time, e.target, e.data["value"], e.data["change"]) for e in bus.log if e.kind == Kind.state_changed]


def test_every_change_is_an_event_and_values_are_clamped():
    state, _env, bus = make_state(Variable(id="escalation", initial=1, min=0, max=5))
    state.change("escalation", "add", 3, "decision:a")
    state.change("escalation", "add", 3, "decision:b")
    state.change("escalation", "set", -2, "inject:m1")
    assert changes(bus) == [
        (0, "escalation", 1, "initial"),
        (0, "escalation", 4, "add"),
        (0, "escalation", 5, "add"),
        (0, "escalation", 0, "set"),
    ]
    assert [e.source for e in bus.log] == ["scenario", "decision:a", "decision:b", "inject:m1"]
    assert bus.log[2].data["previous"] == 4


def test_temporary_scale_is_restored_exactly_and_keeps_changes_made_meanwhile():
    state, env, bus = make_state(Variable(id="compliance", initial=0.7, min=0, max=1))
    state.change("compliance", "scale", 0.3, "inject:rumour", duration=60)
    assert state.value("compliance") == 0.7 * 0.3
    env.run(until=30)
    state.change("compliance", "add", 0.1, "decision:counter")
    env.run(until=61)
    assert state.value("compliance") == 0.7 + 0.1  # recomputed, not (0.21 + 0.1) / 0.3
    assert changes(bus)[-1] == (60, "compliance", 0.7 + 0.1, "restore")


def test_permanent_set_ends_earlier_temporary_changes():
    state, env, bus = make_state(Variable(id="open", initial=1, min=0, max=1))
    state.change("open", "set", 0, "hazard:strike", duration=120)
    env.run(until=10)
    state.change("open", "set", 1, "decision:reopen")
    env.run(until=200)
    assert state.value("open") == 1
    assert [c[3] for c in changes(bus)] == ["initial", "set", "set"]  # the expired change emits nothing


OPS = st.sampled_from(["set", "add", "scale"])
AMOUNTS = st.floats(min_value=-50, max_value=50, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(min_value=-10, max_value=10, allow_nan=False),
    width=st.floats(min_value=0, max_value=20, allow_nan=False),
    steps=st.lists(
        st.tuples(OPS, AMOUNTS, st.none() | st.floats(min_value=0, max_value=100), st.integers(0, 50)), max_size=25
    ),
)
def test_state_stays_within_bounds(low, width, steps):
    high = low + width
    state, env, bus = make_state(Variable(id="x", initial=low, min=low, max=high))
    for op, amount, duration, wait in steps:
        amount = abs(amount) if op == "scale" else amount
        state.change("x", op, amount, "test", duration=duration)
        if wait:
            env.run(until=env.now + wait)
    env.run(until=env.now + 200)
    values = [e.data["value"] for e in bus.log]
    assert all(low <= v <= high for v in values)
    assert state.value("x") == values[-1]
    if all(d is not None for _op, _a, d, _w in steps):
        assert state.value("x") == low  # every change was temporary: back to the exact initial value
