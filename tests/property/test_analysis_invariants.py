"""Invariants of the replication statistics (hypothesis)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.replications import resample_step
from sim.analysis.stats import paired_difference, quantile, summarize, t_quantile

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
maybe = st.one_of(st.none(), finite)


@given(st.lists(maybe, max_size=40))
def test_summary_counts_add_up_and_interval_holds_mean(values):
    """n + missing = all values; the interval is centred on the mean."""
    s = summarize(values)
    assert s.n + s.missing == len(values)
    if s.ci95 is not None:
        lo, hi = s.ci95
        assert lo <= s.mean + 1e-6 * max(1.0, abs(s.mean))
        assert hi >= s.mean - 1e-6 * max(1.0, abs(s.mean))
        assert math.isclose((lo + hi) / 2, s.mean, rel_tol=1e-9, abs_tol=1e-6)


@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=40))
def test_paired_mean_is_difference_of_means_without_missing(pairs):
    """With no missing values, the mean paired difference is the difference of the means."""
    base = [b for b, _ in pairs]
    other = [o for _, o in pairs]
    d = paired_difference(base, other, True)
    expected = summarize(other).mean - summarize(base).mean
    assert math.isclose(d.mean, expected, rel_tol=1e-9, abs_tol=1e-6)
    assert 0.0 <= d.better_share + d.worse_share <= 1.0


@given(st.integers(min_value=1, max_value=500))
def test_t_quantile_decreases_with_df_towards_normal(df):
    """More degrees of freedom, narrower interval; never below the normal quantile."""
    assert t_quantile(0.975, df) >= t_quantile(0.975, df + 1) >= 1.959963984


@given(st.lists(finite, min_size=1, max_size=30), st.floats(min_value=0, max_value=1))
def test_quantile_within_range(values, q):
    """A quantile lies between the smallest and the largest value."""
    s = sorted(values)
    assert s[0] - 1e-9 <= quantile(s, q) <= s[-1] + 1e-9


@given(st.lists(st.tuples(st.floats(0, 100), st.integers(0, 1000)), max_size=20), st.integers(0, 1000))
def test_resample_step_reads_last_value_at_or_before(changes, before):
    """Each grid value is the last change at or before that time (or the initial value)."""
    changes = sorted(changes, key=lambda c: c[0])
    hours = [h for h, _ in changes]
    values = [v for _, v in changes]
    grid = [i * 5.0 for i in range(22)]
    out = resample_step(hours, values, grid, before)
    for t, got in zip(grid, out, strict=True):
        earlier = [v for h, v in changes if h <= t]
        assert got == (earlier[-1] if earlier else before)
