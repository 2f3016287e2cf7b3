"""Statistics of replicated runs: t quantiles, summaries, paired differences."""

from __future__ import annotations

import math

import pytest

from sim.analysis.stats import (
    lower_is_better,
    paired_difference,
    quantile,
    replications_for_half_width,
    summarize,
    t_cdf,
    t_quantile,
    wilson_interval,
)

# Two-sided 95% critical values from published t tables (and 99% for df=3).
T_TABLE = [
    (1, 12.706204736),
    (2, 4.302652730),
    (5, 2.570581836),
    (10, 2.228138852),
    (30, 2.042272456),
    (100, 1.983971519),
    (1000, 1.962339081),
]


@pytest.mark.parametrize(("df", "expected"), T_TABLE)
def test_t_quantile_matches_tables(df, expected):
    """t_quantile(0.975, df) agrees with published tables to 1e-8."""
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-8)


def test_t_quantile_other_levels_and_symmetry():
    """Other levels are right too, and the lower tail mirrors the upper one."""
    assert t_quantile(0.995, 3) == pytest.approx(5.840909309, abs=1e-8)
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7))
    assert t_quantile(0.5, 4) == 0.0
    assert t_cdf(t_quantile(0.9, 12), 12) == pytest.approx(0.9, abs=1e-10)


def test_t_quantile_rejects_bad_arguments():
    """p outside (0, 1) or a non-positive df is an error, not a number."""
    with pytest.raises(ValueError, match="p must be"):
        t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_quantile(0.9, 0)


def test_summarize_known_sample():
    """Mean, sd and the t-interval of a small known sample."""
    s = summarize([1.0, 2.0, 3.0, 4.0])
    assert (s.n, s.missing, s.mean) == (4, 0, 2.5)
    assert s.sd == pytest.approx(math.sqrt(5 / 3))
    half = 3.182446305 * math.sqrt(5 / 3) / 2
    assert s.ci95 == pytest.approx((2.5 - half, 2.5 + half))


def test_summarize_counts_missing_and_never_invents():
    """None values are counted as missing and left out; too few values give no interval."""
    s = summarize([None, 5.0, None])
    assert (s.n, s.missing, s.mean, s.sd, s.ci95) == (1, 2, 5.0, None, None)
    empty = summarize([None, None])
    assert (empty.n, empty.missing, empty.mean) == (0, 2, None)
    assert empty.as_dict() == {"mean": None, "sd": None, "ci95": None, "n": 0, "missing": 2}


def test_paired_difference_uses_complete_pairs_and_counts_better():
    """Only pairs where both arms have a value count; shorter durations are better."""
    base = [10.0, 12.0, None, 9.0, 11.0]
    reform = [8.0, 12.0, 7.0, None, 10.0]
    d = paired_difference(base, reform, lower_is_better=True)
    assert d.n == 3
    assert d.mean == pytest.approx(-1.0)
    assert d.better_share == pytest.approx(2 / 3)
    assert d.worse_share == 0.0
    assert paired_difference(base, reform, lower_is_better=False).better_share == 0.0
    assert paired_difference(base, reform, lower_is_better=None).better_share is None


def test_paired_difference_needs_equal_lengths():
    """Pairs come from the same replications, so the lengths must match."""
    with pytest.raises(ValueError, match="same length"):
        paired_difference([1.0], [1.0, 2.0], True)


def test_direction_from_metric_name():
    """Durations are better short, people safe better many, people caught or in danger better few,
    other counts have no direction."""
    assert lower_is_better("evacuation.completion_hours") is True
    assert lower_is_better("decisions.warning.taken_hours") is True
    assert lower_is_better("movement.moved") is False
    assert lower_is_better("movement.exposed") is True and lower_is_better("movement.in_danger") is True
    assert lower_is_better("movement.population") is None


def test_quantile_interpolates_like_numpy():
    """Linear interpolation between order statistics (numpy's default)."""
    values = [1.0, 2.0, 4.0, 8.0]
    assert quantile(values, 0.0) == 1.0
    assert quantile(values, 1.0) == 8.0
    assert quantile(values, 0.5) == 3.0
    assert quantile(values, 0.25) == pytest.approx(1.75)


def test_replications_for_half_width_reaches_the_target():
    """The suggested n gives a half-width at or below the target for that sd."""
    n = replications_for_half_width(sd=10.0, half_width=2.0, current=10)
    assert t_quantile(0.975, n - 1) * 10.0 / math.sqrt(n) <= 2.0
    assert t_quantile(0.975, n - 2) * 10.0 / math.sqrt(n - 1) > 2.0


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (0, 30, (0.0, 0.1135)),  # Wilson 95 % for 0 of 30 (published: 0 to 11.35 %)
        (30, 30, (0.8865, 1.0)),
        (15, 30, (0.3315, 0.6685)),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, expected):
    low, high = wilson_interval(successes, n)
    assert low == pytest.approx(expected[0], abs=1e-4)
    assert high == pytest.approx(expected[1], abs=1e-4)


def test_a_proportion_interval_stays_within_zero_and_one():
    """One run in thirty: the t-interval reaches below 0; the proportion's does not, and it is not empty."""
    values = [1.0] + [0.0] * 29
    assert summarize(values).ci95[0] < 0
    low, high = summarize(values, proportion=True).ci95
    assert 0.0 < low < 1 / 30 < high < 0.2
    never = summarize([0.0] * 30, proportion=True).ci95
    assert never[0] == 0.0 and never[1] > 0.1


def test_compare_marks_indicators_and_objective_rows_as_proportions():
    """`ttxsim compare` gives a scenario's indicator metrics intervals within [0, 1]."""
    from types import SimpleNamespace

    from sim.analysis.compare import MetricTraits, compare
    from sim.analysis.replications import Arm, Record, ReplicationSet

    scenario = SimpleNamespace(
        metrics=[SimpleNamespace(id="struck", kind="indicator"), SimpleNamespace(id="t_hours", kind="time")],
        objectives=[SimpleNamespace(id="fast", metric="t_hours", at_most=5.0, at_least=None)],
    )
    traits = MetricTraits.of(scenario)
    assert traits.proportions == {"struck", "objectives.fast"}
    rs = ReplicationSet((Arm("baseline", ""), Arm("reform", "")), 1)
    rs.add(
        [Record("baseline", k, k, {"struck": float(k == 0)}) for k in range(30)]
        + [Record("reform", k, k, {"struck": 0.0}) for k in range(30)]
    )
    rows = compare(rs, traits=traits)["metrics"]["struck"]
    assert rows["baseline"]["ci95"][0] >= 0.0
    assert rows["reform"]["ci95"] == [0.0, pytest.approx(0.1135, abs=1e-4)]
    assert -1.0 <= rows["reform"]["difference"]["ci95"][0] <= 0.0 <= rows["reform"]["difference"]["ci95"][1] <= 1.0
