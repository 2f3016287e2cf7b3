"""The bundled Sakishima scenario against the plan's published figures (issue 11's calibration acceptance).

The one place for the calibration figures. Sakishima's airlift and sealift are a movement network
(`movement:` in scenarios/sakishima.yaml), so every figure is read from the network's events:
completion (the first town's movement start to the last evacuee off the islands) in 120-168 h over
30 seeds, each airport's people per full day within 5 % of the municipal plan, Yonaguni cleared
within a day, care cases of the Yaeyama islands by sea, and about 13 days at peacetime capacity.

These run the whole engine (decision chains + movement), so they also catch a wiring mistake
between the two. The plan's "about six days" assumes normal weather and no attack, so the
calibration runs the `unthreatened` variant (escalation held at 0: no adversary hazards, no
scheduled disinformation or cyberattack); the threatened baseline's spread is reported in
docs/model.md, not asserted here.
"""

from __future__ import annotations

import functools
import json
import math
import statistics
from collections import defaultdict

import pytest

from sim.engine.clock import Clock
from sim.events import Kind
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO

PLAN_DAILY = {"ishigaki_air": 10485, "miyako_air": 6645, "shimojishima_air": 2832}
"""People a day each airport carries in the municipal plan (facts §1.5, §1.6)."""

HUB_LINKS = {
    "ishigaki_air": ("ishigaki_air_b787", "ishigaki_air_b737"),
    "miyako_air": ("miyako_air_b787", "miyako_air_b737"),
    "shimojishima_air": ("shimojishima_air",),
}
"""Each airport's links on the network (one per aircraft type)."""

YONAGUNI_LINKS = ("ferry_yonaguni", "ferry_mikasa", "rac_yonaguni")
"""The feeders that take Yonaguni's people off the island."""

YAEYAMA_CARE = ("ishigaki_care", "taketomi_care", "yonaguni_care")
"""Care cases the plan sends by the chartered ships from Ishigaki Port to Kagoshima Port."""


def full_day_means(scenario, result) -> dict[str, float]:
    """Each airport's people per calendar day, over the days after the movement's first and before its last
    (the tourists' own departures before the towns start do not dilute the mean)."""
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


def yonaguni_cleared_hours(result) -> float:
    """Yonaguni's own movement start to its last person off the island (h)."""
    start = next(e.time for e in result.events if e.kind == Kind.movement_started and e.source == "yonaguni")
    last = max(e.time for e in result.events if e.kind == Kind.cohort_departed and e.data["link"] in YONAGUNI_LINKS)
    return (last - start) / 60


UNTHREATENED = ["unthreatened"]


@pytest.fixture(scope="module")
def unthreatened():
    return load_scenario(DEFAULT_SCENARIO, reforms=UNTHREATENED)


@pytest.fixture(scope="module")
def baseline_run(unthreatened):
    return Simulation(unthreatened, seed=1).run()


@pytest.fixture(scope="module")
def baseline(baseline_run):
    return baseline_run.metrics


def test_baseline_moves_everyone_in_about_six_days(baseline):
    """~120,000 people (110,000 residents + 10,000 tourists, to the sourced host
    allocations) all leave; movement takes 120-168 h (the plan's ~6 days)."""
    movement = baseline["movement"]
    assert 118_000 <= movement["population"] <= 124_000
    assert movement["moved"] == movement["population"]
    assert movement["exposed"] == movement["in_danger"] == 0
    assert 120 <= baseline["evacuation.completion_hours"] <= 168


def test_each_hub_runs_at_the_planned_daily_throughput(unthreatened, baseline_run):
    """Each airport's simulated throughput over full days is within 5 % of the municipal plan."""
    means = full_day_means(unthreatened, baseline_run)
    for hub, planned in PLAN_DAILY.items():
        assert means[hub] == pytest.approx(planned, rel=0.05), hub


def test_the_scenario_metrics_read_the_network_events(baseline, baseline_run):
    """Completion counts from the first town's movement start (not the tourists' own departures) to
    `movement_completed`; clearance from T+0 is start + completion; metrics are plain JSON."""
    events = baseline_run.events
    completed = next(e for e in events if e.kind == Kind.movement_completed)
    start = next(e.time for e in events if e.kind == Kind.movement_started) / 60
    assert baseline["evacuation.completion_hours"] == pytest.approx(completed.data["hours"], abs=1e-3)
    assert baseline["evacuation.start_hours"] == pytest.approx(start, abs=1e-3)
    assert baseline["clearance_hours"] == pytest.approx(start + completed.data["hours"], abs=1e-3)
    assert baseline["evacuation.start_hours"] > 24  # the guidelines come after the national chain
    assert json.loads(json.dumps(baseline)) == baseline
    arrived = sum(e.data["people"] for e in events if e.kind == Kind.cohort_arrived)
    assert arrived == completed.data["moved"] == baseline["movement"]["population"]


def test_care_cases_of_the_yaeyama_islands_leave_by_sea(unthreatened, baseline, baseline_run):
    """The chartered ships take every Yaeyama care case to Kagoshima Port, at most 420 a sailing, and
    nobody but care cases goes by sea (facts §1.5: the sea lift is for people needing care)."""
    by_sea: dict[str, int] = defaultdict(int)
    for e in baseline_run.events:
        if e.kind == Kind.cohort_arrived and e.target == "kagoshima_port":
            by_sea[e.source] += e.data["people"]
    people = {p.id: p.people for p in unthreatened.movement.populations}
    classes = {p.id: p.class_ for p in unthreatened.movement.populations}
    assert {pop: by_sea[pop] for pop in YAEYAMA_CARE} == {pop: people[pop] for pop in YAEYAMA_CARE}
    assert {classes[pop] for pop in by_sea} == {"care"}
    assert baseline["sea_evacuees"] == sum(by_sea.values())
    sailings: dict[tuple[float, int], int] = defaultdict(int)
    for e in baseline_run.events:
        if e.kind == Kind.cohort_departed and e.data["link"] == "ishigaki_sea":
            sailings[e.time, e.data["vehicle"]] += e.data["people"]
    assert len(sailings) >= 5 and max(sailings.values()) == 420


def test_yonaguni_is_cleared_within_a_day(unthreatened):
    """All of Yonaguni is off the island within 24 h of its own movement start, in the median
    of five seeds: one seed is not enough, as a single early departure can send the island's only
    ferry on its round trip just before movement starts."""
    cleared = [yonaguni_cleared_hours(Simulation(unthreatened, seed=seed).run()) for seed in range(1, 6)]
    assert statistics.median(cleared) <= 24


def test_peacetime_capacity_takes_about_thirteen_days():
    """At ~9,200 a day the move takes about 13 days (facts §1.1)."""
    scenario = load_scenario(DEFAULT_SCENARIO, reforms=[*UNTHREATENED, "peacetime_capacity"])
    days = Simulation(scenario, seed=1).run().metrics["evacuation.completion_hours"] / 24
    assert 12 <= days <= 14


def test_handover_and_consultation_happen_in_the_default_run(baseline):
    """The scenario's own metrics keep today's ids (design.md) and both spans complete."""
    assert baseline["handover.transfer_hours"] is not None
    assert baseline["consultation.decision_hours"] is not None


PLAN_OPTIONS = {
    "diet_approval": "approved",
    "evacuation_measures_instruction": "instructed",
    "guidelines_ishigaki": "issued",
    "guidelines_miyakojima": "issued",
    "guidelines_taketomi": "issued",
    "guidelines_yonaguni": "issued",
    "guidelines_tarama": "issued",
}
"""The plan's own choices; the other options (a Diet rejection, a mayor holding an airport) cost days by design."""


@pytest.mark.slow
def test_unthreatened_completion_stays_in_the_plan_band_over_30_seeds(unthreatened):
    """Over 30 seeds the mean is in 120-168 h, and every run in which the plan's options were taken is too."""
    runs = [Simulation(unthreatened, seed=seed).run().metrics for seed in range(30)]
    hours = [m["evacuation.completion_hours"] for m in runs]
    assert 120 <= statistics.mean(hours) <= 168
    on_plan = [
        m["evacuation.completion_hours"]
        for m in runs
        if all(m["decisions"][d]["option"] == o for d, o in PLAN_OPTIONS.items())
    ]
    assert len(on_plan) >= 15
    assert all(120 <= h <= 168 for h in on_plan), sorted(on_plan)


@pytest.mark.slow
def test_integrated_authority_clears_the_islands_no_later_over_30_seeds(sakishima):
    """Paired over 30 seeds of the threatened baseline, the reform's mean clearance from T+0 is not later."""
    reformed = load_scenario(DEFAULT_SCENARIO, reforms=["integrated_authority"])
    diffs = []
    for seed in range(30):
        a = Simulation(sakishima, seed=seed).run().metrics["clearance_hours"]
        b = Simulation(reformed, seed=seed).run().metrics["clearance_hours"]
        if a is not None and b is not None:
            diffs.append(b - a)
    assert len(diffs) >= 25
    assert statistics.mean(diffs) <= 0


SEAMS = [("standing_jcg_order", "handover.transfer_hours"), ("bilateral_cell", "consultation.decision_hours")]


def paired_seams(reform: str, metric: str, seeds: range) -> list[tuple[float, float]]:
    """(without, with) the reform, per seed, for the seeds where both runs reach the seam."""
    pairs = []
    for seed in seeds:
        a = _seam_metrics(None, seed)[metric]
        b = _seam_metrics(reform, seed)[metric]
        if a is not None and b is not None:
            pairs.append((a, b))
    return pairs


@functools.cache
def _seam_scenario(reform: str | None):
    return load_scenario(DEFAULT_SCENARIO, reforms=[reform] if reform else [])


@functools.cache
def _seam_metrics(reform: str | None, seed: int) -> dict:
    """One run's metrics, kept for the module: every reform is paired with the same baseline runs,
    so each baseline seed runs once, not once per reform."""
    return Simulation(_seam_scenario(reform), seed=seed).run().metrics


@pytest.mark.slow
@pytest.mark.parametrize(("reform", "metric"), SEAMS)
def test_reform_shortens_its_seam_over_50_seeds(reform, metric):
    """Paired over 50 seeds, the reform's mean is shorter and it wins in most pairs (the seam is not reached
    in every run of the threatened scenario: no defence order, or the Art. V branch)."""
    pairs = paired_seams(reform, metric, range(50))
    assert len(pairs) >= 35
    assert statistics.mean(b for _, b in pairs) < 0.6 * statistics.mean(a for a, _ in pairs)
    assert sum(b < a for a, b in pairs) >= 0.8 * len(pairs)


@pytest.mark.parametrize(("reform", "metric"), SEAMS)
def test_reform_shortens_its_seam_on_a_few_seeds(reform, metric):
    """The quick check of the default test set: on 3 seeds the reform still cuts the seam's mean by over 40 %
    (the 50-seed calibration above runs in the slow set)."""
    pairs = paired_seams(reform, metric, range(3))
    assert len(pairs) >= 2
    assert statistics.mean(b for _, b in pairs) < 0.6 * statistics.mean(a for a, _ in pairs)
