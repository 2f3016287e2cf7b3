"""ttxsim engine: load a scenario, run it, read its events and metrics.

The public surface is small on purpose; the console and the CLI use only this.
`import sim` never loads a UI library (tests/test_architecture.py checks it).

The names below are imported on first use (module `__getattr__`), not when
`sim` is imported: building the pydantic models takes a few hundred
milliseconds, and `ttxsim --help` / `--version` must not pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.api import compare, load_scenario, replicate, run, sensitivity
    from sim.events import Kind, SimEvent
    from sim.scenario.loader import ScenarioError, load_scenario_text
    from sim.scenario.schema import Scenario
    from sim.simulation import DecisionError, Input, RunResult, Simulation, WorldView

_HOMES = {
    "DecisionError": "sim.simulation",
    "Input": "sim.simulation",
    "Kind": "sim.events",
    "RunResult": "sim.simulation",
    "Scenario": "sim.scenario.schema",
    "ScenarioError": "sim.scenario.loader",
    "SimEvent": "sim.events",
    "Simulation": "sim.simulation",
    "WorldView": "sim.simulation",
    "compare": "sim.api",
    "load_scenario": "sim.api",  # a bundled scenario's name or a path
    "replicate": "sim.api",
    "run": "sim.api",
    "sensitivity": "sim.api",
    "load_scenario_text": "sim.scenario.loader",
}
"""Public name -> the module that defines it."""

__all__ = [
    "DecisionError",
    "Input",
    "Kind",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SimEvent",
    "Simulation",
    "WorldView",
    "compare",
    "load_scenario",
    "load_scenario_text",
    "replicate",
    "run",
    "sensitivity",
]


def version() -> str:
    """The installed distribution's version (`ttxsim X.Y.Z`), read from its metadata.

    `importlib.metadata` costs some milliseconds, so it is imported here, only when asked.
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version("ttxsim")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return version()
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
