"""The movement examples in docs/scenario-authoring.md are valid and do what the text says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sim.scenario.loader import load_scenario_text
from sim.simulation import Simulation

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-authoring.md"
EXAMPLE = re.compile(r"<!-- example: movement -->\n```yaml\n(.*?)```", re.S)
SHIPS = re.compile(r"<!-- example: ships -->\n```yaml\n(.*?)```", re.S)


def example(pattern: re.Pattern[str] = EXAMPLE) -> str:
    (block,) = pattern.findall(DOC.read_text(encoding="utf-8"))
    return block


def test_the_example_gives_the_counts_the_guide_states():
    for seed in (1, 2, 3):
        metrics = Simulation(load_scenario_text(example(), "village.yaml"), seed=seed).run().metrics
        assert metrics["exposed_people"] == 40
        assert metrics["safe_people"] == 260
        assert metrics["share_safe"] == pytest.approx(0.8667, abs=1e-4)


def test_an_early_aftershock_sends_the_drivers_the_long_way_into_the_wave():
    raw = yaml.safe_load(example())
    raw["injects"][0]["at"] = "2m"
    metrics = Simulation(load_scenario_text(yaml.safe_dump(raw), "village.yaml"), seed=1).run().metrics
    assert metrics["exposed_people"] == 100


def test_the_ships_example_sails_when_the_guide_says():
    metrics = Simulation(load_scenario_text(example(SHIPS), "islet.yaml"), seed=1).run().metrics
    assert (metrics["first_sailing"], metrics["last_sailing"]) == (0.4167, 0.6667)
    assert metrics["movement"]["moved"] == 300


def test_without_max_wait_the_ferry_leaves_early_and_the_last_wait_for_its_second_trip():
    raw = yaml.safe_load(example(SHIPS))
    del raw["movement"]["links"][1]["vehicles"]["max_wait"]
    metrics = Simulation(load_scenario_text(yaml.safe_dump(raw), "islet.yaml"), seed=1).run().metrics
    assert (metrics["first_sailing"], metrics["last_sailing"]) == (0.25, 6.25)
