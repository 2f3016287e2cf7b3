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
    """The bundled scenario without its adversary, so that only the effects under test close anything."""
    return load_scenario(ROOT / "scenarios" / "sakishima.yaml", reforms=["unthreatened"])


def inject(*effects, to=("okinawa_pref",), ident="x1"):
    return Inject.model_validate(
        {"id": ident, "on_demand": True, "to": list(to), "synopsis": "test", "effects": list(effects)}
    )


ISHIGAKI_AIR = ["ishigaki_air_b787", "ishigaki_air_b737"]
"""New Ishigaki Airport's flights on the movement network (one link per aircraft type)."""
MIYAKO_AIR = ["miyako_air_b787", "miyako_air_b737"]


def departures(events, links, start, end):
    return [e for e in events if e.kind == Kind.cohort_departed and e.data["link"] in links and start <= e.time < end]


def moves(result):
    """What the people did: every cohort's departures and arrivals (when, who, where, how many)."""
    return [
        (e.time, e.kind, e.source, e.target, e.data)
        for e in result.events
        if e.kind in (Kind.cohort_departed, Kind.cohort_arrived)
    ]


def test_close_without_for_holds_until_an_open_effect(sakishima):
    """`close` with no duration keeps an airport shut (no flights for days) until `open` reopens it."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(125 * HOUR)
    assert departures(sim.events, ISHIGAKI_AIR, 0, 125 * HOUR)
    sim.apply(inject({"kind": "close", "places": ISHIGAKI_AIR}))
    sim.advance(170 * HOUR)
    assert departures(sim.events, ISHIGAKI_AIR, 125 * HOUR, 170 * HOUR) == []
    assert departures(sim.events, MIYAKO_AIR, 125 * HOUR, 170 * HOUR)  # the other airports keep flying
    sim.apply(inject({"kind": "open", "places": ISHIGAKI_AIR}, ident="x2"))
    sim.advance(200 * HOUR)
    assert departures(sim.events, ISHIGAKI_AIR, 170 * HOUR, 200 * HOUR)
    closed = [e for e in sim.events if e.kind == Kind.leg_closed and e.source.startswith("inject:")]
    reopened = [e for e in sim.events if e.kind == Kind.leg_reopened and e.source.startswith("inject:")]
    assert [(e.time, e.source, sorted(e.data["legs"]), e.data["hours"]) for e in closed] == [
        (125 * HOUR, "inject:x1", sorted(ISHIGAKI_AIR), None)
    ]
    assert [(e.time, e.source, sorted(e.data["legs"])) for e in reopened] == [
        (170 * HOUR, "inject:x2", sorted(ISHIGAKI_AIR))
    ]


def test_close_for_a_while_restores_exactly(sakishima):
    """`close ... for: 24h` gives the very run of a `close` and an `open` 24 h later: nothing is left
    of the closure once it ends; flights stop for exactly those 24 h."""

    def run(*timed):
        sim = Simulation(sakishima, seed=1)
        for n, (hours, effect) in enumerate(timed):
            sim.advance(hours * HOUR)
            sim.apply(inject(effect, ident=f"x{n}"))
        return sim.run()

    timed = run((125, {"kind": "close", "places": ISHIGAKI_AIR, "for": "24h"}))
    by_hand = run((125, {"kind": "close", "places": ISHIGAKI_AIR}), (149, {"kind": "open", "places": ISHIGAKI_AIR}))
    assert moves(timed) == moves(by_hand)
    assert departures(timed.events, ISHIGAKI_AIR, 125 * HOUR, 149 * HOUR) == []
    assert departures(timed.events, ISHIGAKI_AIR, 149 * HOUR, 160 * HOUR)
    reopened = [e for e in timed.events if e.kind == Kind.leg_reopened and e.source == "inject:x0"]
    assert [(e.time, sorted(e.data["legs"])) for e in reopened] == [(149 * HOUR, sorted(ISHIGAKI_AIR))]


def test_a_closure_of_everything_delays_completion_and_is_logged(sakishima):
    """A two-day typhoon closing every link and place a day into the movement: nobody flies or sails
    meanwhile, the islands clear at least a day and a half later, and the closure and the reopening
    are each logged once."""
    plain = Simulation(sakishima, seed=1).run()
    start = next(e.time for e in plain.events if e.kind == Kind.movement_started)
    sim = Simulation(sakishima, seed=1)
    sim.advance(start + 24 * HOUR)
    sim.apply(inject({"kind": "close", "mode": "all", "for": "2d"}))
    result = sim.run()
    assert result.metrics["movement"]["moved"] == result.metrics["movement"]["population"]
    delayed, before = result.metrics["evacuation.completion_hours"], plain.metrics["evacuation.completion_hours"]
    assert delayed >= before + 36
    closed_from, closed_to = start + 24 * HOUR, start + 72 * HOUR
    lift = [e for e in result.events if e.kind == Kind.cohort_departed and e.data["mode"] in ("air", "sea")]
    assert lift and not [e for e in lift if closed_from < e.time < closed_to]
    mine = [e for e in result.events if e.kind in (Kind.leg_closed, Kind.leg_reopened) and e.source == "inject:x1"]
    assert [(e.kind, e.time) for e in mine] == [(Kind.leg_closed, closed_from), (Kind.leg_reopened, closed_to)]


def test_the_same_seed_and_effects_give_the_same_run(sakishima):
    """Same seed, same effects at the same times: the same events, byte for byte."""

    def once():
        sim = Simulation(sakishima, seed=7)
        sim.advance(80 * HOUR)
        sim.apply(inject({"kind": "close", "mode": "air", "places": MIYAKO_AIR, "for": "10h"}))
        return [e.to_json() for e in sim.run().events]

    assert once() == once()


def test_stop_movement_halts_turnout_and_start_lifts_it(sakishima):
    """`movement: stop` keeps an area's people at home even once its guidelines are issued; `start`
    lets them go at once. Both are logged."""
    ishigaki = {p.id for p in sakishima.movement.populations if p.area == "ishigaki"}
    sim = Simulation(sakishima, seed=1)
    sim.apply(inject({"kind": "movement", "action": "stop", "areas": ["ishigaki"]}))
    sim.advance(100 * HOUR)
    assert [e for e in sim.events if e.kind == Kind.decision_taken and e.target == "guidelines_ishigaki"]
    assert not [e for e in sim.events if e.kind == Kind.cohort_departed and e.source in ishigaki]
    sim.apply(inject({"kind": "movement", "action": "start", "areas": ["ishigaki"]}, ident="x2"))
    sim.advance(101 * HOUR)
    left = [e.time for e in sim.events if e.kind == Kind.cohort_departed and e.source in ishigaki]
    assert left and min(left) <= 100 * HOUR + 30  # within a turnout batch (10 min) and the ride to the buses
    changed = [(e.source, e.data["action"], e.data["areas"]) for e in sim.events if e.kind == Kind.movement_changed]
    assert changed == [("inject:x1", "stop", ["ishigaki"]), ("inject:x2", "start", ["ishigaki"])]


def test_a_stop_in_the_middle_of_turnout_holds_it_for_its_duration(sakishima):
    """`movement: stop` for 6 h at 10:00 on Ishigaki's first day of turnout: once the few people already at
    the registration centre have left, nobody else comes and leaves it until the stop ends; then they do
    again, in the same hour."""
    ishigaki = {p.id for p in sakishima.movement.populations if p.area == "ishigaki"}
    sim = Simulation(sakishima, seed=1)
    sim.advance(76 * HOUR)  # T+0 is 06:00: D+3 10:00, inside the turnout hours (07:00-20:00)
    sim.apply(inject({"kind": "movement", "action": "stop", "areas": ["ishigaki"], "for": "6h"}))
    result = sim.run()
    left = [
        e.time
        for e in result.events
        if e.kind == Kind.cohort_departed and e.source in ishigaki and e.data["origin"] == "ishigaki_centre"
    ]
    assert [t for t in left if 72 * HOUR <= t < 76 * HOUR]
    assert not [t for t in left if 78 * HOUR <= t < 82 * HOUR]
    assert [t for t in left if 82 * HOUR <= t < 83 * HOUR]


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


SAKISHIMA_TEXT = (ROOT / "scenarios" / "sakishima.yaml").read_text(encoding="utf-8")


def with_compliance(initial: float):
    """Sakishima (unthreatened) with the `compliance` variable its turnouts scale by starting at `initial`."""
    import yaml

    raw = yaml.safe_load(SAKISHIMA_TEXT)
    next(v for v in raw["state"] if v["id"] == "compliance")["initial"] = initial
    return load_scenario_text(yaml.safe_dump(raw, sort_keys=False), reforms=["unthreatened"])


def test_turnout_scaled_by_compliance_slows_the_evacuation(sakishima):
    """The towns' turnout is scaled by the state variable the scenario names (`scale: compliance`):
    at 0.5 half as many people an hour reach registration, and the islands clear over a day later.
    (A hub's capacity scaled by a variable, the island model's `capacity_scale`, has no network
    equivalent yet.)"""
    assert {p.turnout.scale for p in sakishima.movement.populations if p.class_ == "residents"} == {"compliance"}
    full = Simulation(sakishima, seed=1).run().metrics["evacuation.completion_hours"]
    half = Simulation(with_compliance(0.5), seed=1).run().metrics["evacuation.completion_hours"]
    assert half > full + 24


def test_wiring_to_an_unknown_variable_is_a_validation_error():
    """A turnout scaled by a variable the scenario does not declare is refused at its line."""
    text = SAKISHIMA_TEXT.replace("scale: compliance", "scale: complience", 1)
    line = SAKISHIMA_TEXT[: SAKISHIMA_TEXT.index("scale: compliance")].count("\n") + 1
    with pytest.raises(ScenarioError) as error:
        load_scenario_text(text, "x.yaml")
    assert f"x.yaml:{line}:" in str(error.value)
    assert "turnout.scale: unknown state variable 'complience' (did you mean 'compliance'?)" in str(error.value)


def test_an_early_open_reports_the_reopening_once(sakishima):
    """`close for 24h`, then `open` after 2 h: one leg_reopened (at the open), none when the 24 h end."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(125 * HOUR)
    sim.apply(inject({"kind": "close", "places": ISHIGAKI_AIR, "for": "24h"}))
    sim.advance(127 * HOUR)
    sim.apply(inject({"kind": "open", "places": ISHIGAKI_AIR}, ident="x2"))
    sim.advance(160 * HOUR)
    reopened = [(e.time, e.source) for e in sim.events if e.kind == Kind.leg_reopened and e.source.startswith("inject")]
    assert reopened == [(127 * HOUR, "inject:x2")]
    assert departures(sim.events, ISHIGAKI_AIR, 127 * HOUR, 149 * HOUR)
