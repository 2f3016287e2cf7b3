"""The evacuation's hot-path random draws give the numbers the standard library gives.

Registration and security times are drawn thousands of times a run through
`sim.domain.evacuation.triangular`, a precomputed form of
`random.Random.triangular`; runs stay reproducible and comparable with
`RandomStreams.sample` only if both give the very same numbers from a stream.
"""

from __future__ import annotations

import random

import pytest

from sim.domain.evacuation import triangular


@pytest.mark.parametrize(("low", "high", "mode"), [(0.3, 0.8, 0.5), (1.0, 5.0, 1.0), (1.0, 5.0, 5.0), (2.0, 2.0, 2.0)])
def test_the_hot_path_triangular_draws_what_random_triangular_draws(low, high, mode):
    """Registration and security times use `triangular`, which must give the very numbers
    `random.Random.triangular` gives on the same stream (runs stay reproducible)."""
    reference, ours = random.Random(7), random.Random(7)
    draw = triangular(ours.random, low, high, mode)
    assert [draw() for _ in range(5000)] == [reference.triangular(low, high, mode) for _ in range(5000)]
