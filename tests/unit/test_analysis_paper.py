"""Outputs fit for a paper: chosen options in replications.csv, figures titled with the scenario and
labelled with its own titles, the paired-difference panel in the overview, PNG at print resolution."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = str(ROOT / "tests" / "data" / "minimal.yaml")


def _compare_out(tmp_path, *extra) -> Path:
    out = tmp_path / "out"
    argv = ["compare", MINIMAL, "--reform", "fast_instruction", "-n", "6", "-j", "1", "--out", str(out), "-q", *extra]
    assert main(argv) == 0
    return out


def test_replications_csv_has_the_chosen_options_and_who_chose_them(tmp_path, capsys):
    """Every row names each decision's option and its maker; a decision never taken stays empty
    (before, options were dropped as non-numeric: 0 of 120 rows had them)."""
    out = _compare_out(tmp_path, "--no-plots", "--seed", "2")
    capsys.readouterr()
    with (out / "replications.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    for row in rows:
        assert row["decisions.recognise_situation.option"] in ("yes", "no")
        assert row["decisions.recognise_situation.by"] == "policy"
        if row["decisions.recognise_situation.option"] == "yes":
            assert row["decisions.evacuation_order.option"] == "order"
        else:
            assert row["decisions.evacuation_order.option"] == ""  # never came up: no made-up option
    # options are text columns, never metrics in the summary
    summary = (out / "summary.json").read_text(encoding="utf-8")
    assert ".option" not in summary


def test_a_decision_that_never_came_up_does_not_become_a_numeric_column(tmp_path, capsys):
    """With a 'no' in some replication, the option used to turn into a metric and break Parquet."""
    pytest.importorskip("pyarrow", reason="optional extra ttxsim[analysis] not installed")
    import pyarrow.parquet as pq

    out = _compare_out(tmp_path, "--no-plots", "--seed", "2", "-n", "30")
    capsys.readouterr()
    table = pq.read_table(out / "replications.parquet")
    options = table.column("decisions.evacuation_order.option").to_pylist()
    assert None in options and "order" in options  # both cases occur with this seed
    assert str(table.schema.field("decisions.evacuation_order.option").type) == "string"


@pytest.mark.slow
def test_figures_carry_the_scenario_title_and_its_own_labels(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")
    out = _compare_out(tmp_path, "--metric", "decisions.evacuation_order.taken_hours")
    capsys.readouterr()
    svgs = sorted(out.glob("*.svg"))
    assert {p.stem for p in svgs} >= {"differences", "overview"}
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        assert "Minimal island evacuation" in text, svg.name  # the scenario's title in every figure
        assert (svg.with_suffix(".png")).is_file()
    overview = (out / "overview.svg").read_text(encoding="utf-8")
    assert "Paired differences" in overview
    assert "Pre-delegated evacuation instruction" in overview  # the reform's title, not its id
    assert "fast_instruction" not in overview
    assert "Order the evacuation of Ishigaki: decided" in overview  # the decision's own question


@pytest.mark.slow
def test_png_figures_are_print_resolution(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")
    from PIL import Image

    out = _compare_out(tmp_path)
    capsys.readouterr()
    for png in out.glob("*.png"):
        with Image.open(png) as image:
            dpi = image.info["dpi"]
        assert min(dpi) >= 299.5, png.name


def test_plot_overview_has_the_difference_panel(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")
    plot = tmp_path / "overview.svg"
    argv = ["compare", MINIMAL, "--reform", "fast_instruction", "-n", "4", "-j", "1", "--plot", str(plot), "-q"]
    assert main(argv) == 0
    capsys.readouterr()
    text = plot.read_text(encoding="utf-8")
    assert "Paired differences" in text
    assert "Minimal island evacuation: 4 paired replications" in text


def test_overlapping_lines_get_distinct_styles():
    """Two arms with identical curves stay apart: each arm has its own line style and marker."""
    from sim.analysis.plots import _styles

    styles = _styles(["baseline", "a", "b"])
    assert len({s for s, _ in styles.values()}) == 3
    assert len({m for _, m in styles.values()}) == 3
