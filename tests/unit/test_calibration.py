"""The bundled scenario against the acceptance figures of the domain-models issue.

These run the whole engine (decision chains + evacuation), not the evacuation
model alone, so they also catch a wiring mistake between the two. They hold
whichever model carries the bundled scenario's people: the island model
(`evacuation:`) or the movement network (`movement:`, whose figures are read
from its events; tests/unit/test_sakishima_network.py holds the same figures
for tests/data/sakishima_network.yaml). The plan's
"about six days" assumes normal weather and no attack, so the calibration runs
the `unthreatened` variant (escalation held at 0: no adversary hazards, no
scheduled disinformation or cyberattack); the threatened baseline's spread is
reported in docs/model.md, not asserted here.
"""

from __future__ import annotations

import statistics

import pytest

from sim.events import Kind
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO
from tests.unit.test_sakishima_network import full_day_means

PLAN_DAILY = {"ishigaki_air": 10485, "miyako_air": 6645, "shimojishima_air": 2832}

YONAGUNI_LINKS = ("ferry_yonaguni", "ferry_mikasa", "rac_yonaguni")
"""On the movement network: the feeders that take Yonaguni's people off the island."""


def island(metrics) -> bool:
    """Whether the island model carried the run (its summary is empty on a movement network)."""
    return (metrics.get("evacuation") or {}).get("population") is not None


def completion_hours(metrics) -> float | None:
    """Movement start to the last evacuee off the islands (h), as either model measures it."""
    if island(metrics):
        return metrics["evacuation"]["completion_hours"]
    return metrics["evacuation.completion_hours"]


def moved_and_population(metrics) -> tuple[int, int]:
    if island(metrics):
        return metrics["evacuation"]["evacuated"], metrics["evacuation"]["population"]
    return metrics["movement"]["moved"], metrics["movement"]["population"]


def hub_daily(scenario, result) -> dict[str, float]:
    """Each airport's mean people per full day of the movement."""
    if scenario.evacuation is not None:
        return {hub: v["mean_per_full_day"] for hub, v in result.metrics["evacuation"]["hubs"].items()}
    return full_day_means(scenario, result)


def yonaguni_cleared_hours(scenario, result) -> float:
    """Yonaguni's own movement start to its last person off the island (h)."""
    if scenario.evacuation is not None:
        return result.metrics["evacuation"]["by_island"]["yonaguni"]["cleared_hours"]
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
    moved, population = moved_and_population(baseline)
    assert 118_000 <= population <= 124_000
    assert moved == population
    assert 120 <= completion_hours(baseline) <= 168


def test_each_hub_runs_at_the_planned_daily_throughput(unthreatened, baseline_run):
    """Each hub's simulated throughput over full days is within 5 % of the municipal plan."""
    hubs = hub_daily(unthreatened, baseline_run)
    for hub, planned in PLAN_DAILY.items():
        assert hubs[hub] == pytest.approx(planned, rel=0.05), hub


def test_yonaguni_is_cleared_within_a_day(unthreatened):
    """All of Yonaguni is off the island within 24 h of its own movement start, in the median
    of five seeds: one seed is not enough, as a single early tourist can send the island's only
    ferry on its 9.5-hour round trip just before movement starts (over seeds 1-30, 7 took longer
    than 24 h with the old hourly tick and 8 without it; the mean is 22 h either way)."""
    cleared = [yonaguni_cleared_hours(unthreatened, Simulation(unthreatened, seed=seed).run()) for seed in range(1, 6)]
    assert statistics.median(cleared) <= 24


def test_peacetime_capacity_takes_about_thirteen_days():
    """At ~9,200 a day the move takes about 13 days (facts 1.1)."""
    scenario = load_scenario(DEFAULT_SCENARIO, reforms=[*UNTHREATENED, "peacetime_capacity"])
    days = completion_hours(Simulation(scenario, seed=1).run().metrics) / 24
    assert 12 <= days <= 14


def test_handover_and_consultation_happen_in_the_default_run(baseline):
    """The scenario's own metrics keep today's ids (design.md) and both spans complete."""
    assert baseline["handover.transfer_hours"] is not None
    assert baseline["consultation.decision_hours"] is not None


def test_scenario_metrics_match_the_engine_evacuation_figures(baseline, baseline_run):
    """Computed from the event stream, completion and start equal the evacuation model's own numbers
    (on the network: its `movement_completed` hours and first `movement_started`); clearance counts from T+0."""
    if island(baseline):
        completion, start = baseline["evacuation"]["completion_hours"], baseline["evacuation"]["start_hours"]
    else:
        events = baseline_run.events
        completion = next(e.data["hours"] for e in events if e.kind == Kind.movement_completed)
        start = next(e.time for e in events if e.kind == Kind.movement_started) / 60
    assert baseline["evacuation.completion_hours"] == pytest.approx(completion, abs=1e-3)
    assert baseline["evacuation.start_hours"] == pytest.approx(start, abs=1e-3)
    assert baseline["clearance_hours"] == pytest.approx(start + completion, abs=1e-3)


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
    hours = [completion_hours(m) for m in runs]
    assert 120 <= statistics.mean(hours) <= 168
    on_plan = [
        completion_hours(m) for m in runs if all(m["decisions"][d]["option"] == o for d, o in PLAN_OPTIONS.items())
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
    base = load_scenario(DEFAULT_SCENARIO)
    reformed = load_scenario(DEFAULT_SCENARIO, reforms=[reform])
    pairs = []
    for seed in seeds:
        a = Simulation(base, seed=seed).run().metrics[metric]
        b = Simulation(reformed, seed=seed).run().metrics[metric]
        if a is not None and b is not None:
            pairs.append((a, b))
    return pairs


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
