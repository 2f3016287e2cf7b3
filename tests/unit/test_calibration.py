"""The bundled scenario against the acceptance figures of the domain-models issue.

These run the whole engine (decision chains + evacuation), not the evacuation
model alone, so they also catch a wiring mistake between the two. The plan's
"about six days" assumes normal weather and no attack, so the calibration runs
the `unthreatened` variant (escalation held at 0: no adversary hazards, no
scheduled disinformation or cyberattack); the threatened baseline's spread is
reported in docs/model.md, not asserted here.
"""

from __future__ import annotations

import statistics

import pytest

from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO

PLAN_DAILY = {"ishigaki_air": 10485, "miyako_air": 6645, "shimojishima_air": 2832}


UNTHREATENED = ["unthreatened"]


@pytest.fixture(scope="module")
def unthreatened():
    return load_scenario(DEFAULT_SCENARIO, reforms=UNTHREATENED)


@pytest.fixture(scope="module")
def baseline(unthreatened):
    return Simulation(unthreatened, seed=1).run().metrics


def test_baseline_moves_everyone_in_about_six_days(baseline):
    """~120,000 people (110,000 residents + 10,000 tourists, to the sourced host
    allocations) all leave; movement takes 120-168 h (the plan's ~6 days)."""
    evacuation = baseline["evacuation"]
    assert 118_000 <= evacuation["population"] <= 124_000
    assert evacuation["evacuated"] == evacuation["population"]
    assert 120 <= evacuation["completion_hours"] <= 168


def test_each_hub_runs_at_the_planned_daily_throughput(baseline):
    """Each hub's simulated throughput over full days is within 5 % of the municipal plan."""
    hubs = baseline["evacuation"]["hubs"]
    for hub, planned in PLAN_DAILY.items():
        assert hubs[hub]["mean_per_full_day"] == pytest.approx(planned, rel=0.05), hub


def test_yonaguni_is_cleared_within_a_day(unthreatened):
    """All of Yonaguni is off the island within 24 h of its own movement start, in the median
    of five seeds: one seed is not enough, as a single early tourist can send the island's only
    ferry on its 9.5-hour round trip just before movement starts (over seeds 1-30, 7 took longer
    than 24 h with the old hourly tick and 8 without it; the mean is 22 h either way)."""
    cleared = [
        Simulation(unthreatened, seed=seed).run().metrics["evacuation"]["by_island"]["yonaguni"]["cleared_hours"]
        for seed in range(1, 6)
    ]
    assert statistics.median(cleared) <= 24


def test_peacetime_capacity_takes_about_thirteen_days():
    """At ~9,200 a day the move takes about 13 days (facts 1.1)."""
    scenario = load_scenario(DEFAULT_SCENARIO, reforms=[*UNTHREATENED, "peacetime_capacity"])
    days = Simulation(scenario, seed=1).run().metrics["evacuation"]["completion_hours"] / 24
    assert 12 <= days <= 14


def test_handover_and_consultation_happen_in_the_default_run(baseline):
    """The scenario's own metrics keep today's ids (design.md) and both spans complete."""
    assert baseline["handover.transfer_hours"] is not None
    assert baseline["consultation.decision_hours"] is not None


def test_scenario_metrics_match_the_engine_evacuation_figures(baseline):
    """Computed from the event stream, completion and start equal the evacuation model's own numbers;
    clearance counts from T+0."""
    evacuation = baseline["evacuation"]
    assert baseline["evacuation.completion_hours"] == pytest.approx(evacuation["completion_hours"], abs=1e-3)
    assert baseline["evacuation.start_hours"] == pytest.approx(evacuation["start_hours"], abs=1e-3)
    assert baseline["clearance_hours"] == pytest.approx(
        evacuation["start_hours"] + evacuation["completion_hours"], abs=1e-3
    )


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
    hours = [m["evacuation"]["completion_hours"] for m in runs]
    assert 120 <= statistics.mean(hours) <= 168
    on_plan = [
        m["evacuation"]["completion_hours"]
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
