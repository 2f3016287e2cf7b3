"""Scenario text recorded by earlier versions, made loadable again.

A journal stores the exact scenario text it was played on, and must stay
readable (report, debrief, `compare --decisions`) after the format moves on.
Files a user edits get a clear "unknown key" instead: they can be fixed; a
journal's text cannot (its SHA-256 guards it).

Removed so far:

* the fixed top-level `handover:` and `consultation:` sections (each a span
  between two decisions). Their metrics live in `metrics:` in every scenario
  that used them, so dropping the sections loses no figure.
"""

from __future__ import annotations

REMOVED_SECTIONS = ("handover", "consultation")
"""Top-level keys earlier versions had and this one no longer reads."""


def without_removed_sections(text: str) -> str:
    """`text` with every removed top-level section blanked out.

    The lines are replaced by empty lines, not deleted, so every position a
    problem or an event refers to stays on the same line as in the stored text.
    """
    lines = text.split("\n")
    inside = False
    for number, line in enumerate(lines):
        top_level = bool(line) and not line[0].isspace() and not line.startswith("#")
        if top_level:
            key = line.split(":", 1)[0].strip().strip("'\"")
            inside = key in REMOVED_SECTIONS and ":" in line
        if inside and not line.startswith("#"):  # a comment at the margin belongs to what follows
            lines[number] = ""
    return "\n".join(lines)
