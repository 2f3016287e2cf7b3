"""`ttxsim compare` and `ttxsim sweep` from the command line: JSON contract, outputs, errors."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = str(ROOT / "tests" / "data" / "minimal.yaml")
DECISION = "decisions.evacuation_order.taken_hours"


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_compare_json_has_the_design_shape(capsys):
    """`--json` prints {replications, metrics: {m: {baseline: {...}, REFORM: {..., difference}}}}."""
    payload = _json(capsys, ["compare", MINIMAL, "--reform", "fast_instruction", "-n", "12", "-j", "1", "--json"])
    assert payload["replications"] == 12
    entry = payload["metrics"][DECISION]
    assert set(entry) == {"baseline", "fast_instruction"}
    for key in ("mean", "sd", "ci95", "n"):
        assert key in entry["baseline"]
    diff = entry["fast_instruction"]["difference"]
    assert {"mean", "ci95", "better_share"} <= set(diff)
    assert diff["ci95"][1] < 0  # the reform shortens this chain: the interval excludes 0
    assert diff["better_share"] == 1.0


def test_a_metric_that_never_happened_is_null_with_its_count_of_missing(capsys):
    """The tsunami's 90 % safe never comes: null with its count of missing, never a number."""
    payload = _json(capsys, ["compare", "tsunami", "-n", "3", "-j", "1", "--json", "-q"])
    never = payload["metrics"]["time_to_90pct_safe"]["baseline"]
    assert never == {"mean": None, "sd": None, "ci95": None, "n": 0, "missing": 3}
    assert payload["metrics"]["movement.exposed"]["baseline"]["n"] == 3  # the network's own figures come too


def test_compare_jobs_1_and_2_print_identical_json(capsys):
    """`--jobs 1` and `--jobs 2` give byte-identical JSON for the same seed."""
    argv = ["compare", MINIMAL, "--reform", "fast_instruction", "-n", "10", "--seed", "4", "--json", "-q"]
    one = _json(capsys, [*argv, "--jobs", "1"])
    two = _json(capsys, [*argv, "--jobs", "2"])
    assert one == two


@pytest.mark.slow
def test_compare_out_writes_tables_figures_and_manifest(tmp_path, capsys):
    """--out writes the per-replication table, summary, figures and a manifest that names the inputs."""
    pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")
    out = tmp_path / "results"
    plot = tmp_path / "overview.svg"
    assert (
        main(
            [
                "compare",
                MINIMAL,
                "--reform",
                "fast_instruction",
                "-n",
                "6",
                "-j",
                "1",
                "--seed",
                "9",
                "--metric",
                DECISION,
                "--out",
                str(out),
                "--plot",
                str(plot),
                "-q",
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert DECISION in table
    assert "movement." not in table  # no movement network: none of the network's built-in figures
    lines = (out / "replications.csv").read_text().splitlines()
    assert lines[0].startswith("replication,seed,arm,events,")
    assert len(lines) == 1 + 2 * 6
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["master_seed"] == 9
    assert manifest["replications"] == 6
    assert [a["name"] for a in manifest["arms"]] == ["baseline", "fast_instruction"]
    assert manifest["arms"][1]["reforms"] == ["fast_instruction"]
    assert len(manifest["scenario"]["sha256"]) == 64
    assert set(manifest["replication_seeds"]) == {str(k) for k in range(6)}
    assert "simpy" in manifest["packages"]
    for name in manifest["files"]:
        assert (out / name).exists(), name
    assert (out / "differences.png").exists() and (out / "differences.svg").exists()
    assert plot.read_text().startswith("<?xml")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 6


def test_compare_parquet_matches_csv(tmp_path, capsys):
    """With pyarrow installed, the Parquet table holds the same rows, nulls kept as nulls."""
    pq = pytest.importorskip("pyarrow.parquet", reason="optional pyarrow not installed")
    out = tmp_path / "r"
    assert main(["compare", "tsunami", "-n", "4", "-j", "1", "--out", str(out), "--no-plots", "-q"]) == 0
    capsys.readouterr()
    table = pq.read_table(out / "replications.parquet")
    assert table.num_rows == 4
    assert table.column("time_to_90pct_safe").null_count == 4


def test_compare_precision_adds_replications_until_narrow(capsys):
    """--precision keeps adding batches until the widest 95% half-width is small enough."""
    payload = _json(
        capsys,
        [
            "compare",
            MINIMAL,
            "--reform",
            "fast_instruction",
            "-n",
            "5",
            "-j",
            "1",
            "--precision",
            "1.5h",
            "--metric",
            DECISION,
            "--max-replications",
            "400",
            "--json",
        ],
    )
    precision = payload["precision"]
    assert precision["reached"] is True
    assert precision["half_width"] <= 1.5
    assert payload["replications"] > 5
    row = payload["metrics"][DECISION]["baseline"]
    assert (row["ci95"][1] - row["ci95"][0]) / 2 <= 1.5


def test_compare_precision_stops_at_the_cap(capsys):
    """An unreachable precision stops at --max-replications and says so."""
    payload = _json(
        capsys,
        [
            "compare",
            MINIMAL,
            "-n",
            "4",
            "-j",
            "1",
            "--precision",
            "0.001",
            "--metric",
            DECISION,
            "--max-replications",
            "12",
            "--json",
            "-q",
        ],
    )
    assert payload["replications"] == 12
    assert payload["precision"]["reached"] is False


def test_sweep_json_table_and_plot(tmp_path, capsys):
    """A sweep runs every value with the same seeds; the table and plot come out."""
    pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")
    plot = tmp_path / "sweep.png"
    payload = _json(
        capsys,
        [
            "sweep",
            MINIMAL,
            "--param",
            "decisions.evacuation_instruction.delay=30m,2h,4h",
            "-n",
            "6",
            "-j",
            "1",
            "--metric",
            DECISION,
            "--json",
            "--plot",
            str(plot),
        ],
    )
    assert [p["name"] for p in payload["points"]] == ["delay=30m", "delay=2h", "delay=4h"]
    means = [payload["metrics"][DECISION][p]["mean"] for p in ("delay=30m", "delay=2h", "delay=4h")]
    assert means[0] < means[1] < means[2]
    assert payload["metrics"][DECISION]["delay=2h"]["difference"]["mean"] == pytest.approx(1.5, abs=1e-3)
    assert plot.stat().st_size > 1000
    assert (
        main(
            [
                "sweep",
                MINIMAL,
                "--param",
                "decisions.evacuation_instruction.delay=30m,2h",
                "-n",
                "3",
                "-j",
                "1",
                "--metric",
                DECISION,
                "-q",
            ]
        )
        == 0
    )
    assert "delay=30m" in capsys.readouterr().out


def test_sweep_grid_of_two_params(capsys):
    """Two --param options give the full grid of points."""
    payload = _json(
        capsys,
        [
            "sweep",
            MINIMAL,
            "--param",
            "decisions.evacuation_instruction.delay=1h,2h",
            "--param",
            "agencies.fdma.handling=5m,30m",
            "-n",
            "2",
            "-j",
            "1",
            "--json",
            "-q",
        ],
    )
    assert len(payload["points"]) == 4
    assert payload["points"][0]["settings"] == {
        "decisions.evacuation_instruction.delay": "1h",
        "agencies.fdma.handling": "5m",
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", MINIMAL, "--reform", "no_such_reform", "-n", "2"], "unknown reform"),
        (["sweep", MINIMAL, "--param", "decisions.nope.delay=1h", "-n", "2"], "does not exist"),
        (
            ["sweep", MINIMAL, "--param", "decisions.evacuation_instruction.delay=banana", "-n", "2"],
            "makes the scenario invalid",
        ),
        (["sweep", MINIMAL, "--param", "decisions.evacuation_instruction.delay", "-n", "2"], "expected PATH=V1"),
        (["compare", MINIMAL, "--scheduler", "tcp://x:1", "-n", "2"], "--scheduler needs --backend dask"),
        (["compare", MINIMAL, "--precision", "fast", "-n", "2"], "--precision"),
        (["compare", MINIMAL, "-n", "0"], "at least 1"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(capsys, argv, message):
    """Bad input exits 2 with a clear message on stderr and no traceback."""
    with pytest.raises(SystemExit) as exit_info:
        code = main(argv)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_matplotlib_is_one_sentence(tmp_path):
    """Without matplotlib, --plot fails before running, naming the extra to install."""
    code = (
        "import sys; sys.modules['matplotlib'] = None; from sim.cli import main; "
        f"sys.exit(main(['compare', {MINIMAL!r}, '-n', '2', '--plot', {str(tmp_path / 'x.png')!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "ttxsim[analysis]" in result.stderr
    assert result.stderr.count("\n") == 1


def test_analysis_modules_never_import_the_engine():
    """sim/analysis imports neither simpy, sim.engine, sim.domain nor sim.simulation (style.md 2.9)."""
    forbidden = ("simpy", "sim.engine", "sim.domain", "sim.simulation", "textual", "rich", "tui")
    mine = ("backends", "compare", "outputs", "plots", "progress", "replications", "stats", "sweep")
    for path in [ROOT / "sim" / "analysis" / f"{name}.py" for name in mine]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in forbidden), f"{path.name}: {name}"


def test_building_the_parser_loads_no_heavy_library():
    """`ttxsim --help` and friends stay light: no numpy, matplotlib, pyarrow or dask at import."""
    code = (
        "import sys; from sim.cli import build_parser; build_parser(); "
        "heavy = sorted(m for m in ('numpy', 'matplotlib', 'pyarrow', 'dask', 'distributed') "
        "if m in sys.modules); print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compare_decisions_adds_a_session_arm(capsys, tmp_path):
    """`--decisions JOURNAL` replays a class's choices on every seed as a 'session' arm."""
    from sim.journal import start_session

    simulation, journal = start_session(
        MINIMAL, seed=3, human_roles={"cabinet"}, journal_path=tmp_path / "class.sqlite", mode="play"
    )
    while not simulation.finished:
        simulation.advance(simulation.now + 60)
        for decision in simulation.view().decisions:
            if decision.status == "pending" and decision.human:
                journal.decide(simulation, decision.id, "no", decision.owner)
    journal.close(simulation.now)
    code = main(["compare", "--decisions", str(tmp_path / "class.sqlite"), "-n", "6", "-j", "1", "--json", "-q"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    # The class always answered "no", so the instruction that needs "yes" never comes in the session arm.
    taken = payload["metrics"]["decisions.evacuation_instruction.taken_hours"]
    assert taken["baseline"]["n"] > 0
    assert taken["session"]["n"] == 0


def test_compare_shows_short_times_in_minutes_and_shares_with_three_decimals(capsys):
    """The tsunami's order came after 0.2 'hours' and every share read 0.5: differences the
    table computed were invisible. Times under two hours are minutes; values under 1 keep 3 decimals."""
    from sim.analysis.compare import render_table

    payload = {
        "metrics": {
            "order_hours": {
                "baseline": {"mean": 0.2, "sd": 0.05, "ci95": [0.18, 0.22], "n": 30, "missing": 0},
                "drill": {
                    "mean": 0.1,
                    "sd": 0.05,
                    "ci95": [0.08, 0.12],
                    "n": 30,
                    "missing": 0,
                    "difference": {"mean": -0.1, "ci95": [-0.12, -0.08], "better_share": 0.9},
                },
            },
            "share_safe": {"baseline": {"mean": 0.494, "sd": 0.068, "ci95": [0.469, 0.519], "n": 30, "missing": 0}},
            "completion_hours": {"baseline": {"mean": 152.8, "sd": 9.0, "ci95": [149.4, 156.2], "n": 30, "missing": 0}},
        }
    }
    out = render_table(payload, ["order_hours", "share_safe", "completion_hours"])
    assert "order_hours (minutes)" in out
    assert "    12.0     3.0  [10.8, 13.2]" in out and "-6.0 [-7.2, -4.8]" in out
    assert "   0.494   0.068  [0.469, 0.519]" in out
    assert "completion_hours (hours)" in out and "   152.8     9.0  [149.4, 156.2]" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["compare", MINIMAL, "-n", "3", "-j", "1"],
        ["compare", MINIMAL, "-n", "3", "-j", "1", "--precision", "1", "--max-replications", "5"],
        ["sweep", MINIMAL, "--param", "decisions.evacuation_instruction.delay=30m,2h", "-n", "3", "-j", "1"],
    ],
    ids=["compare", "compare-precision", "sweep"],
)
def test_an_unknown_metric_is_refused_before_any_replication_in_explains_words(argv, capsys, monkeypatch):
    """Not run to the end (or to the --max-replications cap) and then noted under the table with
    exit 0: exit 2 and one line naming what the runs record, before the replications start."""
    import sim.commands.analysis as commands

    def no_replications(*_args, **_kwargs):
        raise AssertionError("replications ran for an unknown metric")

    monkeypatch.setattr(commands, "_run", no_replications)
    assert main([*argv, "--metric", DECISION.replace("taken", "taken_")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ttxsim: unknown metric 'decisions.evacuation_order.taken__hours' (did you mean ")
    assert "decisions.ID.taken_hours" in err and "critical_path.KIND_hours" in err and err.count("\n") == 1


def test_a_critical_path_metric_is_known_before_the_replications(capsys):
    payload = _json(
        capsys, ["compare", MINIMAL, "-n", "2", "-j", "1", "--json", "--metric", "critical_path.deliberation_hours"]
    )
    assert "critical_path.deliberation_hours" in payload["metrics"]


def test_list_reforms_names_what_reform_may_take_and_runs_nothing(capsys, monkeypatch):
    """`compare FILE --list-reforms`: the scenario's reforms, id and title, without running (as
    `sensitivity --list`); `--json` adds the description; `--help` says how to find them."""
    import sim.commands.analysis as commands
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario

    monkeypatch.setattr(commands, "_run", lambda *_a, **_k: pytest.fail("replications ran"))
    assert main(["compare", "tsunami", "--list-reforms"]) == 0
    lines = capsys.readouterr().out.splitlines()
    reforms = load_scenario(resolve("tsunami")).reforms
    assert lines[0].endswith(f": {len(reforms)} reforms")
    assert [line.split(None, 1) for line in lines[1:]] == [[r.id, r.title] for r in reforms]
    payload = _json(capsys, ["compare", MINIMAL, "--list-reforms", "--json"])
    assert [r["id"] for r in payload["reforms"]] == ["fast_instruction"] and "description" in payload["reforms"][0]
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    assert "--list-reforms" in capsys.readouterr().out


def test_people_counted_safe_have_a_better_direction_and_the_table_says_what_dash_means():
    """`people_safe +715 ... -` sat beside `exposed_people -715 ... 100%`: a count of people who
    reached safety had no direction (no objective names it). Counts of the movement's own events
    now have one (safe: more is better; exposed: fewer), and a line under the table says what
    `better` is and that `-` means no known direction."""
    from sim.analysis.compare import BETTER_LEGEND, MetricTraits, render_table
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario

    traits = MetricTraits.of(load_scenario(resolve("tsunami")))
    assert traits.directions["people_safe"] is False and traits.directions["exposed_people"] is True
    assert "zone_cleared" not in traits.directions  # an indicator without an objective: no direction

    row = {"mean": 1.0, "sd": 0.0, "ci95": [1.0, 1.0], "n": 3, "missing": 0}
    diff = {"mean": 0.0, "ci95": [0.0, 0.0], "better_share": None}
    payload = {"metrics": {"zone_cleared": {"baseline": row, "drill": {**row, "difference": diff}}}}
    lines = render_table(payload, ["zone_cleared"]).splitlines()
    assert lines[-2].endswith(" -") and lines[-1] == BETTER_LEGEND
    assert "better" in BETTER_LEGEND and "-: no known better direction" in BETTER_LEGEND
    lone = {"metrics": {"zone_cleared": {"baseline": row}}}
    assert BETTER_LEGEND not in render_table(lone, ["zone_cleared"])  # no arm to compare: no column to explain
