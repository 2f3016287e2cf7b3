"""QA findings on the after-action report and the journal files it reads (one test per finding)."""

from __future__ import annotations

import re
from pathlib import Path

from sim.journal import default_journal_path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_names_journals_by_the_suffix_the_journal_code_writes(tmp_path):
    """README's `ttxsim report` example uses the suffix `run --journal`/`play` give a journal by default."""
    suffix = default_journal_path("x", 1, folder=tmp_path).suffix
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"ttxsim report (\S+)", readme)
    assert examples, "README shows no `ttxsim report` example"
    assert all(Path(example).suffix == suffix for example in examples), examples


def _journal_of_a_run(folder: Path) -> Path:
    from sim.cli import main

    path = folder / "s.ttxj"
    assert main(["run", str(ROOT / "tests" / "data" / "minimal.yaml"), "--journal", str(path)]) == 0
    return path


def test_report_leaves_no_side_files_beside_the_journal(tmp_path, capsys):
    """`ttxsim report` reads a closed journal without leaving `-wal`/`-shm` files: only the outputs are new."""
    from sim.cli import main

    journal = _journal_of_a_run(tmp_path / "sessions")
    before = set(journal.parent.iterdir())
    out = tmp_path / "out" / "aar.html"
    assert main(["report", str(journal), "--out", str(out)]) == 0
    assert set(journal.parent.iterdir()) == before
    assert {p.name for p in out.parent.iterdir()} == {"aar.html", "aar-improvement-plan.csv"}


def test_an_indicator_objective_reads_as_a_sentence():
    """An objective on an indicator whose title carries a reading note reads `met: Clash at sea — no (target: no)`."""
    from types import SimpleNamespace

    from sim.text import objective_text

    metric = SimpleNamespace(kind="indicator", title="Clash at sea (1 = yes; compare: share of runs)")
    objective = SimpleNamespace(metric="clash", at_least=None, at_most=0)
    assert objective_text(objective, metric, 0, 1) == "met: Clash at sea — no (target: no)"
    counted = SimpleNamespace(kind="count", title="People caught by the first wave")
    capped = SimpleNamespace(metric="caught", at_least=None, at_most=500)
    assert (
        objective_text(capped, counted, 4891, 0)
        == "not met: People caught by the first wave — 4,891 (target: at most 500)"
    )
