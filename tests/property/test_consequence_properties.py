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
