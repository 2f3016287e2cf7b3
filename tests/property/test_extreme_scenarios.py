"""Valid-but-extreme scenarios terminate (issue 10): tiny and huge capacities, zero
and tiny durations, long horizons. Whatever form the engine takes, a scenario the
loader accepts either runs to its horizon within a bounded number of simulated
instants or stops with one `ModelError` sentence; the loader may also refuse it.
Never a hang, never an internal exception.

Few examples by default; more under CI=true (the "ci" profile). The long-horizon
variant is marked slow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.errors import ModelError
from sim.scenario.references import check_references
from sim.scenario.schema import Scenario
from sim.simulation import Simulation

BUNDLED = Path(__file__).resolve().parents[2] / "scenarios" / "sakishima.yaml"
RAW = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
CI = bool(os.environ.get("CI"))
INSTANT_BUDGET = 400_000
"""Most distinct simulated instants a run may take: far beyond the bundled
scenario's (a few thousand), well below what a runaway loop reaches."""

DURATIONS = st.sampled_from(["0m", "0.001m", "1m", "30m", "6h", "3d"])
SMALL_OR_HUGE = st.sampled_from([0, 1, 2, 50, 10_000, 10**9])
POSITIVE = st.sampled_from([1, 2, 50, 10_000, 10**9])


RATES = st.sampled_from([0.001, 1, 50, 10_000, 10**6])


def _index(section: str, has: str | None = None) -> st.SearchStrategy[int]:
    """Indices of `movement.<section>` items (those with key `has`, if given)."""
    items = RAW["movement"][section]
    return st.sampled_from([i for i, item in enumerate(items) if has is None or has in item])


@st.composite
def extreme_changes(draw: st.DrawFn, horizons: st.SearchStrategy[str]) -> dict[str, Any]:
    """Dotted path -> value, for a handful of the scenario's numbers pushed to extremes."""
    channel = draw(st.integers(0, len(RAW["channels"]) - 1))
    agency = draw(st.integers(0, len(RAW["agencies"]) - 1))
    link = draw(_index("links"))
    vehicles = draw(_index("links", "vehicles"))
    flow = draw(_index("links", "per_hour"))
    terminal = draw(_index("places", "capacity"))
    population = draw(_index("populations"))
    candidates = {
        "scenario.horizon": horizons,
        f"channels.{channel}.latency": DURATIONS,
        f"channels.{channel}.retry": DURATIONS,
        f"channels.{channel}.reliability": st.sampled_from([0, 1e-9, 0.01, 0.5, 1]),
        f"agencies.{agency}.staff": POSITIVE,
        f"agencies.{agency}.handling": DURATIONS,
        f"movement.links.{link}.time": DURATIONS,
        f"movement.links.{vehicles}.vehicles.count": POSITIVE,
        f"movement.links.{vehicles}.vehicles.seats": POSITIVE,
        f"movement.links.{vehicles}.vehicles.turnaround": DURATIONS,
        f"movement.links.{vehicles}.vehicles.headway": DURATIONS,
        f"movement.links.{vehicles}.vehicles.max_wait": DURATIONS,
        f"movement.links.{vehicles}.vehicles.per_day": SMALL_OR_HUGE,
        f"movement.links.{flow}.per_hour": RATES,
        f"movement.places.{terminal}.capacity": SMALL_OR_HUGE,
        f"movement.populations.{population}.people": SMALL_OR_HUGE,
        f"movement.populations.{population}.cohorts": POSITIVE,
        f"movement.populations.{population}.turnout.per_hour": RATES,
    }
    chosen = draw(st.lists(st.sampled_from(sorted(candidates)), min_size=1, max_size=5, unique=True))
    return {path: draw(candidates[path]) for path in chosen}


def _raw(changes: dict[str, Any]) -> dict[str, Any]:
    raw = yaml.safe_load(yaml.safe_dump(RAW))
    for path, value in changes.items():
        node = raw
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value
    return raw


def _runs_to_an_end(changes: dict[str, Any]) -> None:
    """Validated: refused, or runs to its horizon in a bounded number of instants, or a ModelError sentence.

    The loader's schema and cross-reference checks run on the mutated mapping
    directly (the YAML text round trip is covered by test_hostile_scenarios)."""
    raw = _raw(changes)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError:
        return
    if check_references(raw):
        return
    try:
        sim = Simulation(scenario, seed=1)
        instants = 0
        while (when := sim.next_event_time()) is not None and not sim.finished:
            sim.advance(when)
            instants += 1
            assert instants <= INSTANT_BUDGET, f"no end in sight after {instants} instants: {changes}"
    except ModelError as error:
        assert "\n" not in str(error) and str(error)


@pytest.mark.slow
@settings(max_examples=25 if CI else 5, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=CI)
@given(extreme_changes(st.sampled_from(["0m", "1m", "2h", "3d"])))
def test_extreme_scenarios_terminate(changes: dict[str, Any]) -> None:
    """Short horizons: every extreme mix ends (refused, run, or one ModelError sentence)."""
    _runs_to_an_end(changes)


@pytest.mark.slow
@settings(max_examples=10 if CI else 2, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=CI)
@given(extreme_changes(st.sampled_from(["21d", "366d", "367d", "365000d"])))
def test_extreme_scenarios_with_long_horizons_terminate(changes: dict[str, Any]) -> None:
    """Long horizons too: the horizon cap and the engine's budgets keep time and memory bounded."""
    _runs_to_an_end(changes)
