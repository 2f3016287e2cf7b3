"""Hazards: state-dependent rates, one draw per occurrence on the hazard's own stream."""

from __future__ import annotations

import random

from sim.engine.streams import derive_seed
from sim.events import Kind
from sim.scenario.loader import load_scenario_text
from sim.simulation import Simulation

BASE = """
scenario: {id: h, title: H, start: "2027-04-05T06:00:00+09:00", horizon: HORIZON}
agencies: [{id: hq, name: HQ, kind: executive}]
state:
  - {id: threat, initial: 1, min: 0, max: 10}
  - {id: damage, initial: 0}
injects:
  - {id: surge, at: 1d, to: [hq], synopsis: Surge., effects: [{kind: set, state: threat, value: 4}]}
hazards:
HAZARDS
"""

STORM = "  - {id: storm, title: Storm, rate: 2, effects: [{kind: add, state: damage, value: 1}]}"
RAID = (
    "  - {id: raid, title: Raid, rate: {state: threat, per_unit: 0.5}, limit: 1,"
    " effects: [{kind: add, state: damage, value: 10}]}"
)
GATED = (
    "  - {id: riot, title: Riot, rate: 3, when: {state: threat, at_least: 4},"
    " effects: [{kind: add, state: damage, value: 100}]}"
)


def run(hazards: list[str], horizon: str = "30d", seed: int = 7):
    text = BASE.replace("HORIZON", horizon).replace("HAZARDS", "\n".join(hazards))
    return Simulation(load_scenario_text(text), seed=seed).run()


def times(result, hazard: str) -> list[float]:
    return [e.time for e in result.events if e.kind == Kind.hazard_occurred and e.target == hazard]


def test_constant_rate_gives_about_rate_times_days():
    count = len(times(run([STORM], horizon="100d"), "storm"))
    assert 150 <= count <= 250  # 2 per day over 100 days; Poisson sd ~14


def test_a_rate_change_rescales_the_remaining_wait_exactly():
    """One Exp(1) budget E; threat 1 (0.5/day) until day 1, then 4 (2/day): E - 0.5 is left at day 1."""
    budget = random.Random(derive_seed(7, "hazard.raid")).expovariate(1.0)
    assert budget > 0.5  # seed 7 draws 0.62: the raid has not come by day 1, so the rate change matters
    expected = 1440.0 + (budget - 0.5) / (2.0 / 1440)
    (got,) = times(run([RAID]), "raid")
    assert abs(got - expected) < 1e-6


def test_when_gates_the_hazard():
    occurred = times(run([GATED]), "riot")
    assert occurred and min(occurred) >= 1440.0


def test_adding_a_hazard_does_not_change_another_hazards_draws():
    alone = times(run([STORM]), "storm")
    together = run([STORM, GATED])
    assert times(together, "storm") == alone
    assert times(together, "riot")
