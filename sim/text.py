"""Untrusted text made safe for the place it is shown.

Scenario titles, inject synopses, notes and MSEL cells come from files and
people we do not control. Each output has its own hazard: a terminal obeys
escape sequences, a spreadsheet runs cells that start with `=`, a Markdown
viewer renders raw HTML. One function per destination, used by every writer.
"""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(text: str) -> str:
    """Text without control characters (escape sequences, bidi overrides) or lone surrogates.

    Newlines and tabs stay; everything else that a terminal would interpret is
    shown as a visible `\\xNN` / `\\uNNNN` escape, so nothing is silently hidden.
    """
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def spreadsheet_safe(cell: object) -> object:
    """A CSV cell that a spreadsheet will not evaluate (OWASP CSV injection).

    Strings starting with `= + - @`, tab or carriage return get a leading
    apostrophe; numbers and other values pass through unchanged.
    """
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def markdown_safe(text: str) -> str:
    """Text for a Markdown document: HTML escaped, so raw tags never render or run."""
    return html.escape(text, quote=False)
