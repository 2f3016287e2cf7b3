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
