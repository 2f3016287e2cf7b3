"""`ttxsim validate` finds consequence references to nothing, each at FILE:LINE:COL."""

from __future__ import annotations

from pathlib import Path

from sim.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"

EXPECTED = """\
{f}:10:19: decisions.0.when.state: unknown state variable 'levle' (did you mean 'level'?)
{f}:14:38: decisions.0.options.0.effects.0.state: unknown state variable 'lvel' (did you mean 'level'?)
{f}:14:76: decisions.0.options.0.effects.1.inject: unknown inject 'alrm' (did you mean 'alarm'?)
{f}:16:46: injects.0.when.option: decision 'go' has no option 'maybe'; its options: yes
{f}:17:39: injects.1.when.any.0.inject: unknown inject 'alarn' (did you mean 'alarm'?)
{f}:17:58: injects.1.when.any.1.decision: unknown decision 'goo' (did you mean 'go'?)
{f}:19:37: hazards.0.rate.state: unknown state variable 'nope'
{f}:19:90: hazards.0.effects.0.inject: unknown inject 'nothing'
{f}:21:10: metrics.0.id: metric id 'objectives' is reserved (objectives are reported under it)
{f}:22:33: metrics.1.event: unknown event kind 'cohort_depated' (did you mean 'cohort_departed'?) (see the event catalogue)
{f}:23:33: metrics.2.state: unknown state variable 'lev' (did you mean 'level'?)
{f}:25:21: objectives.0.metric: unknown metric 'mm' (did you mean 'm'?)
"""


def test_unknown_names_in_effects_conditions_hazards_and_metrics_are_reported(capsys):
    path = DATA / "consequences_bad_refs.yaml"
    code = main(["validate", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err == EXPECTED.format(f=path)


def test_schema_problems_of_conditions_and_effects_read_as_sentences(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        'scenario: {id: c, title: C, start: "2027-04-05T06:00:00+09:00", horizon: 1d}\n'
        "agencies: [{id: hq, name: HQ, kind: executive}]\n"
        "state: [{id: level, initial: 7, max: 5}]\n"
        "injects:\n"
        '  - {id: a, when: {option: "yes"}, to: [hq], synopsis: A.}\n'
        "  - {id: d, at: 1h, to: [hq], synopsis: D., effects: [{kind: sett, state: level, value: 1}]}\n"
    )
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"{path}:3:9: state.0: initial 7.0 is above max 5.0"
    assert lines[1] == f"{path}:5:19: injects.0.when: 'option' applies only to a 'decision' clause"
    assert lines[2].startswith(f"{path}:6:62: injects.1.effects.0.kind: unknown kind 'sett' (did you mean 'set'?)")


def test_the_consequence_test_scenario_is_valid(capsys):
    assert main(["validate", str(DATA / "consequences.yaml")]) == 0


def test_injects_that_fire_each_other_without_delay_are_refused(capsys, tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(
        'scenario: {id: c, title: C, start: "2027-04-05T06:00:00+09:00", horizon: 1d}\n'
        "agencies: [{id: hq, name: HQ, kind: executive}]\n"
        "injects:\n"
        "  - {id: a, at: 1h, to: [hq], synopsis: A., effects: [{kind: fire, inject: c}, {kind: fire, inject: b}]}\n"
        "  - {id: b, on_demand: true, to: [hq], synopsis: B., effects: [{kind: fire, inject: a, delay: 0m}]}\n"
        "  - {id: c, on_demand: true, to: [hq], synopsis: C., effects: [{kind: fire, inject: c, delay: 1h}]}\n"
    )
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"{path}:5:85: injects.1.effects.0.inject: injects fire each other with no delay, forever: "
        "a -> b -> a; give one a delay\n"
    )
