"""Read a scenario file into a `Scenario`, or explain exactly what is wrong with it.

Rule kept here (style.md 2.1.4): every problem names the file, the line, the
column and the field, one line each, as `FILE:LINE:COL: field.path: message`,
and *all* problems are reported at once: YAML structure first, then the
pydantic schema and the cross-references (`references.py`) together, sorted by
line. Nothing here raises anything but `ScenarioError` for a bad file.

Pipeline::

    bytes --decode--> text --_PositionLoader--> (raw dict, Positions)
          --Scenario.model_validate + check_references--> Scenario
          --apply_reforms (reforms.py) + validate again--> Scenario

YAML dialect (decided here, documented in the scenario authoring guide):

* No implicit timestamps: `2027-04-05` stays the string `"2027-04-05"`;
  pydantic parses it where a field wants a datetime, and reports a bad date
  with its position instead of crashing in the YAML constructor.
* No sexagesimal numbers: `21:00` stays the string `"21:00"` (not 1260).
* Booleans are only `true`/`false` (any case YAML 1.1 allows). `yes`, `no`,
  `on` and `off` stay strings, so an option `id: no` or a key `on:` keeps its
  text. Boolean fields still accept them because pydantic's (lax) bool parsing
  reads `"yes"`/`"no"`/`"on"`/`"off"`.
* Duplicate keys in one mapping are problems (the first value is kept so the
  rest of the file can still be checked).
* Aliases are resolved once and shared; merge keys (`<<`) are supported.

Path convention: `Problem.path` is the dotted path of keys and *list indices*
as they appear in the file, e.g. `agencies.3.parent`, the same as pydantic's
error locations (list items are never named by their `id` here; the line
number already shows which one). Reform patch paths (`reforms.py`) may name
list items by id; that is a different, user-written notation.
"""

from __future__ import annotations

import codecs
import difflib
import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario.legacy import replaced_parts
from sim.scenario.problems import (
    MAX_SUGGESTIONS,
    _LineIndex,
    _suggestions_left,
)
from sim.scenario.problems import PathTuple as PathTuple  # re-exported: callers import these from the loader
from sim.scenario.problems import Positions as Positions
from sim.scenario.problems import Problem as Problem
from sim.scenario.problems import ScenarioError as ScenarioError
from sim.scenario.problems import dotted as dotted
from sim.scenario.problems import suggest as suggest
from sim.scenario.references import check_references
from sim.scenario.reforms import apply_reforms_positioned
from sim.scenario.schema import Scenario
from sim.scenario.walk import (
    _get,
    _kind_of,
    _tag_names,
    allowed_keys,
    model_at,
)

# ---------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_REPLACED = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}


class _TooLarge(Exception):
    """The document expands past `MAX_NODES`; raised while composing, at the node that crossed the limit."""

    def __init__(self, mark: yaml.Mark | None, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class ScenarioYamlLoader(yaml.SafeLoader):
    """SafeLoader with the scenario dialect: no timestamps, no base-60, only true/false booleans.

    Use `parse_yaml` to build plain Python objects with positions; the
    constructor here is only used for single scalars.

    It also counts nodes as it composes them, with every alias counted as the
    whole subtree it stands for (what validation will walk), and stops past
    `max_nodes`: a small file of nested aliases ("billion laughs") or a huge
    list is refused in time and memory linear in what was read, not in what it
    would expand to.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: Any, max_nodes: int | None = None) -> None:
        super().__init__(stream)
        self.max_nodes = MAX_NODES if max_nodes is None else max_nodes
        self.expanded = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            self._count(self._sizes.get(id(node), 1), mark, alias=True)
            return node
        start = self.expanded
        node = super().compose_node(parent, index)
        self._count(1, node.start_mark, alias=False)
        self._sizes[id(node)] = self.expanded - start
        return node

    def _count(self, nodes: int, mark: yaml.Mark | None, *, alias: bool) -> None:
        self.expanded += nodes
        if self.expanded > self.max_nodes:
            raise _TooLarge(mark, _too_large_message(self.max_nodes, alias=alias))


ScenarioYamlLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
ScenarioYamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
ScenarioYamlLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))

try:  # libyaml's C parser and composer, about ten times faster than PyYAML's pure-Python ones
    from yaml import CSafeLoader as _CSafeLoader
except ImportError:  # PyYAML built without libyaml
    _CSafeLoader = None

if _CSafeLoader is not None:

    class _FastYamlLoader(_CSafeLoader):
        """The scenario dialect composed by libyaml: same resolvers and constructors as
        `ScenarioYamlLoader`, without its node count (`_precount` has already counted
        the document with the same C parser before this runs)."""

        yaml_implicit_resolvers = ScenarioYamlLoader.yaml_implicit_resolvers


def _compose(text: str) -> tuple[Any, yaml.Node | None]:
    """(loader, root node) for `text`, composed by libyaml when it is there.

    The C composer gives the same nodes and marks as the Python one, but its own
    wording for syntax errors; so on any error the text is composed again by
    `ScenarioYamlLoader`, whose messages (and position fixes) are the ones users see.
    Text with a tab or a byte-order mark always takes the Python path: libyaml
    accepts some tabs PyYAML refuses, and counts a BOM into its marks. (Compared
    on 30,000 random fragments without either: identical data, positions and
    problems; tests/unit/test_loader_fast_path.py keeps that checked.)
    """
    if _CSafeLoader is not None and "\t" not in text and "\ufeff" not in text:
        fast = _FastYamlLoader(text)
        try:
            return fast, fast.get_single_node()
        except (yaml.YAMLError, RecursionError):
            fast.dispose()
    loader = ScenarioYamlLoader(text)
    return loader, loader.get_single_node()


MAX_NODES = 100_000
"""Most YAML values (keys, items, scalars; an alias counted as everything it
repeats) a scenario may hold. The bundled scenario has under 4,000."""

DEFAULT_MAX_SIZE = 4 * 1024 * 1024
"""Largest scenario file read by default, in bytes (the bundled one is under 100 KB);
callers raise it with the `max_size` parameter, or for the whole process with
`set_max_size` (the CLI's `ttxsim --max-size SIZE`)."""

_max_size: int | None = DEFAULT_MAX_SIZE


def set_max_size(size: int | None) -> None:
    """The size limit every later read uses when its caller gives none (None: no limit).

    One setting for the process, so `ttxsim --max-size` reaches every command
    (run, compare, play, journals that carry a scenario) without each passing it on.
    """
    global _max_size  # one process-wide setting, set once by the CLI
    _max_size = size


_UNSET: Any = object()

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Builder:
    """Turn a composed YAML node tree into dicts/lists/scalars, recording positions."""

    def __init__(self, loader: Any, lines: _LineIndex, filename: str) -> None:
        self.loader = loader
        self.lines = lines
        self.positions = Positions(filename)
        self.problems: list[Problem] = []
        self.built: dict[int, Any] = {}
        self.active: set[int] = set()

    def problem(self, mark: yaml.Mark | None, path: PathTuple, message: str) -> None:
        line, col = self.lines.mark(mark)
        self.problems.append(Problem(self.positions.filename, line, col, dotted(path), message))

    def build(self, node: yaml.Node, path: PathTuple) -> Any:
        if id(node) in self.built:  # an alias: share the object, keep the alias's own position
            return self.built[id(node)]
        if id(node) in self.active:
            self.problem(node.start_mark, path, "an alias refers to the mapping or list that contains it")
            return None
        self.positions.values[path] = self.lines.mark(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node, path)
        else:
            self.active.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    if node.tag not in (_MAP_TAG, "tag:yaml.org,2002:set"):
                        self.problem(node.start_mark, path, f"unsupported YAML tag {node.tag!r}")
                    value = self.mapping(node, path)
                else:
                    if node.tag != _SEQ_TAG:
                        self.problem(node.start_mark, path, f"unsupported YAML tag {node.tag!r}")
                    value = [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            finally:
                self.active.discard(id(node))
        self.built[id(node)] = value
        return value

    def scalar(self, node: yaml.ScalarNode, path: PathTuple) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or node.start_mark
            self.problem(mark, path, f"cannot read value: {getattr(error, 'problem', None) or error}")
        except (ValueError, TypeError, OverflowError) as error:
            self.problem(node.start_mark, path, f"cannot read value {node.value!r}: {error}")
        return None

    def mapping(self, node: yaml.MappingNode, path: PathTuple) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, yaml.Node] = {}
        merges: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append((key_node, value_node))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node.start_mark, path, "a key must be plain text, not a mapping or a list")
                continue
            key = self.scalar(key_node, path)
            try:
                hash(key)
            except TypeError:
                self.problem(key_node.start_mark, path, f"a key must be plain text, got {key_node.value!r}")
                continue
            if key in first_seen:
                line, _ = self.lines.mark(first_seen[key].start_mark)
                self.problem(key_node.start_mark, (*path, key), f"duplicate key {key!r} (first defined at line {line})")
                continue
            first_seen[key] = key_node
            self.positions.keys[(*path, key)] = self.lines.mark(key_node.start_mark)
            result[key] = self.build(value_node, (*path, key))
        for key_node, value_node in merges:
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.problem(source.start_mark, path, "'<<' merges only mappings")
                    continue
                merged = self.build(source, (*path, "<<"))
                for key, value in (merged or {}).items():
                    if key not in result:
                        result[key] = value
                        self.positions.keys[(*path, key)] = self.lines.mark(key_node.start_mark)
                        self.positions.values.setdefault((*path, key), self.lines.mark(key_node.start_mark))
        return result


def _decode(data: bytes, filename: str) -> str:
    """Bytes -> text: UTF-8 (with or without BOM) or BOM-marked UTF-16/32."""
    for bom, encoding in (  # noqa: B007 - the loop picks the encoding it breaks on
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            break
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode(encoding, errors="replace")) + 1
        byte = data[error.start : error.start + 1].hex()
        raise ScenarioError(
            [
                Problem(
                    filename,
                    line,
                    col,
                    "",
                    f"not a text file: byte 0x{byte} at offset {error.start} is not valid "
                    f"{encoding.upper().removesuffix('-SIG')}",
                )
            ]
        ) from None


def _precount(text: str, max_nodes: int) -> tuple[int, int, str] | None:
    """(line, col, message) where the document first expands past `max_nodes`, read
    with libyaml's C parser (about fifty times faster than the pure-Python composer
    that builds positions), so an oversized file is refused in a fraction of a
    second; None if it fits, libyaml is missing or the YAML does not parse (the
    composer then reports the syntax error in its own words)."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML built without libyaml: the composer's own count still applies
        return None
    parser = CParser(text)
    sizes: dict[str, int] = {}
    stack: list[tuple[int, str | None]] = []  # (count before the collection, its anchor)
    count = 0
    try:
        while (event := parser.get_event()) is not None:
            if isinstance(event, yaml.AliasEvent):
                count += sizes.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                count += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                stack.append((count, event.anchor))
                count += 1
            elif isinstance(event, yaml.CollectionEndEvent) and stack:
                before, anchor = stack.pop()
                if anchor is not None:
                    sizes[anchor] = count - before
            else:
                continue
            if count > max_nodes:
                mark = event.start_mark
                alias = isinstance(event, yaml.AliasEvent)
                return mark.line + 1, mark.column + 1, _too_large_message(max_nodes, alias=alias)
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()
    return None


def _too_large_message(max_nodes: int, *, alias: bool) -> str:
    what = "this alias expands the scenario" if alias else "the scenario has"
    return (
        f"{what} past {max_nodes:,} values (keys, items and scalars, aliases counted in full); "
        "a scenario is far smaller"
    )


def _parse(text: str, filename: str) -> tuple[Any, Positions, list[Problem]]:
    """YAML text -> (raw data, positions, problems). Raises ScenarioError if nothing can be built."""
    too_large = _precount(text, MAX_NODES)
    if too_large is not None:
        line, col, message = too_large
        raise ScenarioError([Problem(filename, line, col, "", message)])
    lines = _LineIndex(text)

    def fail(mark_or_pos: yaml.Mark | tuple[int, int] | None, message: str) -> ScenarioError:
        line, col = mark_or_pos if isinstance(mark_or_pos, tuple) else lines.mark(mark_or_pos)
        return ScenarioError([Problem(filename, line, col, "", message)])

    loader: Any = None
    try:
        loader, node = _compose(text)
        if node is None:
            raise fail((1, 1), "the file is empty; expected a scenario mapping (scenario:, agencies:, ...)")
        builder = _Builder(loader, lines, filename)
        raw = builder.build(node, ())
    except yaml.reader.ReaderError as error:
        raise fail(
            lines.at(error.position),
            f"not a text file: control character U+{error.character:04X} is not allowed in YAML",
        ) from None
    except yaml.MarkedYAMLError as error:
        message = str(error.problem or "invalid YAML")
        if "'\\t'" in message:
            message = "a tab character; YAML is indented with spaces, not tabs"
        elif message.startswith("but ") and error.context:
            message = f"{error.context}, {message}"
        elif error.context:
            message = f"{message} ({error.context}"
            if error.context_mark is not None and error.context_mark.index != getattr(
                error.problem_mark, "index", None
            ):
                message += f" at line {lines.mark(error.context_mark)[0]}"
            message += ")"
        raise fail(error.problem_mark or error.context_mark, f"YAML syntax error: {message}") from None
    except yaml.YAMLError as error:
        raise fail((1, 1), f"YAML error: {error}") from None
    except _TooLarge as error:
        raise fail(error.mark, error.message) from None
    except RecursionError:
        raise fail((1, 1), "the YAML is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(raw, dict):
        line, col = builder.positions.values.get((), (1, 1))
        raise ScenarioError(
            [
                Problem(
                    filename,
                    line,
                    col,
                    "",
                    f"expected a mapping of scenario sections (scenario:, agencies:, ...) "
                    f"at the top level, got {_describe(raw)}",
                )
            ]
        )
    return raw, builder.positions, builder.problems


def load_raw(text: str, filename: str = "<string>") -> tuple[dict[str, Any], Positions]:
    """Parse scenario YAML into a plain mapping plus the position of every key and value.

    Raises:
        ScenarioError: the text is not YAML, not a mapping, or repeats a key.
    """
    raw, positions, problems = _parse(text, filename)
    if problems:
        raise ScenarioError(problems)
    return raw, positions


# ---------------------------------------------------------------------------
# Schema errors -> problems
# ---------------------------------------------------------------------------


def _describe(value: Any) -> str:
    """A short phrase for a YAML value in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _raw_path(raw: Any, loc: Sequence[Any]) -> tuple[PathTuple, list[Any]]:
    """Follow a pydantic `loc` through the raw data.

    Returns the part that exists in the raw data (tags such as `lognormal` or
    `function-after[...]` dropped) and the trailing parts that do not.
    """
    node, path, rest = raw, [], []
    for part in loc:
        if rest:
            rest.append(part)
        elif (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            path.append(part)
        elif isinstance(part, str) and (part in _TAG_NAMES or "[" in part):
            continue  # a union tag or validator name: not in the YAML
        else:
            rest.append(part)
    return tuple(path), rest


_QUOTED = re.compile(r"'([^']*)'")
_ID_PATTERN = r"^[a-z][a-z0-9_]*$"


def _schema_problem(error: Mapping[str, Any], raw: Any, positions: Positions) -> Problem | None:
    """One pydantic error -> one Problem at the right place with a short human message."""
    kind = error["type"]
    msg = str(error["msg"])
    ctx = error.get("ctx") or {}
    value = error.get("input")
    path, rest = _raw_path(raw, error["loc"])
    if kind == "missing":
        field = rest[-1] if rest else (error["loc"][-1] if error["loc"] else "?")
        return positions.problem(path, f"field required: {field!r}", key=True)
    if kind in ("extra_forbidden", "invalid_key"):
        if rest:  # should not happen: the key is in the raw data
            path = (*path, *rest)
        key = path[-1] if path else value
        allowed = allowed_keys(raw, path[:-1])
        hint = suggest(key, allowed)
        if not hint and allowed and len(allowed) <= 12:
            hint = f"; expected one of: {', '.join(allowed)}"
        text = f"unknown key {key!r}{hint}" if kind == "extra_forbidden" else f"a key must be text, got {key!r}"
        return positions.problem(path, text, key=True)
    if kind == "value_error" and str(msg).startswith("Value error, option ids repeat"):
        return None  # references.py reports each repeated option id at its own line
    if kind == "union_tag_invalid":
        expected = _QUOTED.findall(str(ctx.get("expected_tags", "")))
        tag = ctx.get("tag")
        sub = (*path, "kind") if isinstance(_get(raw, path), dict) and "kind" in _get(raw, path) else path
        return positions.problem(
            sub, f"unknown kind {tag!r}{suggest(tag, expected)}; expected one of: {', '.join(expected)}"
        )
    if kind == "union_tag_not_found":
        expected = sorted({k for cls in model_at(raw, path) for k in _kind_of(cls)}) or []
        discriminator = _QUOTED.findall(str(ctx.get("discriminator", "'kind'")))
        name = discriminator[0] if discriminator else "kind"
        tail = f" (one of: {', '.join(expected)})" if expected else ""
        return positions.problem(path, f"field required: {name!r}{tail}", key=True)
    if kind in ("enum", "literal_error"):
        expected = _QUOTED.findall(str(ctx.get("expected", "")))
        shown = ", ".join(expected) if len(expected) <= 12 else ", ".join(expected[:12]) + ", ..."
        return positions.problem(
            path, f"unknown value {_describe(value)}{suggest(value, expected)}; expected one of: {shown}"
        )
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == _ID_PATTERN:
        return positions.problem(
            path, f"expected an id of lower-case letters, digits and '_' starting with a letter, got {_describe(value)}"
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return positions.problem(path, f"expected a mapping, got {_describe(value)}")
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    msg = msg.replace("Input should be ", "expected ")
    for redundant in (", unable to parse string as an integer", ", unable to parse string as a number"):
        msg = msg.replace(redundant, "")
    if kind.endswith(("_type", "_parsing")) or kind.startswith(("greater_than", "less_than", "multiple_of")):
        msg = f"{msg}, got {_describe(value)}"
    return positions.problem(path, msg)


_TAG_NAMES = _tag_names()


def _misspelt_required(entries: list[Any], raw: Any, positions: Positions) -> list[Problem]:
    """`missing` problems already explained by an unknown key that suggests the field (`ownr` -> `owner`)."""
    unknown: dict[PathTuple, list[Any]] = {}
    for entry in entries:
        if entry["type"] == "extra_forbidden":
            path, _ = _raw_path(raw, entry["loc"])
            if path:
                unknown.setdefault(path[:-1], []).append(path[-1])
    covered = []
    for entry in entries:
        if entry["type"] != "missing":
            continue
        path, rest = _raw_path(raw, entry["loc"])
        field = rest[-1] if rest else None
        keys = [k for k in unknown.get(path, []) if isinstance(k, str)]
        if isinstance(field, str) and keys and difflib.get_close_matches(field, keys, n=1, cutoff=0.6):
            problem = _schema_problem(entry, raw, positions)
            if problem is not None:
                covered.append(problem)
    return covered


def _validate(raw: dict[str, Any], positions: Positions) -> tuple[Scenario | None, list[Problem]]:
    """Schema + cross-reference problems for one raw scenario, all collected.

    A scenario written for a replaced model (`evacuation:`, its effect kinds) gets only
    the problems that say what replaces each part: every other problem would follow from them."""
    replaced = replaced_parts(raw, positions)
    if replaced:
        return None, replaced
    problems: dict[Problem, None] = {}  # an ordered set: linear however many problems there are
    suggested: set[Problem] = set()
    scenario: Scenario | None = None
    budget = _suggestions_left.set(MAX_SUGGESTIONS)
    try:
        try:
            scenario = Scenario.model_validate(raw)
        except ValidationError as error:
            entries = error.errors(include_url=False)
            suggested = set(_misspelt_required(entries, raw, positions))
            for entry in entries:
                problem = _schema_problem(entry, raw, positions)
                if problem is not None and problem not in suggested:
                    problems[problem] = None
        for problem in check_references(raw, positions):
            problems[problem] = None
    finally:
        _suggestions_left.reset(budget)
    return scenario, list(problems)


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def load_scenario_text(text: str, filename: str = "<string>", reforms: Sequence[str] = ()) -> Scenario:
    """Validate scenario YAML text, then apply the named reforms in order.

    Args:
        text: the YAML.
        filename: shown in problems.
        reforms: ids of `reforms:` entries to apply, in order.

    Returns:
        The validated `Scenario` (with the reforms' patches applied).

    Raises:
        ScenarioError: every problem found, one per line.
    """
    raw, positions, problems = _parse(text, filename)
    scenario, more = _validate(raw, positions)
    problems.extend(more)
    if problems or scenario is None:
        raise ScenarioError(problems or [Problem(filename, 1, 1, "", "invalid scenario")])
    if not reforms:
        return scenario
    patched, patched_positions = apply_reforms_positioned(raw, reforms, positions)
    scenario, problems = _validate(patched, patched_positions)
    if problems or scenario is None:
        names = ", ".join(repr(n) for n in reforms)
        label = f"after reform {names}" if len(reforms) == 1 else f"after reforms {names}"
        raise ScenarioError(
            [Problem(p.file, p.line, p.col, p.path, f"{p.message} ({label})") for p in problems]
            or [Problem(filename, 1, 1, "", f"invalid scenario ({label})")]
        )
    return scenario


def load_scenario(path: str | Path, reforms: Sequence[str] = (), *, max_size: int | None = _UNSET) -> Scenario:
    """Load and validate a scenario file, then apply the named reforms.

    Args:
        path: the scenario file (a regular file).
        reforms: ids of `reforms:` entries to apply, in order.
        max_size: largest file accepted, in bytes (None: no limit; default: `set_max_size`'s).

    Raises:
        ScenarioError: the file is missing, not a regular file, too large, unreadable
            or invalid; every problem, one per line.
    """
    return load_scenario_text(read_scenario_text(path, max_size=max_size), str(path), reforms)


def _not_found(path: str | Path) -> str:
    """'file not found', naming the bundled scenarios when a bare name may have meant one."""
    if Path(path).parent != Path("."):
        return "file not found"
    from sim.scenario.bundled import names

    return f"file not found, and no bundled scenario has that name ({', '.join(names())})"


def read_scenario_text(path: str | Path, *, max_size: int | None = _UNSET) -> str:
    """A scenario file's text (UTF-8, or UTF-16/32 with a BOM), for callers that keep
    the text itself (journals, replication arms) as well as loading it.

    Only regular files are read (a FIFO would block, `/dev/zero` never ends), and
    at most `max_size` bytes (None: no limit): a larger file is refused before it
    is read into memory.

    Raises:
        ScenarioError: the file is missing, a directory, not a regular file, larger
            than `max_size`, unreadable or not text.
    """
    filename = str(path)
    if max_size is _UNSET:
        max_size = _max_size

    def refuse(message: str) -> ScenarioError:
        return ScenarioError([Problem(filename, 1, 1, "", message)])

    try:
        kind = os.stat(path).st_mode  # before opening: opening a FIFO blocks until a writer comes
        if stat.S_ISDIR(kind):
            raise refuse("is a directory, not a scenario file")
        if not stat.S_ISREG(kind):
            raise refuse("is not a regular file (a device, pipe or socket); give a scenario file")
        with open(path, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # replaced since the check
                raise refuse("is not a regular file (a device, pipe or socket); give a scenario file")
            data = file.read() if max_size is None else file.read(max_size + 1)
    except FileNotFoundError:
        raise refuse(_not_found(path)) from None
    except IsADirectoryError:
        raise refuse("is a directory, not a scenario file") from None
    except OSError as error:
        raise refuse(f"cannot read file: {error.strerror or error}") from None
    if max_size is not None and len(data) > max_size:
        raise refuse(
            f"the file is larger than {_size_text(max_size)}, the most a scenario may be (ttxsim --max-size SIZE raises it)"
        )
    return _decode(data, filename)


def _size_text(size: int) -> str:
    """`4194304` -> `4 MB`; sizes below a megabyte in KB, below a kilobyte in bytes."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def load_scenario_bytes(data: bytes, filename: str = "<bytes>", reforms: Sequence[str] = ()) -> Scenario:
    """`load_scenario_text` for undecoded file contents (UTF-8, or UTF-16/32 with a BOM)."""
    return load_scenario_text(_decode(data, filename), filename, reforms)
