"""QA findings on the after-action report and the journal files it reads (one test per finding)."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest

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


# -- 1. names, not ids ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sakishima_aar(sakishima):
    from sim.analysis.report import build_aar
    from sim.simulation import Simulation

    sim = Simulation(sakishima, seed=1)
    sim.run()
    return build_aar(sakishima, sim.events, sim.inputs, sim.metrics(), seed=1)


def test_the_scenario_names_every_kind_of_thing_an_analysis_meets(sakishima):
    """Agencies, decisions, channels, links and populations read by name; an unknown id reads as itself."""
    agency, decision = sakishima.agencies[0], sakishima.decisions[0]
    assert sakishima.agency_name(agency.id) == sakishima.name_of(agency.id) == agency.name
    assert sakishima.decision_title(decision.id) == sakishima.name_of(decision.id) == decision.title
    channel = next(c for c in sakishima.channels if c.id)
    assert (
        sakishima.name_of(channel.id)
        == f"{sakishima.agency_name(channel.from_)} -> {sakishima.agency_name(channel.to)}"
    )
    link = next(k for k in sakishima.movement.links if k.title)
    assert sakishima.name_of(link.id) == link.title
    population = sakishima.movement.populations[0]
    assert sakishima.name_of(population.id).startswith(sakishima.area_name(population.area) + ": ")
    assert sakishima.name_of("no_such_thing") == "no_such_thing"


def test_rated_items_read_by_title_with_the_id_beside_it(sakishima_aar, sakishima):
    """`Rated items` lists each item by its title and keeps its id in brackets, never a bare id."""
    titles = {d.id: d.title for d in sakishima.decisions}
    for _capability, _rating, items in sakishima_aar.capabilities:
        for item in items:
            ident = re.fullmatch(r".+ \((\w+)\)", item)
            assert ident, item
            if ident.group(1) in titles:
                assert item.startswith(titles[ident.group(1)][:20])


def test_inject_rows_name_their_addressees(sakishima_aar, sakishima):
    """An inject sent to several agencies lists them by name in the expected-versus-actual table."""
    from sim.analysis.report import render_html

    inject = next(i for i in sakishima.injects if len(i.to) > 1 and i.expected_action)
    html = render_html(sakishima_aar, plots={})
    names = ", ".join(sakishima.agency_name(a) for a in inject.to)
    assert f"{escape(names)} · " in html
    assert f"{', '.join(inject.to)} · " not in html


def test_where_the_hours_went_names_its_seams(sakishima_aar, sakishima):
    """The seam table reads `Cabinet (cabinet)`, a channel `A -> B (id)`, the exercise control in words."""
    from sim.analysis.report import render_markdown

    text = render_markdown(sakishima_aar, plots={})
    table = text[text.index("| Seam | Time | Share |") :].split("\n\n")[0]
    seams = [line.split(" | ")[0].lstrip("| ") for line in table.splitlines()[2:]]
    assert seams
    for seam in seams:
        ident = re.fullmatch(r".+ \(([\w>-]+)\)", seam)
        assert ident, seam
    by_id = {re.fullmatch(r".+ \(([\w>-]+)\)", s).group(1): s for s in seams}
    for ident, shown in by_id.items():
        if any(a.id == ident for a in sakishima.agencies):
            assert shown == f"{sakishima.agency_name(ident)} ({ident})"


def test_the_improvement_plan_names_the_decision(sakishima_aar, sakishima):
    """A corrective action names the decision by its title, not its id."""
    item = next(p for p in sakishima_aar.plan if p.element == "Planning")
    decision = next(d for d in sakishima.decisions if f"'{d.title}'" in item.issue)
    assert f"'{decision.title}'" in item.corrective_action
    assert f"'{decision.id}'" not in item.corrective_action


# -- 4. one timeline row per repeated inject ---------------------------------------------------


def test_an_inject_fired_again_and_again_is_one_timeline_row(sakishima_aar):
    """A repeating inject (a hazard's airspace closure) is one row with its count, first and last time."""
    fired = [r for r in sakishima_aar.timeline if r[1] == "inject"]
    texts = [text for _, _, text, _ in fired]
    assert len(texts) == len(set(texts))
    repeated = [r for r in fired if re.search(r" — \d+ times, D\+\d+ \d\d:\d\d to D\+\d+ \d\d:\d\d$", r[2])]
    assert repeated
    count, first, last = re.search(r" — (\d+) times, (\S+ \S+) to (\S+ \S+)$", repeated[0][2]).groups()
    assert int(count) > 1 and first == sakishima_aar.label(repeated[0][0]) and first != last


# -- 3. one figure once -------------------------------------------------------------------------


def test_a_movement_time_the_scenario_measures_is_shown_once(sakishima_aar):
    """Sakishima times movement start -> completion itself: the built-in movement rows give way to its metrics."""
    from sim.analysis.report import render_markdown

    text = render_markdown(sakishima_aar, plots={})
    assert "Movement complete (after movement start)" not in text
    assert "Movement start (after T+0)" not in text
    values = [line.split(" | ")[1] for line in text.splitlines() if line.startswith("| Movement start to the last")]
    assert len(values) == 1


def test_the_span_not_the_title_decides_what_duplicates_a_movement_time():
    """A metric timing movement completion from movement start under any title duplicates the built-in
    row; one filtered to a single area, or timing the last event, measures something else."""
    from types import SimpleNamespace

    from sim.analysis.areas import MovementTimes
    from sim.analysis.report import MOVEMENT_COMPLETE, MOVEMENT_START, movement_rows, spans_measured

    def event_time(event, since=None, **extra):
        fields = {"kind": "event_time", "event": event, "target": None, "source": None, "last": False}
        return SimpleNamespace(
            **{**fields, **extra, "since": since and SimpleNamespace(event=since, target=None, source=None)}
        )

    plain = SimpleNamespace(
        metrics=[event_time("movement_completed", "movement_started"), event_time("movement_started")]
    )
    assert spans_measured(plain) == {MOVEMENT_COMPLETE, MOVEMENT_START}
    other = SimpleNamespace(
        metrics=[
            event_time("movement_completed", "movement_started", target="north"),
            event_time("movement_started", last=True),
        ]
    )
    assert spans_measured(other) == frozenset()
    ledger = {"population": 10, "moved": 10, "exposed": 0, "in_danger": 0}
    times = MovementTimes(60.0, 600.0)
    labels = [label for label, _ in movement_rows(ledger, times, spans_measured(plain))]
    assert "Movement complete (after movement start)" not in labels and "Safe" in labels
    assert "Movement complete (after movement start)" in [label for label, _ in movement_rows(ledger, times)]


def test_rated_items_stand_one_a_line_in_html(sakishima_aar):
    """Titles hold commas, so the HTML puts each rated item on its own line rather than comma-joining them."""
    from sim.analysis.report import render_html

    html = render_html(sakishima_aar, plots={})
    _name, _rating, items = next(c for c in sakishima_aar.capabilities if len(c[2]) > 1)
    assert "<br>".join(escape(i) for i in items) in html


def test_the_hours_figure_keeps_seams_apart_whose_names_start_alike(sakishima_aar):
    """Cutting names short for the figure never merges two seams into one row."""
    from sim.analysis.report import _by_seam_name

    named = _by_seam_name(sakishima_aar)
    assert len(named.by_seam()) == len(sakishima_aar.critical_path.by_seam())
    assert all(len(label.splitlines()) <= 2 for label, _ in named.by_seam())
