"""Shared fixtures and hypothesis profiles ("ci" is derandomised so failures reproduce)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "scenarios" / "sakishima.yaml"
MINIMAL_SCENARIO = ROOT / "tests" / "data" / "minimal.yaml"

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def sakishima():
    from sim.scenario.loader import load_scenario

    return load_scenario(DEFAULT_SCENARIO)


@pytest.fixture(scope="session")
def minimal():
    from sim.scenario.loader import load_scenario

    return load_scenario(MINIMAL_SCENARIO)


@pytest.fixture(scope="session")
def scripted_aar(tmp_path_factory):
    """The after-action report of tests/scripted_session.py's class session (PM, Cabinet and the
    prefecture played). Session-wide: playing it takes seconds, and the report tests only read it."""
    from sim.commands.record import aar_from_journal
    from tests.scripted_session import play

    path = tmp_path_factory.mktemp("scripted") / "session.ttxj"
    play(path, echo=False)
    return aar_from_journal(path)
