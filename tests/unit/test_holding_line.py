"""The line before a full holding place moves on when a cohort let go from it takes another way.

A terminal that is full makes cohorts wait before it; as room frees, those at the
head of the line are let go to choose again. One that then takes another way (a
quicker airport) used to leave its room unannounced: nobody in the line was told,
and on one seed of the bundled scenario 13,026 residents waited before an empty
terminal until the horizon. These tests hold the whole run to account for that.
"""

from __future__ import annotations

import pytest

from sim.scenario.bundled import resolve
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation

STALLED_SEED = 12672504869794188209
"""Replication 13 of `ttxsim compare -n 30 --seed 1`: its Miyako residents stalled before Shimojishima's
terminal (room for 900, nobody inside, 78 cohorts in line) before the fix."""


@pytest.fixture(scope="module")
def sakishima():
    return load_scenario(resolve("sakishima"))


def _nobody_waits_before_room_they_fit(simulation: Simulation) -> list[str]:
    """Places whose line's head would fit in the room nobody is promised (should be none at any rest)."""
    stuck = []
    for name, place in simulation._movement.places.items():
        if place.freed and place.freed[0].people <= place.room - place.promised:
            stuck.append(f"{name}: room {place.room:g}, promised {place.promised}, {len(place.freed)} waiting")
    return stuck


def test_the_seed_that_stalled_before_an_empty_terminal_moves_everyone(sakishima):
    simulation = Simulation(sakishima, seed=STALLED_SEED)
    result = simulation.run()
    assert result.metrics["movement"]["in_danger"] == 0
    assert not _nobody_waits_before_room_they_fit(simulation)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_room_is_left_promised_at_the_end(sakishima, seed):
    simulation = Simulation(sakishima, seed=seed)
    simulation.run()
    assert all(place.promised == 0 for place in simulation._movement.places.values())
    assert not _nobody_waits_before_room_they_fit(simulation)
