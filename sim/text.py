"""Text for people: untrusted text made safe, and numbers made readable.

Scenario titles, inject synopses, notes and MSEL cells come from files and
people we do not control. Each output has its own hazard: a terminal obeys
escape sequences, a spreadsheet runs cells that start with `=`, a Markdown
viewer renders raw HTML. One function per destination, used by every writer.

Durations, counts, state values and scenario metrics are worded here once, so
the CLI, the console, its debrief, the ratings and the after-action report say
the same thing the same way: a tsunami's decision took "3.7 min", an airlift
"165.6 h", "4,891" people were caught, "0.522" of them were safe.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

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


SHORT_SPAN_HOURS = 2.0
"""Times under this many hours are tabled in minutes (`compare`, `explain`, their figures): a
tsunami's order reads 10.7 min, not 0.2 h; a 21-day evacuation's hours stay hours."""


def in_minutes(hours: float | None) -> bool:
    """Whether a time of `hours` (the largest a table or axis shows) reads in minutes."""
    return hours is not None and abs(hours) < SHORT_SPAN_HOURS


def duration_text(hours: float | None) -> str:
    """A span of time as people read it: `45 s`, `3.7 min` (one decimal below ten minutes, where a
    tsunami's decisions live), `11 min` below an hour, else hours with one decimal (`30.5 h`);
    `-` for none. The one formatter of durations: pass minutes as `minutes / 60`."""
    if hours is None:
        return "-"
    minutes = hours * 60.0
    if abs(minutes) < 1.0 and minutes != 0.0:
        return f"{minutes * 60:.0f} s"
    if abs(minutes) < 9.95:
        return f"{minutes:.1f}".removesuffix(".0") + " min"
    if abs(hours) < 1.0 and round(minutes) < 60:
        return f"{minutes:.0f} min"
    return f"{hours:.1f} h"


def number_text(value: float) -> str:
    """A state value as a facilitator reads it aloud: `4,740` people, `0.463` of a share, `12.5` t
    (not `0.462891`): thousands grouped, at most three significant digits after a whole part."""
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def count_text(value: float) -> str:
    """A count of people or events with its thousands grouped: `4,891` (a fractional sum keeps
    three significant digits, as `number_text`)."""
    return f"{value:,.0f}" if value == int(value) else number_text(value)


DURATION_METRICS = frozenset({"span", "time", "event_time"})
"""Metric kinds whose value is hours (`sim.analysis.metrics`)."""


def metric_text(kind: str, value: float | None) -> str:
    """A scenario metric's value worded by its kind (`metrics:` in the scenario): spans and times as
    durations (`11 min`, `30.5 h`), counts grouped (`4,891`), indicators `yes` / `no`, state statistics
    with three significant digits (`0.522`); `did not happen` when it has no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "did not happen"
    if kind in DURATION_METRICS:
        return duration_text(float(value))
    if kind == "indicator":
        return "yes" if value else "no"
    if kind == "count":
        return count_text(value)
    return number_text(float(value))


def target_text(kind: str, at_least: float | None, at_most: float | None) -> str:
    """An objective's target in its metric's words: `at most 500`, `at most 3.0 h`, `at least 0.9`;
    an indicator's `yes` (at least 1) or `no` (at most 0)."""
    if kind == "indicator" and (at_least, at_most) in ((1, None), (None, 0)):
        return "yes" if at_least == 1 else "no"
    bounds = (("at least", at_least), ("at most", at_most))
    return " and ".join(f"{word} {metric_text(kind, bound)}" for word, bound in bounds if bound is not None)


def sentence_title(title: str) -> str:
    """A metric title as a sentence names it: without a trailing reading note in brackets
    (`Clash at sea (1 = yes; compare: share of runs)` -> `Clash at sea`, `... off the islands (h)`
    -> `... off the islands`), which explains a table column but only interrupts a sentence."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", title).strip() or title


def objective_text(objective: Any, metric: Any, value: float | None, met: int | None) -> str:
    """How an objective came out, naming its metric by its title: `not met: People caught by the
    first wave — 4,891 (target: at most 500)`. `metric` is the scenario metric it names (None if unknown),
    `met` the run's result (1, 0, or None when the metric did not happen)."""
    kind = getattr(metric, "kind", "")
    title = (getattr(metric, "title", None) or objective.metric) if metric is not None else objective.metric
    verdict = {1: "met", 0: "not met"}.get(met, "not measured")  # type: ignore[arg-type]
    target = target_text(kind, objective.at_least, objective.at_most)
    return f"{verdict}: {sentence_title(title)} — {metric_text(kind, value)} (target: {target})"
