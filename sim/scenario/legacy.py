"""Scenario text recorded by earlier versions, made loadable again.

A journal stores the exact scenario text it was played on, and must stay
readable (report, debrief, `compare --decisions`) after the format moves on.
That text was valid when it was recorded, so a top-level section this version
does not know is one that was removed since (the fixed span sections whose
metrics every scenario now declares under `metrics:`, for example); it is
dropped. Files a user edits get a clear "unknown key" instead: they can be
fixed; a journal's text cannot (its SHA-256 guards it).
"""

from __future__ import annotations

from functools import cache


@cache
def known_sections() -> frozenset[str]:
    """The top-level keys this version's scenario format reads."""
    from sim.scenario.schema import Scenario

    return frozenset(field.alias or name for name, field in Scenario.model_fields.items())


def without_removed_sections(text: str) -> str:
    """`text` with every top-level section this version does not know blanked out.

    The lines are replaced by empty lines, not deleted, so every position a
    problem or an event refers to stays on the same line as in the stored text.
    Comments at the left margin are kept (they belong to what follows).
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
