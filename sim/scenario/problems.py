"""Problems in a scenario file and where they are: the pieces every validation pass shares.

`Problem` (one finding at a line and column), `ScenarioError` (all of a file's
problems), `Positions` (where each raw value sits) and `suggest` (did you mean).
They live apart from the loader so that the loader, the cross-reference checks
(`references.py`, `consequence_refs.py`) and the reforms (`reforms.py`) all
import them from here, and none of those imports another in a circle.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import yaml

PathTuple = tuple[Any, ...]
"""A path into the raw data: mapping keys and list indices."""

# ---------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a scenario file, at a 1-based line and column."""

    file: str
    line: int
    col: int
    path: str
    """Dotted field path (`agencies.3.parent`); empty for file-level problems."""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}:"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where} {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be loaded; `problems` lists every reason, sorted by position."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p.file, p.line, p.col, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def dotted(path: Sequence[Any]) -> str:
    """`('agencies', 3, 'parent')` -> `agencies.3.parent`."""
    return ".".join(str(part) for part in path)


MAX_SUGGESTIONS = 200
"""Most "did you mean" hints computed while validating one file: each costs a difflib
search, and a file with tens of thousands of unknown names needs none past the first few."""

_suggestions_left: ContextVar[int | None] = ContextVar("suggestions_left", default=None)


def suggest(word: Any, candidates: Iterator[Any] | Sequence[Any]) -> str:
    """` (did you mean 'X'?)` when difflib finds a close match, else ``
    (also `` once `MAX_SUGGESTIONS` hints were computed in this validation)."""
    if not isinstance(word, str):
        return ""
    left = _suggestions_left.get()
    if left is not None:
        if left <= 0:
            return ""
        _suggestions_left.set(left - 1)
    pool = sorted({c for c in candidates if isinstance(c, str) and c != word})
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------------------
# Positions
# ---------------------------------------------------------------------------


class Positions:
    """1-based (line, col) of every mapping key and every value, by raw path.

    `value(path)` is where the value starts (for a block mapping, its first
    key; for a list item, the item after `- `); `key(path)` is where the key
    naming it starts (list items have no key: their value position is used).
    `nearest(path)` falls back to the closest recorded ancestor.
    """

    def __init__(self, filename: str = "<string>") -> None:
        self.filename = filename
        self.values: dict[PathTuple, tuple[int, int]] = {}
        self.keys: dict[PathTuple, tuple[int, int]] = {}

    def value(self, path: Sequence[Any]) -> tuple[int, int] | None:
        return self.values.get(tuple(path))

    def key(self, path: Sequence[Any]) -> tuple[int, int] | None:
        path = tuple(path)
        return self.keys.get(path) or self.values.get(path)

    def nearest(self, path: Sequence[Any], *, key: bool = False) -> tuple[int, int]:
        """Position of `path` (its key if `key`), else of its nearest recorded ancestor."""
        path = tuple(path)
        while True:
            found = self.key(path) if key else self.values.get(path)
            if found is not None:
                return found
            if not path:
                return (1, 1)
            path = path[:-1]
            key = True  # an ancestor is best shown by the key that names it

    def problem(self, path: Sequence[Any], message: str, *, key: bool = False) -> Problem:
        line, col = self.nearest(path, key=key)
        return Problem(self.filename, line, col, dotted(path), message)

    def rerooted(self, source: Sequence[Any], target: Sequence[Any]) -> Positions:
        """A copy where everything under `target` is positioned as under `source`.

        Used after a reform patch copies the value at `source` (in the reform)
        to `target` (in the scenario): errors in the patched value point at the
        reform's text.
        """
        source, target = tuple(source), tuple(target)
        copy = Positions(self.filename)
        for table, new in ((self.values, copy.values), (self.keys, copy.keys)):
            for path, pos in table.items():
                if path[: len(target)] != target:
                    new[path] = pos
            for path, pos in table.items():
                if path[: len(source)] == source:
                    new[target + path[len(source) :]] = pos
        return copy


class _LineIndex:
    """Char offset -> 1-based (line, col), counting only `\\n` as a line break (as editors do)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        # A position after the final newline is shown at the end of the last real line.
        self.last_line = len(self.starts) - 1 if len(self.starts) > 1 and text.endswith("\n") else len(self.starts)

    def at(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset)
        if line > self.last_line:
            line = self.last_line
            return line, len(self.text) - self.starts[line - 1]  # just after the last char, before `\n`
        return line, offset - self.starts[line - 1] + 1

    def mark(self, mark: yaml.Mark | None) -> tuple[int, int]:
        if mark is None:
            return (1, 1)
        return self.at(mark.index)
