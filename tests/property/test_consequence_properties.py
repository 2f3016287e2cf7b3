"""Properties of the consequence engine: determinism with effects and hazards, bounds, CRN."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.events import Kind
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation

DATA = Path(__file__).resolve().parents[1] / "data"
SCENARIO = load_scenario(DATA / "consequences.yaml")
BOUNDS = {v.id: (v.min, v.max) for v in SCENARIO.state}

FORCED = st.sampled_from([None, "yes", "no"]).map(
    lambda option: {} if option is None else {"recognise_situation": (option, 60.0)}
)


def stream(seed: int, forced) -> list[str]:
    return [e.to_json() for e in Simulation(SCENARIO, seed=seed, forced=forced).run().events]


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), forced=FORCED)
def test_same_seed_gives_a_byte_identical_stream_and_state_stays_in_bounds(seed, forced):
    first = stream(seed, forced)
    assert stream(seed, forced) == first
    result = Simulation(SCENARIO, seed=seed, forced=forced).run()
    for event in result.events:
        if event.kind == Kind.state_changed:
            low, high = BOUNDS[event.target]
            assert low <= event.data["value"] <= high


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_forcing_a_decision_leaves_other_streams_alone(seed):
    """The strike hazard's own draws do not depend on what else happened: the first strike
    after escalation reaches 3 comes the same time after it, whichever way it got there."""
    result = Simulation(SCENARIO, seed=seed, forced={"recognise_situation": ("yes", 60.0)}).run()
    late = Simulation(SCENARIO, seed=seed, forced={"recognise_situation": ("yes", 120.0)}).run()

    def first_strike_after_rise(r):
        rise = next(e.time for e in r.events if e.kind == Kind.state_changed and e.data["value"] == 3.0)
        strikes = [e.time for e in r.events if e.kind == Kind.hazard_occurred]
        return None if not strikes else round(strikes[0] - rise, 6)

    assert first_strike_after_rise(result) == first_strike_after_rise(late)


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    option=st.sampled_from(["yes", "no"]),
    minutes=st.integers(min_value=0, max_value=600),
    hand=st.booleans(),
)
def test_a_session_with_a_person_deciding_replays_exactly(seed, option, minutes, hand):
    """Inputs at awkward instants (a person's decision, a hand-fired inject) replay to the same stream."""
    live = Simulation(SCENARIO, seed=seed, human_roles={"cabinet"})
    live.advance(minutes)
    live.decide("recognise_situation", option, "cabinet")
    if hand:
        live.apply(SCENARIO.inject("m04"))
    live.advance(SCENARIO.scenario.horizon)
    replay = Simulation(SCENARIO, seed=seed, human_roles={"cabinet"})
    for item in live.inputs:
        replay.replay_input(item)
    replay.advance(SCENARIO.scenario.horizon)
    assert [e.to_json() for e in replay.events] == [e.to_json() for e in live.events]


KEYS = ["id", "kind", "state", "value", "for", "inject", "decision", "option", "all", "any", "not", "after"]
KEYS += ["at_least", "rate", "table", "per_day", "per_unit", "effects", "when", "metric", "event", "start", "end"]
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.sampled_from(["yes", "2h", "x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=12,
)


PLACES = ["state", "hazards", "metrics", "objectives", "decision_when", "option_effects", "inject_when"]


@settings(max_examples=40, deadline=None)
@given(place=st.sampled_from(PLACES), value=JSONISH)
def test_garbage_in_a_consequence_section_is_a_scenario_error_never_a_crash(place, value):
    import yaml

    from sim.scenario.loader import ScenarioError, load_scenario_text

    raw = yaml.safe_load((DATA / "minimal.yaml").read_text())
    if place == "decision_when":
        raw["decisions"][1]["when"] = value
    elif place == "option_effects":
        raw["decisions"][0]["options"][0]["effects"] = value
    elif place == "inject_when":
        raw["injects"][1]["when"] = value
    else:
        raw[place] = value if isinstance(value, list) else [value]
    try:
        load_scenario_text(yaml.safe_dump(raw))
    except ScenarioError as error:
        assert error.problems


TEMPORARY = st.tuples(
    st.sampled_from(["set", "add", "scale"]),
    st.floats(min_value=-50, max_value=50, allow_nan=False).map(lambda x: round(x, 3)),
    st.integers(min_value=1, max_value=300),
)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**16),
    initial=st.floats(min_value=-10, max_value=10, allow_nan=False).map(lambda x: round(x, 3)),
    effects=st.lists(TEMPORARY, min_size=1, max_size=6),
    hazard=st.booleans(),
)
def test_temporary_effects_of_a_repeatable_decision_restore_exactly_and_stay_in_bounds(seed, initial, effects, hazard):
    """Every change is `for` at most 5 h and the decision re-opens every 6 h: each time it is taken
    again the variable is back at exactly its initial value, and it never leaves its bounds."""
    from sim.scenario.loader import load_scenario_text

    listed = []
    for op, amount, minutes in effects:
        key = "factor" if op == "scale" else "value"
        listed.append({"kind": op, "state": "x", key: abs(amount) if op == "scale" else amount, "for": f"{minutes}m"})
    scenario = {
        "scenario": {"id": "p", "title": "P", "start": "2027-04-05T06:00:00+09:00", "horizon": "3d"},
        "agencies": [{"id": "hq", "name": "HQ", "kind": "executive"}],
        "state": [{"id": "x", "initial": initial, "min": -20, "max": 20}],
        "decisions": [
            {
                "id": "d",
                "title": "D",
                "owner": "hq",
                "delay": {"kind": "uniform", "low": 1, "high": 60},
                "repeat": "6h",
                "options": [{"id": "a", "label": "A", "effects": listed}],
            }
        ],
    }
    if hazard:  # a hazard changing the same variable for a while, on its own stream
        scenario["hazards"] = [
            {"id": "h", "title": "H", "rate": 4, "effects": [{"kind": "add", "state": "x", "value": 3, "for": "30m"}]}
        ]
    import json

    result = Simulation(load_scenario_text(json.dumps(scenario)), seed=seed).run()
    changes = [e for e in result.events if e.kind == Kind.state_changed]
    assert all(-20 <= e.data["value"] <= 20 for e in changes)
    if not hazard:
        for taken in (e.time for e in result.events if e.kind == Kind.decision_taken):
            first = next(e for e in changes if e.time == taken and e.source.startswith("decision:"))
            assert first.data["previous"] == initial


WORLD = """
scenario: {id: w, title: W, start: "2027-04-05T06:00:00+09:00", horizon: 2d}
agencies:
  - {id: hq, name: HQ, kind: executive, role: Commander}
  - {id: cell, name: Cell, kind: secretariat, parent: hq, relay: true, handling: 5m}
  - {id: field, name: Field, kind: municipality, parent: hq, handling: 10m, hours: {open: "08:00", close: "20:00"}}
channels:
  - {id: hq_cell, from: hq, to: cell, latency: {kind: uniform, low: 1m, high: 9m}, reliability: 0.8, retry: 5m}
  - {id: cell_field, from: cell, to: field, latency: 5m}
state:
  - {id: tension, initial: 1, min: 0, max: 4}
decisions:
  - id: posture
    title: Set the posture
    owner: hq
    delay: {kind: uniform, low: 10m, high: 2h}
    repeat: 8h
    notify: [field]
    options:
      - {id: up, label: Up, effects: [{kind: add, state: tension, value: 1, for: 6h}, {kind: agency, agencies: [field], staff: 3, for: 4h}]}
      - {id: down, label: Down, effects: [{kind: channel, channels: [hq_cell], latency_factor: 3, reliability: 0.5, for: 3h}]}
hazards:
  - id: outage
    title: Outage
    rate: {state: tension, per_day: 0, per_unit: 2}
    effects: [{kind: channel, agencies: [cell], latency_factor: 2, for: 1h}, {kind: tell, to: [field], synopsis: Outage.}]
injects:
  - id: surge
    on_demand: true
    to: [hq]
    synopsis: Surge.
    effects: [{kind: agency, agencies: [field], hours: {open: "00:00", close: "24:00"}, for: 12h}]
"""


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    minutes=st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=4),
    option=st.sampled_from(["up", "down"]),
)
def test_world_effects_repeatable_decisions_and_hazards_replay_exactly(seed, minutes, option):
    """A session with a person answering a repeatable decision and hand-fired agency effects replays
    to the byte-identical stream; the same seed without people is byte-identical too; state stays in bounds."""
    from sim.scenario.loader import load_scenario_text
    from sim.simulation import DecisionError

    scenario = load_scenario_text(WORLD)
    assert [e.to_json() for e in Simulation(scenario, seed=seed).run().events] == [
        e.to_json() for e in Simulation(scenario, seed=seed).run().events
    ]
    live = Simulation(scenario, seed=seed, human_roles={"hq"})
    for minute in sorted(minutes):
        live.advance(minute)
        try:
            live.decide("posture", option, "hq")
        except DecisionError:
            live.apply(scenario.inject("surge"))
    live.advance(scenario.scenario.horizon)
    replay = Simulation(scenario, seed=seed, human_roles={"hq"})
    for item in live.inputs:
        replay.replay_input(item)
    replay.advance(scenario.scenario.horizon)
    assert [e.to_json() for e in replay.events] == [e.to_json() for e in live.events]
    assert all(0 <= e.data["value"] <= 4 for e in live.events if e.kind == Kind.state_changed)


CHANGE = st.tuples(
    st.sampled_from(["set", "add", "scale"]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.booleans(),  # temporary?
)


@settings(max_examples=200, deadline=None)
@given(
    initial=st.floats(min_value=-100, max_value=100, allow_nan=False),
    changes=st.lists(CHANGE, max_size=12),
    order=st.randoms(use_true_random=False),
)
def test_ending_every_temporary_change_leaves_exactly_the_permanent_ones(initial, changes, order):
    """Whatever the mix and the order temporary changes end in, the value is then exactly what the
    permanent changes alone give (a permanent `set` ends the temporary changes made before it),
    and it is within the bounds at every step."""
    from sim.domain.state import Adjustable, combine

    low, high = -1000.0, 1000.0
    setting = Adjustable(initial, low, high)
    expected = initial
    tokens = []
    for n, (op, amount, temporary) in enumerate(changes):
        if temporary:
            setting.change(op, amount, token=n)
            tokens.append(n)
        else:
            setting.change(op, amount)
            expected = min(high, max(low, combine(op, expected, amount)))
        assert low <= setting.value() <= high
    order.shuffle(tokens)
    for token in tokens:
        setting.remove(token)
        assert low <= setting.value() <= high
    assert setting.value() == expected
    assert setting.modifiers == []
