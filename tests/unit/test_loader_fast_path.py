"""The scenario loader composes YAML with libyaml when it can; users must not be able to tell.

Positions (line, column of every key and value), the data built and the problems
found must be the same as with PyYAML's pure-Python composer, whose error
wording is the one users see.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.scenario.loader as loader

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML here has no libyaml: one path only")

# YAML fragments that exercise flow and block collections, anchors, merges, tags,
# multi-line scalars, non-ASCII text and odd line breaks (tabs and BOMs excepted:
# those always take the Python path).
FRAGMENTS = [
    "a: ", "b:", "\n", "  ", "- ", "x", "1", "\u0085", "\u2028", "\r", "\r\n", "é", "😀", "{", "}", "[", "]",
    ", ", "'q'", '"w"', "&r ", "*r", "#c", "? ", ":", "0x1", "yes", "~", "|\n  t\n", ">\n  t\n", "\x00", "\x07",
    "---\n", "...\n", "!!str ", "!x ", "<<: *r\n", '"\\u00e9\\x"',
]  # fmt: skip


def _parsed(text: str, monkeypatch: pytest.MonkeyPatch, *, fast: bool) -> tuple:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(loader, "_CSafeLoader", None)
        try:
            raw, positions, problems = loader._parse(text, "s.yaml")
        except loader.ScenarioError as error:
            return ("error", str(error))
    return raw, positions.values, positions.keys, [str(p) for p in problems]


def test_the_fast_path_is_taken_for_an_ordinary_scenario() -> None:
    used, _ = loader._compose((ROOT / "scenarios" / "sakishima.yaml").read_text(encoding="utf-8"))
    assert isinstance(used, loader._FastYamlLoader)


@pytest.mark.parametrize("text", ["a: 'x\ty'\n", "\ufeffa: 1\n"], ids=["tab", "bom"])
def test_tabs_and_byte_order_marks_take_the_python_path(text: str) -> None:
    used, _ = loader._compose(text)
    assert isinstance(used, loader.ScenarioYamlLoader)


def _utf8_yaml_files() -> list[Path]:
    """Bundled scenarios and test fixtures (not the non-UTF-8 ones, which never reach the composer)."""
    paths = sorted((ROOT / "scenarios").rglob("*.yaml")) + sorted((ROOT / "tests").rglob("*.yaml"))
    readable = []
    for path in paths:
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        readable.append(path)
    return readable


@pytest.mark.parametrize("path", _utf8_yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_and_fixture_file_reads_the_same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    assert _parsed(text, monkeypatch, fast=True) == _parsed(text, monkeypatch, fast=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=25).map("".join))
def test_random_yaml_reads_the_same_both_ways(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _parsed(text, monkeypatch, fast=True) == _parsed(text, monkeypatch, fast=False)
