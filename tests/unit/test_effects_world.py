"""Effects beyond state: places, channels, agencies, movement and messages, for a while or until changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.events import Kind
from sim.scenario.loader import ScenarioError, load_scenario, load_scenario_text
from sim.scenario.schema import Inject
from sim.simulation import Simulation

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
HOUR = 60.0


@pytest.fixture(scope="module")
def sakishima():
    return load_scenario(ROOT / "scenarios" / "sakishima.yaml")


def inject(*effects, to=("okinawa_pref",), ident="x1"):
    return Inject.model_validate(
        {"id": ident, "on_demand": True, "to": list(to), "synopsis": "test", "effects": list(effects)}
    )


def departures(events, leg, start, end):
    return [e for e in events if e.kind == Kind.departed and e.data["leg"] == leg and start <= e.time < end]


def test_close_without_for_holds_until_an_open_effect(sakishima):
    """`close` with no duration keeps a hub shut (no departures for days) until `open` reopens it."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(125 * HOUR)
    assert departures(sim.events, "ishigaki_air", 0, 125 * HOUR)
    sim.apply(inject({"kind": "close", "places": ["ishigaki_air"]}))
    sim.advance(170 * HOUR)
    assert departures(sim.events, "ishigaki_air", 125 * HOUR, 170 * HOUR) == []
    assert departures(sim.events, "miyako_air", 125 * HOUR, 170 * HOUR)  # other hubs keep flying
    sim.apply(inject({"kind": "open", "places": ["ishigaki_air"]}, ident="x2"))
    sim.advance(200 * HOUR)
    assert departures(sim.events, "ishigaki_air", 170 * HOUR, 200 * HOUR)
    closed = [e for e in sim.events if e.kind == Kind.leg_closed]
    reopened = [e for e in sim.events if e.kind == Kind.leg_reopened]
    assert [(e.source, e.data["legs"], e.data["hours"]) for e in closed] == [("inject:x1", ["ishigaki_air"], None)]
    assert [(e.time, e.source, e.data["legs"]) for e in reopened] == [(170 * HOUR, "inject:x2", ["ishigaki_air"])]


def test_close_for_a_while_restores_exactly_and_the_older_closure_is_the_same_mechanism(sakishima):
    """`close ... for: 24h` and the older `closure ... duration: 24h` give the same run."""

    def run(effect):
        sim = Simulation(sakishima, seed=1)
        sim.advance(125 * HOUR)
        sim.apply(inject(effect))
        return sim.run()

    new = run({"kind": "close", "places": ["ishigaki"], "mode": "air", "for": "24h"})
    old = run({"kind": "closure", "places": ["ishigaki"], "mode": "air", "duration": "24h"})
    assert new.metrics["evacuation"] == old.metrics["evacuation"]
    assert departures(new.events, "ishigaki_air", 125 * HOUR + 1, 149 * HOUR) == []
    reopened = [e for e in new.events if e.kind == Kind.leg_reopened]
    assert [(e.time, e.data["legs"]) for e in reopened] == [(149 * HOUR, ["ishigaki_air", "rac_yonaguni"])]


def test_stop_movement_halts_turnout_and_start_lifts_it(sakishima):
    """`movement: stop` keeps an area's people at home; `start` lets them go again."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(112 * HOUR)
    sim.apply(inject({"kind": "movement", "action": "stop", "areas": ["ishigaki"]}))
    at_home = next(m for m in sim.view().evacuation.municipalities if m.id == "ishigaki").at_home
    assert at_home > 0
    sim.advance(140 * HOUR)
    assert next(m for m in sim.view().evacuation.municipalities if m.id == "ishigaki").at_home == at_home
    sim.apply(inject({"kind": "movement", "action": "start", "areas": ["ishigaki"]}, ident="x2"))
    sim.advance(150 * HOUR)
    assert next(m for m in sim.view().evacuation.municipalities if m.id == "ishigaki").at_home < at_home
    changed = [(e.source, e.data["action"], e.data["areas"]) for e in sim.events if e.kind == Kind.movement_changed]
    assert changed == [("inject:x1", "stop", ["ishigaki"]), ("inject:x2", "start", ["ishigaki"])]


CHANNELS = """
scenario: {id: c, title: C, start: "2027-04-05T06:00:00+09:00", horizon: 2d}
agencies:
  - {id: hq, name: HQ, kind: executive}
  - {id: field, name: Field office, kind: municipality, parent: hq, handling: 10m}
channels:
  - {id: line, from: hq, to: field, latency: 20m}
decisions:
  - {id: order, title: Give the order, owner: hq, delay: 1h, options: [{id: go, label: Go}], notify: [field]}
injects:
  - id: cyber
    at: 30m
    to: [hq]
    synopsis: The line is attacked.
    effects: [{kind: channel, channels: [line], latency_factor: 3, for: 2h}]
"""


def test_channel_latency_factor_applies_for_its_duration_then_restores():
    """A message sent while the line is three times slower takes 60 min instead of 20; later ones 20 again."""
    scenario = load_scenario_text(CHANNELS)
    result = Simulation(scenario, seed=1).run()
    sent = next(e for e in result.events if e.kind == Kind.message_sent)
    delivered = next(e for e in result.events if e.kind == Kind.message_delivered)
    assert (sent.time, delivered.time) == (60.0, 120.0)
    changes = [(e.time, e.data["change"]) for e in result.events if e.kind == Kind.channel_changed]
    assert changes == [(30.0, "set"), (150.0, "restore")]
    late = load_scenario_text(CHANNELS.replace("delay: 1h", "delay: 3h"))
    result = Simulation(late, seed=1).run()
    sent = next(e for e in result.events if e.kind == Kind.message_sent)
    delivered = next(e for e in result.events if e.kind == Kind.message_delivered)
    assert delivered.time - sent.time == 20.0


def test_agency_staff_and_hours_change_until_changed_again():
    """Hours of 20:00-20:01 hold an agency's messages; when they end (3 h later) the message is handled at once."""
    text = CHANNELS.replace(
        "effects: [{kind: channel, channels: [line], latency_factor: 3, for: 2h}]",
        'effects: [{kind: agency, agencies: [field], staff: 4, hours: {open: "20:00", close: "20:01"}, for: 3h}]',
    )
    result = Simulation(load_scenario_text(text), seed=1).run()
    changed = [
        (e.time, e.target, e.data["staff"], e.data["hours"]) for e in result.events if e.kind == Kind.agency_changed
    ]
    assert changed == [(30.0, "field", 4, [1200.0, 1201.0]), (210.0, "field", 2, None)]
    handled = next(e for e in result.events if e.kind == Kind.message_handled and e.source == "field")
    assert handled.time == 210.0 + 10.0  # woken when the hours came back, then 10 min handling


def test_tell_delivers_a_message_into_the_inbox():
    text = CHANNELS.replace(
        "effects: [{kind: channel, channels: [line], latency_factor: 3, for: 2h}]",
        "effects: [{kind: tell, from: hq, to: [field], synopsis: Stand by for orders.}]",
    )
    sim = Simulation(load_scenario_text(text), seed=1)
    sim.advance(5 * HOUR)
    told = [e for e in sim.events if e.kind == Kind.told]
    assert [(e.time, e.source, e.data["to"], e.data["synopsis"]) for e in told] == [
        (30.0, "inject:cyber", ["field"], "Stand by for orders.")
    ]
    assert ("message", "inject:cyber#1") in [(row[1], row[2]) for row in sim.inbox("field")]


def test_unknown_targets_are_refused_by_validate_with_line_numbers():
    text = CHANNELS.replace("channels: [line]", "channels: [lien]")
    with pytest.raises(ScenarioError) as error:
        load_scenario_text(text, "x.yaml")
    assert str(error.value) == (
        "x.yaml:15:42: injects.0.effects.0.channels.0: unknown channel 'lien' (did you mean 'line'?) "
        "(channels are named by their id:)"
    )


def test_hand_built_inject_with_unknown_place_is_refused_before_recording(sakishima):
    sim = Simulation(sakishima, seed=1)
    with pytest.raises(ValueError, match="unknown place 'atlantis'"):
        sim.apply(inject({"kind": "close", "places": ["atlantis"]}))
    assert sim.inputs == ()


def wired(extra_state, hub_scale=None, turnout_scale=None):
    """Sakishima with state variables wired to its movement model."""
    import yaml

    raw = yaml.safe_load((ROOT / "scenarios" / "sakishima.yaml").read_text(encoding="utf-8"))
    raw["state"] = [*raw.get("state", []), *extra_state]
    for hub in raw["evacuation"]["hubs"]:
        if hub["id"] == "ishigaki_air" and hub_scale:
            hub["capacity_scale"] = hub_scale
    for municipality in raw["evacuation"]["municipalities"]:
        if turnout_scale:
            municipality["turnout"]["scale"] = turnout_scale
    return load_scenario_text(yaml.safe_dump(raw, sort_keys=False))


def test_hub_capacity_scale_reads_the_state_variable_the_scenario_names():
    """`capacity_scale: airspace_open`: at 0 the hub is closed, back at 1 it flies; at 0.5 half the flights a day."""
    scenario = wired([{"id": "airspace_open", "initial": 1, "min": 0, "max": 1}], hub_scale="airspace_open")
    sim = Simulation(scenario, seed=1)
    sim.advance(125 * HOUR)
    sim.apply(inject({"kind": "set", "state": "airspace_open", "value": 0, "for": "24h"}))
    sim.advance(149 * HOUR)
    assert departures(sim.events, "ishigaki_air", 125 * HOUR + 1, 149 * HOUR) == []
    sim.advance(160 * HOUR)
    assert departures(sim.events, "ishigaki_air", 149 * HOUR, 160 * HOUR)
    closed = [(e.time, e.source, e.data["legs"]) for e in sim.events if e.kind == Kind.leg_closed]
    assert closed == [(125 * HOUR, "state:airspace_open", ["ishigaki_air"])]

    full = Simulation(scenario, seed=1).run().metrics["evacuation"]["hubs"]["ishigaki_air"]
    half = wired([{"id": "airspace_open", "initial": 0.5, "min": 0, "max": 1}], hub_scale="airspace_open")
    halved = Simulation(half, seed=1).run().metrics["evacuation"]["hubs"]["ishigaki_air"]
    cap = max(halved["daily"])
    assert cap < full["mean_per_full_day"] * 0.6


def test_turnout_scale_slows_the_evacuation():
    """Turnout scaled by `compliance` 0.5 clears the islands later than at 1."""
    fast = wired([{"id": "compliance", "initial": 1, "min": 0, "max": 1}], turnout_scale="compliance")
    slow = wired([{"id": "compliance", "initial": 0.5, "min": 0, "max": 1}], turnout_scale="compliance")
    a = Simulation(fast, seed=1).run().metrics["evacuation"]["completion_hours"]
    b = Simulation(slow, seed=1).run().metrics["evacuation"]["completion_hours"]
    assert b > a + 24


def test_wiring_to_an_unknown_variable_is_a_validation_error():
    with pytest.raises(ScenarioError, match="capacity_scale: unknown state variable 'airspace'"):
        wired([{"id": "airspace_open", "initial": 1}], hub_scale="airspace")


def test_an_early_open_reports_the_reopening_once(sakishima):
    """`close for 24h`, then `open` after 2 h: one leg_reopened (at the open), none when the 24 h end."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(125 * HOUR)
    sim.apply(inject({"kind": "close", "places": ["ishigaki_air"], "for": "24h"}))
    sim.advance(127 * HOUR)
    sim.apply(inject({"kind": "open", "places": ["ishigaki_air"]}, ident="x2"))
    sim.advance(160 * HOUR)
    reopened = [(e.time, e.source) for e in sim.events if e.kind == Kind.leg_reopened]
    assert reopened == [(127 * HOUR, "inject:x2")]
    assert departures(sim.events, "ishigaki_air", 127 * HOUR, 149 * HOUR)
