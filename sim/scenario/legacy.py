"""Scenario text written for earlier versions: made loadable again, or refused with what replaces it.

A journal stores the exact scenario text it was played on, and must stay
readable (report, debrief, `compare --decisions`) after the format moves on.
That text was valid when it was recorded, so a top-level section this version
does not know is one that was removed since (the fixed span sections whose
metrics every scenario now declares under `metrics:`, for example); it is
dropped. Files a user edits get a clear "unknown key" instead: they can be
fixed; a journal's text cannot (its SHA-256 guards it).

Parts of the format whose model was *replaced* cannot be dropped: the run
would silently be another exercise. The island evacuation model (`evacuation:`
and the effects only it carried out) gave way to the movement network
(`movement:`); a file or a journal that still has them is refused with one
problem per part, at its line, saying what replaces it (`REPLACED`, the one
place these messages are written).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from sim.scenario.problems import PathTuple, Positions, Problem

MIGRATION = "see the migration note in docs/scenario-authoring.md"

REPLACED_SECTIONS = {
    "evacuation": f"the island model was replaced by `movement:` in ttxsim 0.1.0; {MIGRATION}",
}
"""Top-level sections whose model is gone -> what replaces it."""

REPLACED_EFFECTS = {
    "closure": "`close` with `for:`",
    "compliance": "`scale` of the state variable a population's `turnout.compliance` names, with `for:`",
    "vessels": "a link with `vehicles:` in `movement:`, opened and closed by `open` and `close`",
    "reinforcement": "`close` of the air links for the time the flights hold the stands, with `for:`",
}
"""Effect kinds only the island model carried out -> what to write instead."""


def replaced_effect_message(kind: str) -> str:
    return (
        f"effect kind {kind!r} went with the island model in ttxsim 0.1.0; write {REPLACED_EFFECTS[kind]} "
        f"instead ({MIGRATION})"
    )


def replaced_parts(raw: dict[str, Any], positions: Positions) -> list[Problem]:
    """One problem per part of `raw` written for a replaced model, at its line (empty: none)."""
    problems = [
        positions.problem((section,), message, key=True)
        for section, message in REPLACED_SECTIONS.items()
        if section in raw
    ]
    problems += [positions.problem(path, replaced_effect_message(kind)) for path, kind in _replaced_effects(raw, ())]
    return problems


def _replaced_effects(node: Any, path: PathTuple) -> Iterator[tuple[PathTuple, str]]:
    """(path of `kind`, kind) of every effect of a replaced kind: any item of an `effects:` list, wherever."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "effects" and isinstance(value, list):
                for i, effect in enumerate(value):
                    kind = effect.get("kind") if isinstance(effect, dict) else None
                    if isinstance(kind, str) and kind in REPLACED_EFFECTS:
                        yield (*path, key, i, "kind"), kind
            if key not in REPLACED_SECTIONS or path:
                yield from _replaced_effects(value, (*path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _replaced_effects(item, (*path, i))


@cache
def known_sections() -> frozenset[str]:
    """The top-level keys this version's scenario format reads, and those it refuses with a reason."""
    from sim.scenario.schema import Scenario

    fields = {field.alias or name for name, field in Scenario.model_fields.items()}
    return frozenset(fields | REPLACED_SECTIONS.keys())


def without_removed_sections(text: str) -> str:
    """`text` with every top-level section this version does not know blanked out.

    The lines are replaced by empty lines, not deleted, so every position a
    problem or an event refers to stays on the same line as in the stored text.
    Comments at the left margin are kept (they belong to what follows).
    Sections of a replaced model stay, so that loading the text says so.
    """
    known = known_sections()
    lines = text.split("\n")
    inside = False
    for number, line in enumerate(lines):
        if line and not line[0].isspace() and not line.startswith("#"):
            key, colon, _ = line.partition(":")
            inside = bool(colon) and key.strip().strip("'\"") not in known and not line.startswith(("---", "..."))
        if inside and not line.startswith("#"):
            lines[number] = ""
    return "\n".join(lines)
