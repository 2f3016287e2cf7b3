"""Summary statistics for replicated runs: means, t-intervals, paired differences.

Rules kept here:

* Pure Python (no numpy, no scipy), so `ttxsim compare --json` needs no extra.
  The Student t quantile is computed from the regularised incomplete beta
  function and checked against published tables in the tests.
* A value that did not happen in a replication (`None`) is left out and
  counted as missing; it is never replaced by a made-up number.
* Paired differences use only the replications in which *both* arms have
  the value (common random numbers make these pairs comparable).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

CONFIDENCE = 0.95


# ---------------------------------------------------------------------------
# Student t quantile
# ---------------------------------------------------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function, for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=1024)
def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t (e.g. `t_quantile(0.975, 9)` = 2.262...).

    Bisection on `t_cdf` to 1e-12; cached, since an analysis asks for few dfs.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return 0.5 * (low + high)


# ---------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------


class _Interval:
    """Shared reading of a mean with its 95 % interval (Summary and Difference)."""

    __slots__ = ()
    mean: float | None
    sd: float | None
    ci95: tuple[float, float] | None
    n: int

    @property
    def half_width(self) -> float | None:
        return None if self.ci95 is None else (self.ci95[1] - self.ci95[0]) / 2.0

    def _interval_dict(self, digits: int | None) -> dict:
        return {
            "mean": _round(self.mean, digits),
            "sd": _round(self.sd, digits),
            "ci95": None if self.ci95 is None else [_round(v, digits) for v in self.ci95],
            "n": self.n,
        }


@dataclass(frozen=True, slots=True)
class Summary(_Interval):
    """Mean, standard deviation and 95% t-interval of the values that happened."""

    n: int
    missing: int
    mean: float | None
    sd: float | None
    ci95: tuple[float, float] | None

    def as_dict(self, digits: int | None = 4) -> dict:
        return {**self._interval_dict(digits), "missing": self.missing}


@dataclass(frozen=True, slots=True)
class Difference(_Interval):
    """A paired difference (reform minus baseline) over replications where both happened."""

    n: int
    mean: float | None
    sd: float | None
    ci95: tuple[float, float] | None
    better_share: float | None
    """Share of pairs in which the reform did strictly better; None when the
    metric has no better direction (a count such as `population`)."""
    worse_share: float | None

    def as_dict(self, digits: int | None = 4) -> dict:
        return {
            **self._interval_dict(digits),
            "better_share": _round(self.better_share, digits),
            "worse_share": _round(self.worse_share, digits),
        }


def _round(value: float | None, digits: int | None) -> float | None:
    if value is None or digits is None:
        return value
    return round(value, digits)


def _mean_sd_ci(values: Sequence[float]) -> tuple[float | None, float | None, tuple[float, float] | None]:
    n = len(values)
    if n == 0:
        return None, None, None
    mean = math.fsum(values) / n
    if n == 1:
        return mean, None, None
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    sd = math.sqrt(variance)
    half = t_quantile(0.5 + CONFIDENCE / 2.0, n - 1) * sd / math.sqrt(n)
    return mean, sd, (mean - half, mean + half)


def wilson_interval(successes: float, n: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion: inside [0, 1] by construction,
    and not empty when every run agrees (0 of 30 gives [0, 0.114], where the
    t-interval would claim [0, 0])."""
    if n <= 0:
        raise ValueError("a proportion needs at least one observation")
    z = t_quantile(0.5 + CONFIDENCE / 2.0, 1e9)  # the normal quantile, 1.95996...
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def summarize(values: Sequence[float | None], *, proportion: bool = False) -> Summary:
    """Summary of one metric in one arm; `None` values count as missing.

    `proportion`: the metric is 1 or 0 per run (an indicator, an objective met);
    its interval is then Wilson's, which stays within [0, 1]."""
    present = [float(v) for v in values if v is not None]
    mean, sd, ci = _mean_sd_ci(present)
    if proportion and present:
        ci = wilson_interval(math.fsum(present), len(present))
    return Summary(len(present), len(values) - len(present), mean, sd, ci)


def paired_difference(
    baseline: Sequence[float | None],
    other: Sequence[float | None],
    lower_is_better: bool | None,
    *,
    proportion: bool = False,
) -> Difference:
    """Mean of `other - baseline` over replications where both values exist.

    Args:
        baseline: values of the baseline arm, replication by replication.
        other: values of the other arm, in the same replication order.
        lower_is_better: True for durations, False for counts to maximise,
            None when no direction makes sense (then the shares are None).
        proportion: both arms are 1 or 0 per run; the interval is kept within [-1, 1].
    """
    if len(baseline) != len(other):
        raise ValueError("paired samples must have the same length (same replications)")
    diffs = [float(o) - float(b) for b, o in zip(baseline, other, strict=True) if b is not None and o is not None]
    mean, sd, ci = _mean_sd_ci(diffs)
    if proportion and ci is not None:  # a difference of two shares lies in [-1, 1]
        ci = (max(-1.0, ci[0]), min(1.0, ci[1]))
    better = worse = None
    if lower_is_better is not None and diffs:
        sign = -1.0 if lower_is_better else 1.0
        better = sum(1 for d in diffs if sign * d > 0) / len(diffs)
        worse = sum(1 for d in diffs if sign * d < 0) / len(diffs)
    return Difference(len(diffs), mean, sd, ci, better, worse)


def lower_is_better(metric: str) -> bool | None:
    """Which way is better for a metric, from its name.

    Durations (`*_hours`) are better short; of a movement network's own figures
    (`movement.*`), people moved are better many, people caught or still in
    danger better few; anything else (population, counts) has no direction.
    """
    if metric in MOVEMENT_DIRECTIONS:
        return MOVEMENT_DIRECTIONS[metric]
    leaf = metric.rsplit(".", 1)[-1]
    if leaf.endswith("_hours"):
        return True
    return None


MOVEMENT_DIRECTIONS = {"movement.moved": False, "movement.exposed": True, "movement.in_danger": True}
"""Whether lower is better for the figures every movement network reports (`metrics["movement"]`)."""


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile of already sorted values, linear interpolation (numpy's default)."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def replications_for_half_width(sd: float, half_width: float, current: int = 2) -> int:
    """The smallest n (at least `current`, at least 2) whose t-interval half-width
    t(0.975, n-1) * sd / sqrt(n) is at most `half_width`, if `sd` stays as it is."""
    if half_width <= 0:
        raise ValueError("the target half-width must be positive")
    z_guess = math.ceil((1.959963985 * sd / half_width) ** 2)  # a lower bound: t > z
    n = max(2, current, z_guess)
    while t_quantile(0.5 + CONFIDENCE / 2.0, n - 1) * sd / math.sqrt(n) > half_width:
        n += 1
    return n
