"""Sakishima's airlift and sealift written as a movement network keeps the plan's calibration.

The same acceptance figures as tests/unit/test_calibration.py (issue 11), measured on
tests/data/sakishima_network.yaml from the network's own events: completion (movement start to
the last evacuee off the islands) in 120-168 h, each airport's people a full day within 5 % of
the municipal plan, and about 13 days at peacetime capacity.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

from sim.engine.clock import Clock
from sim.events import Kind
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation

NETWORK = Path(__file__).resolve().parents[2] / "scenarios" / "sakishima.yaml"

PLAN_DAILY = {"ishigaki_air": 10485, "miyako_air": 6645, "shimojishima_air": 2832}
HUB_LINKS = {
    "ishigaki_air": ("ishigaki_air_b787", "ishigaki_air_b737"),
    "miyako_air": ("miyako_air_b787", "miyako_air_b737"),
    "shimojishima_air": ("shimojishima_air",),
}


def full_day_means(scenario, result) -> dict[str, float]:
    """Each airport's people per calendar day, over the days after the movement's first and before its last."""
    offset = Clock(scenario.scenario.start).offset
    start = next(e.time for e in result.events if e.kind == Kind.movement_started)
    hub_of = {link: hub for hub, links in HUB_LINKS.items() for link in links}
    daily: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for e in result.events:
        if e.kind == Kind.cohort_departed and e.data["link"] in hub_of:
            daily[hub_of[e.data["link"]]][math.floor((e.time + offset) / 1440)] += e.data["people"]
    means = {}
    for hub, days in daily.items():
        first = max(min(days), math.floor((start + offset) / 1440))
        full = [days.get(d, 0) for d in range(first + 1, max(days))]
        means[hub] = sum(full) / len(full)
    return means


@pytest.fixture(scope="module")
def unthreatened():
    return load_scenario(NETWORK, reforms=["unthreatened"])


@pytest.fixture(scope="module")
def baseline(unthreatened):
    return Simulation(unthreatened, seed=1).run()


def test_everyone_is_off_the_islands_in_about_six_days(baseline):
    movement = baseline.metrics["movement"]
    assert 118_000 <= movement["population"] <= 124_000
    assert movement["moved"] == movement["population"]
    assert 120 <= baseline.metrics["evacuation.completion_hours"] <= 168


def test_the_scenario_metrics_read_the_network_events(baseline):
    """Completion counts from the first town's movement start (not the tourists' own departures);
    clearance from T+0 is start + completion; ships carried care cases to Kagoshima Port."""
    metrics = baseline.metrics
    completed = next(e for e in baseline.events if e.kind == Kind.movement_completed)
    assert metrics["evacuation.completion_hours"] == pytest.approx(completed.data["hours"], abs=1e-3)
    assert metrics["clearance_hours"] == pytest.approx(
        metrics["evacuation.start_hours"] + metrics["evacuation.completion_hours"], abs=1e-3
    )
    assert metrics["evacuation.start_hours"] > 24  # the guidelines come after the national chain
    assert metrics["sea_evacuees"] >= 2245  # at least the Yaeyama care cases


def test_each_airport_runs_at_the_planned_daily_throughput(unthreatened, baseline):
    means = full_day_means(unthreatened, baseline)
    for hub, planned in PLAN_DAILY.items():
        assert means[hub] == pytest.approx(planned, rel=0.05), hub


def test_peacetime_capacity_takes_about_thirteen_days():
    scenario = load_scenario(NETWORK, reforms=["unthreatened", "peacetime_capacity"])
    days = Simulation(scenario, seed=1).run().metrics["evacuation.completion_hours"] / 24
    assert 12 <= days <= 14


@pytest.mark.slow
def test_completion_stays_in_the_plan_band_over_30_seeds(unthreatened):
    hours = [Simulation(unthreatened, seed=seed).run().metrics["evacuation.completion_hours"] for seed in range(30)]
    assert 120 <= statistics.mean(hours) <= 168
