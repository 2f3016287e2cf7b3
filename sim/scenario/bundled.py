"""Where the bundled scenarios live, installed or in a checkout, and which one is the default.

A normal `pip install .` ships the top-level `scenarios/` folder as the data
package `sim.bundled`; in a source checkout that package does not exist and
the folder sits next to `sim/`. Which scenario a command loads without a FILE
is data too (`scenarios/default.txt`), so the code names no scenario.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_MARKER = "default.txt"
"""File in the bundled folder whose first line that is not a `#` comment names the default scenario."""


class BundledError(FileNotFoundError):
    """The bundled folder has no readable default-scenario marker (a broken install)."""


def bundled_dir() -> Path:
    installed = Path(__file__).resolve().parents[1] / "bundled"
    if (installed / DEFAULT_MARKER).is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "scenarios"


def default_name(folder: Path | None = None) -> str:
    """The file name `default.txt` gives (e.g. `flood.yaml`).

    Raises:
        BundledError: the marker is missing or names nothing.
    """
    marker = (folder or bundled_dir()) / DEFAULT_MARKER
    try:
        lines = marker.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise BundledError(f"cannot read {marker} (which names the default scenario): {error.strerror}") from None
    name = next((line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
    if not name:
        raise BundledError(f"{marker} names no default scenario")
    return name


def default_scenario() -> Path:
    return bundled_dir() / default_name()


def names() -> list[str]:
    """The bundled scenarios' names, as commands accept them in place of a FILE (e.g. `tsunami`)."""
    return sorted(path.stem for path in bundled_dir().glob("*.yaml"))


def resolve(path: Path | str | None) -> Path:
    """The scenario a command should load: the given file, a bundled name, or the default."""
    if path is None:
        return default_scenario()
    path = Path(path)
    if not path.exists() and path.parent == Path(".") and (bundled_dir() / path.with_suffix(".yaml").name).is_file():
        return bundled_dir() / path.with_suffix(".yaml").name
    return path
