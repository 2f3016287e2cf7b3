"""Malformed variants of minimal.yaml only ever raise ScenarioError, pointing inside the file."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario.loader import ScenarioError, load_raw, load_scenario, load_scenario_bytes, load_scenario_text

MINIMAL = Path(__file__).resolve().parents[1] / "data" / "minimal.yaml"
TEXT = MINIMAL.read_text(encoding="utf-8")
RAW, _ = load_raw(TEXT)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in the raw data."""
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*path, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_paths(value, (*path, i)))
    return out


PATHS = _paths(RAW)


def _at(raw: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        raw = raw[part]
    return raw


MAPPING_PATHS = [()] + [p for p in PATHS if isinstance(_at(RAW, p), dict)]


def _copy() -> Any:
    return yaml.safe_load(yaml.safe_dump(RAW))


def _check(error: ScenarioError, text: str) -> None:
    lines = max(1, len(text.splitlines()))
    assert error.problems, "a ScenarioError always has at least one problem"
    for problem in error.problems:
        assert 1 <= problem.line <= lines, (str(problem), lines)
        assert problem.col >= 1, str(problem)
        assert str(problem).count("\n") == 0


def _load(text: str) -> None:
    try:
        load_scenario_text(text, "m.yaml")
    except ScenarioError as error:
        _check(error, text)


def _dump(raw: Any) -> str:
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


_wrong_values = st.sampled_from(
    [
        None,
        True,
        0,
        -3,
        1.5,
        "",
        "zz",
        "Bad Id",
        "90 minutes",
        "25:00",
        [],
        ["x"],
        {},
        {"kind": "nope"},
        {"x": 1},
        "2027-13-45",
        ".nan",
        float("inf"),
    ]
)


@settings(SETTINGS, max_examples=30)
@given(st.sampled_from(PATHS))
def test_malformed_deleted_key(path: tuple[Any, ...]) -> None:
    """Deleting any key or list item gives a valid scenario or a ScenarioError (30 draws in the
    default set, 100 in the slow twin below)."""
    _delete_and_load(path)


@pytest.mark.slow
@SETTINGS
@given(st.sampled_from(PATHS))
def test_malformed_deleted_key_over_many_draws(path: tuple[Any, ...]) -> None:
    """The same, over 100 draws."""
    _delete_and_load(path)


def _delete_and_load(path: tuple[Any, ...]) -> None:
    raw = _copy()
    del _at(raw, path[:-1])[path[-1]]
    _load(_dump(raw))


@pytest.mark.slow
@SETTINGS
@given(st.sampled_from(MAPPING_PATHS), st.sampled_from(["ownr", "idd", "kidn", "form", "parnet", "latncy", "x"]))
def test_malformed_misspelt_key(path: tuple[Any, ...], key: str) -> None:
    """An unknown key anywhere is reported, with its position."""
    raw = _copy()
    _at(raw, path)[key] = "value"
    text = _dump(raw)
    try:
        load_scenario_text(text, "m.yaml")
    except ScenarioError as error:
        _check(error, text)
        assert any(f"unknown key '{key}'" in p.message for p in error.problems), str(error)
    else:
        raise AssertionError(f"unknown key {key!r} at {path} was accepted")


@pytest.mark.slow
@SETTINGS
@given(st.sampled_from(PATHS), _wrong_values)
def test_malformed_wrong_value(path: tuple[Any, ...], value: Any) -> None:
    """Replacing any value with a wrongly typed one raises only ScenarioError."""
    raw = _copy()
    _at(raw, path[:-1])[path[-1]] = value
    _load(_dump(raw))


@SETTINGS
@given(st.integers(min_value=0, max_value=len(TEXT)))
def test_malformed_truncated(cut: int) -> None:
    """The file cut off anywhere raises only ScenarioError (or loads, if the cut is harmless)."""
    _load(TEXT[:cut])


@SETTINGS
@given(st.integers(min_value=0, max_value=len(TEXT)), st.binary(min_size=1, max_size=8))
def test_malformed_random_bytes(at: int, junk: bytes) -> None:
    """Random bytes inserted anywhere raise only ScenarioError, positioned within the file."""
    data = TEXT.encode()[:at] + junk + TEXT.encode()[at:]
    try:
        load_scenario_bytes(data, "m.yaml")
    except ScenarioError as error:
        text = data.decode("utf-8", errors="replace")
        _check(error, text)


@SETTINGS
@given(st.integers(min_value=0, max_value=len(TEXT)), st.text(min_size=1, max_size=6))
def test_malformed_random_text(at: int, junk: str) -> None:
    """Random characters (quotes, colons, tabs, control characters) inserted anywhere raise only ScenarioError."""
    _load(TEXT[:at] + junk + TEXT[at:])


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_malformed_file_on_disk(rng: random.Random) -> None:
    """load_scenario on a shuffled file reports problems with the file's own name."""
    lines = TEXT.splitlines(keepends=True)
    rng.shuffle(lines)
    text = "".join(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shuffled.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_scenario(path)
        except ScenarioError as error:
            _check(error, text)
            assert all(p.file == str(path) for p in error.problems)
