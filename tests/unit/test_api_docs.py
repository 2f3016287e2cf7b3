"""docs/python-api.md is a worked example: its Python blocks run, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("pandas", reason="the analysis extra (pandas) is part of the test extra")
pytest.importorskip("SALib", reason="the analysis extra (SALib) is part of the test extra")

DOC = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_the_page_has_examples_for_every_function():
    code = "\n".join(_blocks())
    for call in (
        "sim.load_scenario(",
        "sim.run(",
        ".events_frame()",
        "sim.replicate(",
        "sim.compare(",
        "sim.sensitivity(",
    ):
        assert call in code, call


@pytest.mark.slow
def test_python_api_page_runs(capsys):
    namespace: dict = {}
    for number, block in enumerate(_blocks(), 1):
        exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "Sakishima" in printed
    assert "integrated_authority" in printed
    assert "paired replications" in printed
    assert "decisions.cabinet_procedure" in printed
