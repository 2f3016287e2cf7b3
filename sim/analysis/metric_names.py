"""Refusing a metric name a command cannot report, in one wording for `explain`, `compare`,
`sweep` and `sensitivity`: the name, a close match if there is one, and the names it knows, with
the per-decision, per-objective and per-kind families written once each (`decisions.ID.taken_hours`)
rather than a hundred times."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

FAMILIES = (
    ("decision.", lambda rest: "decision.ID"),
    ("decisions.", lambda rest: "decisions.ID." + rest.rpartition(".")[2]),
    ("objectives.", lambda rest: "objectives.ID"),
    ("critical_path.", lambda rest: "critical_path.KIND_hours"),
)
"""Name families (engine vocabulary, not a scenario's) shown as one pattern each: the prefix and
how a member's remainder is written."""


def shown_names(known: Iterable[str]) -> list[str]:
    """`known` in order, each family collapsed to its pattern at its first member."""
    shown: dict[str, None] = {}
    for name in known:
        pattern = next((write(name[len(p) :]) for p, write in FAMILIES if name.startswith(p)), name)
        shown[pattern] = None
    return list(shown)


def unknown_metric(metric: str, known: Iterable[str], what: str = "metric") -> str:
    """The one-sentence refusal of `metric`, which is not among `known` (what a run reports):
    `unknown metric 'X' (did you mean 'Y'? or try A, B or decisions.ID.taken_hours)`."""
    known = list(known)
    shown = shown_names(known)
    listed = ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else "".join(shown)
    close = difflib.get_close_matches(metric, sorted(set(known)), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? or try " if close else "try "
    return f"unknown {what} '{metric}' ({hint}{listed})" if listed else f"unknown {what} '{metric}'"
