"""Where the bundled scenarios live, installed or in a checkout.

A normal `pip install .` ships the top-level `scenarios/` folder as the data
package `sim.bundled`; in a source checkout that package does not exist and
the folder sits next to `sim/`.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_SCENARIO = "sakishima.yaml"


def bundled_dir() -> Path:
    installed = Path(__file__).resolve().parents[1] / "bundled"
    if (installed / DEFAULT_SCENARIO).is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "scenarios"


def default_scenario() -> Path:
    return bundled_dir() / DEFAULT_SCENARIO


def resolve(path: Path | str | None) -> Path:
    """The scenario a command should load: the given file, a bundled name, or the default."""
    if path is None:
        return default_scenario()
    path = Path(path)
    if not path.exists() and path.parent == Path(".") and (bundled_dir() / path.with_suffix(".yaml").name).is_file():
        return bundled_dir() / path.with_suffix(".yaml").name
    return path
