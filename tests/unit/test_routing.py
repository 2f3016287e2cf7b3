"""Messages take declared channels, else climb the chain of command; reforms shorten routes."""

from __future__ import annotations

import simpy

from sim.domain.comms import Network
from sim.engine.streams import RandomStreams


def _network(scenario):
    env = simpy.Environment()
    return Network(env, scenario, RandomStreams(1), lambda *a, **k: None, lambda: env.now, lambda *a: None)


def test_direct_channel_is_one_hop(sakishima):
    assert _network(sakishima).route("okinawa_pref", "ishigaki") == ["ishigaki"]


def test_instruction_to_governor_goes_through_mic(sakishima):
    """The PM reaches Okinawa through MIC (Civil Protection Law), not directly."""
    route = _network(sakishima).route("pm", "okinawa_pref")
    assert route[-1] == "okinawa_pref" and "mic_fdma" in route


def test_us_request_travels_through_the_alliance_mechanism(sakishima):
    """USFJ has no line to the Kantei: its request goes through ACM layers."""
    route = _network(sakishima).route("usfj", "pm")
    assert route[-1] == "pm"
    assert {"acm_bocc", "acm_acg"} & set(route)


EXPLICIT = """
scenario: {id: r, title: R, start: "2027-04-05T06:00:00+09:00", horizon: 1d}
agencies:
  - {id: top, name: Top, kind: executive}
  - {id: left, name: Left, kind: ministry, parent: top, handling: 10m}
  - {id: right, name: Right, kind: ministry, parent: top, handling: 10m}
  - {id: hub, name: Hub, kind: secretariat, parent: top, handling: 1m}
channels:
  - {id: left_hub, from: left, to: hub, latency: 1m}
  - {id: hub_right, from: hub, to: right, latency: 1m}
  - {id: left_right, from: left, to: right, latency: 5m, carries: [alert]}
routing: {hierarchy_latency: 2h}
decisions:
  - {id: alert, title: Alert, owner: left, delay: 1h, options: [{id: sent, label: Sent}], notify: [right]}
"""


def _explicit(text=EXPLICIT):
    from sim.scenario.loader import load_scenario_text

    return _network(load_scenario_text(text))


def test_a_fast_channel_is_no_relay_unless_declared():
    """left -> hub -> right is fastest, but hub is no relay: the message climbs the chain instead."""
    assert _explicit().route("left", "right", "order") == ["top", "right"]
    relayed = EXPLICIT.replace("kind: secretariat,", "kind: secretariat, relay: true,")
    assert _explicit(relayed).route("left", "right", "order") == ["hub", "right"]


def test_a_channel_carries_only_what_it_says():
    network = _explicit()
    assert network.route("left", "right", "alert") == ["right"]
    assert network.route("left", "right", "order") == ["top", "right"]


def test_the_chain_of_command_relays_up_and_down():
    """left's parent passes a message down to its other child without being declared a relay."""
    assert _explicit().route("left", "top", None) == ["top"]
    assert _explicit().route("right", "left", "x") == ["top", "left"]


def test_bundled_relays_keep_the_calibrated_routes(sakishima):
    """The routes Sakishima's messages take are those of the calibration (relays declared on the hubs)."""
    network = _network(sakishima)
    assert network.route("usfj", "nss") == ["acm_bocc", "jjoc", "mod", "nss"]
    assert network.route("pm", "okinawa_pref") == ["kantei_crisis_center", "mic_fdma", "okinawa_pref"]
    assert network.route("jcg_hq", "jjoc") == ["kantei_crisis_center", "mod", "jjoc"]


def test_carries_names_decisions_or_injects_validate_says_where():
    import pytest

    from sim.scenario.loader import ScenarioError, load_scenario_text

    with pytest.raises(ScenarioError) as error:
        load_scenario_text(EXPLICIT.replace("carries: [alert]", "carries: [alrt]"), "r.yaml")
    assert (
        str(error.value)
        == "r.yaml:11:68: channels.2.carries.0: unknown decision or inject 'alrt' (did you mean 'alert'?)"
    )


def test_an_inject_reaches_only_whom_it_names_and_their_declared_forwards():
    """The warning goes to `left`; `left` forwards injects to `right`, so right's decision comes up;
    without `forwards:` it never does (and validate says so)."""
    from sim.events import Kind
    from sim.scenario.loader import load_scenario_text
    from sim.scenario.logic import logic_warnings
    from sim.simulation import Simulation

    text = (
        EXPLICIT
        + """injects:
  - {id: warning, at: 10m, to: [left], synopsis: Storm warning.}
"""
    )
    text = text.replace(
        "decisions:\n",
        "decisions:\n  - {id: brace, title: Brace, owner: right, requires: [{inject: warning}], delay: 5m,"
        " options: [{id: done, label: Done}]}\n",
    )
    forwarded = load_scenario_text(
        text.replace("kind: ministry, parent: top,", "kind: ministry, parent: top, forwards: [right],", 1)
    )
    result = Simulation(forwarded, seed=1).run()
    assert [e.target for e in result.events if e.kind == Kind.decision_taken and e.target == "brace"] == ["brace"]
    assert logic_warnings(forwarded) == []
    alone = load_scenario_text(text)
    result = Simulation(alone, seed=1).run()
    assert [e for e in result.events if e.kind == Kind.decision_pending and e.target == "brace"] == []
    assert "decision 'brace' can never come up" in logic_warnings(alone)[0].message
