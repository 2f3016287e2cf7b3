"""Hostile but valid-looking scenarios (issue 10): each one a single change to the
bundled scenario that used to pass `validate` and then hang or crash `run`, or
that made `validate` itself run away. Now each is refused at FILE:LINE:COL, or
runs, or stops with one `ModelError` sentence; never an internal exception.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.engine.bus import EventBus
from sim.errors import ModelError
from sim.events import Kind
from sim.scenario import loader
from sim.scenario.loader import ScenarioError, load_scenario, load_scenario_text, read_scenario_text
from sim.scenario.schema import Inject, Scenario
from sim.scenario.types import Fixed
from sim.simulation import InputError, Simulation

BUNDLED = Path(__file__).resolve().parents[2] / "scenarios" / "sakishima.yaml"
TEXT = BUNDLED.read_text(encoding="utf-8")
RAW = yaml.safe_load(TEXT)
SCENARIO = load_scenario(BUNDLED)


def _mutated(changes: dict[str, Any]) -> str:
    """The bundled scenario as YAML text with `changes` (dotted path -> value) applied."""
    raw = yaml.safe_load(TEXT)
    for path, value in changes.items():
        node = raw
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


VEHICLES = next(i for i, link in enumerate(RAW["movement"]["links"]) if "vehicles" in link)
"""A link of the movement network run by vehicles (a ferry)."""
FLOW = next(i for i, link in enumerate(RAW["movement"]["links"]) if "per_hour" in link)
"""A link of the movement network with a flow limit (registration, buses and security)."""

# Each case: the change, and the dotted path at which validation must refuse it.
REFUSED = {
    "channel that never delivers, retried at once": (
        {"channels.0.reliability": 0, "channels.0.retry": "0m", "channels.0.latency": "0m"},
        "channels.0.reliability",
    ),
    "unreliable channel retried at once": (
        {"channels.0.reliability": 0.5, "channels.0.retry": "0m", "channels.0.latency": "0m"},
        "channels.0",
    ),
    "thousand-year horizon": ({"scenario.horizon": "365000d"}, "scenario"),
    "infinite scale factor": (
        {"injects.0.effects": [{"kind": "scale", "state": "compliance", "factor": math.inf, "for": "1h"}]},
        "injects.0.effects.0.factor",
    ),
    "infinite option probability": (
        {"decisions.0.options.0.probability": math.inf},
        "decisions.0.options.0.probability",
    ),
    "two probabilities of 1e308": (
        {"decisions.0.options.0.probability": 1e308, "decisions.0.options.1.probability": 1e308},
        "decisions.0.options.0.probability",
    ),
    "a million vehicles on a link": (
        {f"movement.links.{VEHICLES}.vehicles.count": 1_000_000},
        f"movement.links.{VEHICLES}.vehicles.count",
    ),
    "a billion seats a vehicle": (
        {f"movement.links.{VEHICLES}.vehicles.seats": 10**9},
        f"movement.links.{VEHICLES}.vehicles.seats",
    ),
    "an infinite flow limit": ({f"movement.links.{FLOW}.per_hour": math.inf}, f"movement.links.{FLOW}.per_hour"),
    "a billion people": ({"movement.populations.0.people": 10**9}, "movement.populations.0.people"),
    "a million cohorts": ({"movement.populations.0.cohorts": 10**6}, "movement.populations.0.cohorts"),
    "an infinite turnout": (
        {"movement.populations.0.turnout.per_hour": math.inf},
        "movement.populations.0.turnout.per_hour",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_validate_refuses_values_that_cannot_run(name: str) -> None:
    """Each value that used to validate and then hang or crash is refused at its own line."""
    changes, path = REFUSED[name]
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(_mutated(changes), "hostile.yaml")
    problems = caught.value.problems
    assert any(p.path == path for p in problems), str(caught.value)
    assert all(p.line > 1 and p.file == "hostile.yaml" for p in problems), str(caught.value)
    assert "Error" not in str(caught.value)  # a sentence, not an exception name


def test_bundled_scenario_still_validates_and_runs() -> None:
    """The new rules leave the bundled scenario alone."""
    result = Simulation(SCENARIO, seed=1).run()
    assert result.metrics["evacuation.completion_hours"] is not None


# -- the engine's own guards: a scenario that bypassed validation (built in code) --------------


def _spinning_channel() -> Scenario:
    channel = SCENARIO.channels[0].model_copy(update={"reliability": 0.0, "retry": 0.0, "latency": Fixed(value=0.0)})
    return SCENARIO.model_copy(update={"channels": [channel, *SCENARIO.channels[1:]]})


def _long_horizon() -> Scenario:
    metadata = SCENARIO.scenario.model_copy(update={"horizon": 365000 * 1440.0})
    return SCENARIO.model_copy(update={"scenario": metadata})


ENGINE_GUARDS = {
    "zero-time retry loop": (_spinning_channel, "message retries on a channel"),
    "thousand-year horizon": (_long_horizon, "horizon"),
}


@pytest.mark.parametrize("name", list(ENGINE_GUARDS))
def test_engine_stops_unrunnable_models_with_one_sentence(name: str) -> None:
    """Whatever the schema lets through, the run ends with a ModelError naming the part of the model."""
    build, phrase = ENGINE_GUARDS[name]
    with pytest.raises(ModelError) as caught:
        Simulation(build(), seed=1).run()
    message = str(caught.value)
    assert phrase in message
    assert "\n" not in message
    assert not any(name in message for name in ("OverflowError", "ValueError", "KeyError", "Traceback"))


def test_event_log_is_bounded() -> None:
    """Past its budget the event bus refuses with a ModelError instead of growing without end."""
    bus = EventBus(lambda: 0.0, max_events=3)
    for _ in range(3):
        bus.emit(Kind.note_added, "facilitator", None, text="x")
    with pytest.raises(ModelError, match="recorded 3 events"):
        bus.emit(Kind.note_added, "facilitator", None, text="x")
    assert len(bus.log) == 3


# -- validate itself stays linear and bounded --------------------------------------------------


def _alias_bomb(levels: int = 7, width: int = 9) -> str:
    """The bundled scenario with a mixture delay whose components alias each other: width**levels leaves."""
    lines = ["bomb:", "  x0: &a0 {kind: fixed, value: 1m}"]
    for level in range(1, levels + 1):
        parts = ", ".join(f"{{weight: 1, dist: *a{level - 1}}}" for _ in range(width))
        lines.append(f"  x{level}: &a{level} {{kind: mixture, components: [{parts}]}}")
    return "\n".join(lines) + "\n" + TEXT.replace("    delay:", f"    delay: *a{levels}\n    old_delay:", 1)


def test_alias_bomb_is_refused_at_the_alias() -> None:
    """Nested aliases (9**7 leaves) are refused at the alias that crosses the limit."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(_alias_bomb(), "bomb.yaml")
    (problem,) = caught.value.problems
    assert problem.line <= 9  # inside the anchors block at the top
    assert "alias" in problem.message and "100,000" in problem.message


def test_alias_bomb_is_refused_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """The composer counts aliases too when the fast libyaml pre-count is unavailable."""
    monkeypatch.setattr(loader, "_precount", lambda text, max_nodes: None)
    monkeypatch.setattr(loader, "_CSafeLoader", None)  # no libyaml: no C pre-count, no C composer
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(_alias_bomb(), "bomb.yaml")
    (problem,) = caught.value.problems
    assert "alias" in problem.message and problem.line <= 9


def test_huge_list_under_an_unknown_key_is_refused() -> None:
    """A list of a few hundred thousand items is refused by the value count, at its position."""
    text = TEXT + "junk: [" + ",".join(["0"] * 300_000) + "]\n"
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "big.yaml")
    (problem,) = caught.value.problems
    assert problem.line == len(TEXT.splitlines()) + 1
    assert "past 100,000 values" in problem.message


def test_ten_million_element_list_is_refused_by_size(tmp_path: Path) -> None:
    """A 20 MB file is refused before it is read, with the size and how to raise the cap."""
    path = tmp_path / "big.yaml"
    path.write_text(TEXT + "junk: [" + "0," * 10_000_000 + "0]\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert (
        str(caught.value)
        == f"{path}:1:1: the file is larger than 4 MB, the most a scenario may be (ttxsim --max-size SIZE raises it)"
    )


def test_max_size_parameter(tmp_path: Path) -> None:
    """`max_size` lowers or lifts the cap."""
    with pytest.raises(ScenarioError, match="larger than 1 KB"):
        read_scenario_text(BUNDLED, max_size=1024)
    assert read_scenario_text(BUNDLED, max_size=None) == TEXT


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_device_is_refused() -> None:
    """/dev/zero (endless) is refused without reading it."""
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO with no writer would block open(); it is refused from its file type."""
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(fifo)


@pytest.mark.slow
def test_many_problems_are_all_reported_once() -> None:
    """20,000 unknown agencies give 20,000 problems, each once, in file order (collected in a set, not a list)."""
    first = next(i for i, inject in enumerate(RAW["injects"]))
    text = _mutated({f"injects.{first}.to": [f"nobody{i}" for i in range(20_000)]})
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "many.yaml")
    paths = [p.path for p in caught.value.problems]
    assert len(paths) == len(set(paths)) == 20_000
    assert paths[0] == f"injects.{first}.to.0" and paths[-1] == f"injects.{first}.to.19999"


# -- inputs: an inject the model cannot carry out is refused before it is recorded -------------

BAD_INJECTS = {
    "unknown recipient": ({"to": ["nobody"]}, "'nobody'"),
    "unknown sender": ({"to": ["okinawa_pref"], "from": "nobody"}, "'nobody'"),
    "disruption of an unknown agency": (
        {
            "to": ["okinawa_pref"],
            "effects": [{"kind": "channel_disruption", "agencies": ["nobody"], "factor": 2, "duration": "1h"}],
        },
        "'nobody'",
    ),
    "closure of an unknown place": (
        {"to": ["okinawa_pref"], "effects": [{"kind": "close", "places": ["mars"], "for": "1h"}]},
        "'mars'",
    ),
    "movement stopped in an unknown area": (
        {"to": ["okinawa_pref"], "effects": [{"kind": "movement", "action": "stop", "areas": ["mars"]}]},
        "'mars'",
    ),
}


@pytest.mark.parametrize("name", list(BAD_INJECTS))
def test_apply_refuses_an_inject_before_recording_it(name: str) -> None:
    """An ad-hoc inject naming what the scenario lacks raises InputError, records nothing, and the run goes on."""
    fields, named = BAD_INJECTS[name]
    sim = Simulation(SCENARIO, seed=1)
    sim.advance(60)
    before = (len(sim.events), sim.inputs)
    with pytest.raises(InputError) as caught:
        sim.apply(Inject.model_validate({"id": "adhoc", "on_demand": True, "synopsis": "test", **fields}))
    assert named in str(caught.value)
    assert (len(sim.events), sim.inputs) == before
    sim.advance(24 * 60)  # the run is not poisoned
    assert sim.now == 24 * 60


def test_a_sinks_own_failure_is_not_a_model_failure() -> None:
    """A sink that fails (a journal that diverged, a full disk) reaches the caller as itself."""

    class SinkFull(Exception):
        pass

    def sink(event: Any) -> None:
        if event.time > 0:
            raise SinkFull("disk full")

    sim = Simulation(SCENARIO, seed=1, sinks=[sink])
    with pytest.raises(SinkFull, match="disk full"):
        sim.advance(24 * 60)
