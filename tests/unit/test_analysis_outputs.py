"""What `compare`/`sweep` show and write: help text, repeated --metric, safe and atomic files.

Scenario text is untrusted: arm names and sweep values reach the CSV tables,
so a cell that a spreadsheet would evaluate is neutralised. Every file goes
through `sim.files` (temporary file + rename), and no output may overwrite an
input of the command.
"""

from __future__ import annotations

import csv
import errno
import json
import re
from pathlib import Path

import pytest

from sim.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"


def _help(command: str) -> str:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return subparsers.choices[command].format_help()


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_help_prints_single_percent_signs(command):
    """The help reads "95 % CI" and never a doubled "%%" (argparse expands help, not descriptions)."""
    text = _help(command)
    assert "%%" not in text
    assert "95 % CI" in re.sub(r"\s+", " ", text)


def test_metric_is_repeatable_and_every_metric_is_shown(capsys):
    """Two --metric flags: both appear in the table (the first is not silently dropped)."""
    first, second = "decisions.recognise_situation.taken_hours", "decisions.evacuation_order.came_up_hours"
    argv = ["compare", str(MINIMAL), "-n", "3", "-j", "1", "-q", "--metric", first, "--metric", second]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert f"\n{first} (hours)" in table and f"\n{second} (hours)" in table


def test_precision_waits_for_every_metric(capsys):
    """--precision with two metrics reports each one and `reached` only when both are."""
    first, second = "decisions.evacuation_order.taken_hours", "decisions.evacuation_instruction.taken_hours"
    argv = ["compare", str(MINIMAL), "-n", "4", "-j", "1", "-q", "--json", "--precision", "100h"]
    assert main([*argv, "--metric", first, "--metric", second, "--max-replications", "30"]) == 0
    precision = json.loads(capsys.readouterr().out)["precision"]
    assert set(precision["metrics"]) == {first, second}
    assert precision["reached"] == all(entry["reached"] for entry in precision["metrics"].values())


def test_csv_cells_from_the_scenario_are_neutralised(tmp_path, capsys):
    """Sweep values are scenario text: one that a spreadsheet would run is written with a leading
    apostrophe; numbers (negative ones too) stay numbers."""
    out = tmp_path / "results"
    param = "injects.m01.synopsis='=HYPERLINK(1)',-2+3,'@SUM(A1)'"
    argv = ["sweep", str(MINIMAL), "--param", param, "-n", "2", "-j", "1", "-q", "--out", str(out), "--no-plots"]
    assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    with (out / "replications.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    values = {row["injects.m01.synopsis"] for row in rows}
    assert values == {"'=HYPERLINK(1)", "'-2+3", "'@SUM(A1)"}
    for name in ("replications.csv", "curves.csv"):
        if (out / name).exists():
            with (out / name).open(encoding="utf-8") as handle:
                cells = [cell for row in csv.reader(handle) for cell in row]
            assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_outputs_never_overwrite_the_scenario(tmp_path, capsys):
    """--plot naming the scenario, or --out holding it under an output name, is refused; the file is unchanged."""
    scenario = tmp_path / "summary.json"
    scenario.write_text(MINIMAL.read_text(encoding="utf-8"), encoding="utf-8")
    before = scenario.read_bytes()
    assert main(["compare", str(scenario), "-n", "2", "-j", "1", "-q", "--out", str(tmp_path), "--no-plots"]) == 1
    err = capsys.readouterr().err.strip()
    assert "refusing to overwrite an input" in err and len(err.splitlines()) == 1
    plot = tmp_path / "scenario.svg"
    plot.write_bytes(before)
    assert main(["compare", str(plot), "-n", "2", "-j", "1", "-q", "--plot", str(plot)]) == 1
    assert "refusing to overwrite an input" in capsys.readouterr().err
    assert scenario.read_bytes() == before and plot.read_bytes() == before


def test_outputs_never_overwrite_the_journal(tmp_path, capsys):
    """--plot naming the journal given to --decisions is refused before anything runs."""
    journal = tmp_path / "class.svg"
    journal.write_bytes(b"journal bytes")
    argv = ["compare", str(MINIMAL), "--decisions", str(journal), "-n", "2", "-q", "--plot", str(journal)]
    assert main(argv) == 1
    assert "refusing to overwrite an input" in capsys.readouterr().err
    assert journal.read_bytes() == b"journal bytes"


def test_a_full_disk_keeps_the_previous_results(tmp_path, capsys, monkeypatch):
    """A write that fails (disk full) exits 1 with one sentence and leaves the previous file whole."""
    out = tmp_path / "results"
    argv = ["compare", str(MINIMAL), "-n", "2", "-j", "1", "-q", "--out", str(out), "--no-plots"]
    assert main(argv) == 0
    capsys.readouterr()
    previous = (out / "replications.csv").read_bytes()

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sim.files.os.fsync", full)
    assert main([*argv[:3], "3", *argv[4:]]) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("not written, the disk is full (the previous file, if any, is unchanged)")
    assert len(err.splitlines()) == 1
    assert (out / "replications.csv").read_bytes() == previous
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
