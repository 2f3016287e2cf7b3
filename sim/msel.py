"""The MSEL as a spreadsheet: export a scenario's `injects:` to CSV/XLSX and back.

Exercise planners keep their Master Scenario Events List in spreadsheets. The
first eleven columns follow the HSEEP/FEMA MSEL template order; the columns
after them carry what the template has no place for, so the round trip
scenario -> sheet -> scenario loses nothing:

    Control Number | Scenario Time | From | To | Method | Synopsis |
    Expected Player Action | Objective / Core Capability | Responsible Controller |
    Contingency | Notes || Trigger | Delay | On Demand | Effects | Source | Assumption

* Scenario time is elapsed time since STARTEX (T+0): `D+1 H+3 M+45` (export),
  and on import also `T+1d3h45m`, `T+27:45`, `H+6`, `1d6h` or a number of
  minutes. `On demand` marks a library inject; `On trigger` one fired by a
  decision (see the Trigger column). Minutes that are not whole are exported
  as `T+<minutes>m` so they survive exactly.
* `To` lists agency ids separated by commas, semicolons or new lines. With a
  target scenario, agency *names* and *role titles* are accepted too.
* `Trigger` and `Effects` hold JSON (any YAML flow text imports too).
* Flags (`Contingency`, `On Demand`) read Y/N, yes/no, true/false, x or empty.
* Empty optional text cells (`Objective`, `Controller`, `Notes`, ...) are null.

`import_msel(..., into=FILE)` rewrites only the text of the top-level
`injects:` block of FILE (from its key to the next top-level key, keeping the
comments just above that key) and leaves every other line byte for byte as it
was. The new block is re-dumped from the validated injects (one block mapping
per inject, lists in flow style); comments *inside* the old block are not kept,
since the sheet is now the source of those rows. The
whole file is validated before anything is written (atomically: temporary file,
then rename); an error names the sheet row and column.

Sheets are untrusted input. CSV cells a spreadsheet would evaluate get a
leading apostrophe on export and lose exactly that one on import (XLSX stores
text as text); a CSV is UTF-8 unless its BOM or `encoding` says otherwise, and
is refused rather than guessed; sizes are capped (`MAX_*`) before anything
large is read or inflated; at most `MAX_SHOWN_PROBLEMS` problems are shown.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.files import write_atomic
from sim.scenario.loader import Problem, ScenarioError
from sim.text import spreadsheet_safe, terminal_safe

if TYPE_CHECKING:
    from sim.scenario.schema import Inject, Scenario

__all__ = [
    "COLUMNS",
    "MselError",
    "export_msel",
    "format_scenario_time",
    "import_msel",
    "parse_scenario_time",
    "read_sheet",
    "replace_injects_block",
    "rows_to_injects",
]

# (field, header, aliases) in sheet order; the first eleven are the HSEEP/FEMA template.
COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "id",
        "Control Number",
        (
            "control no",
            "control #",
            "msel #",
            "msel no",
            "msel number",
            "inject #",
            "inject no",
            "inject number",
            "event #",
            "event no",
            "event number",
            "id",
            "#",
            "no",
        ),
    ),
    (
        "time",
        "Scenario Time",
        ("designated scenario time", "time", "exercise time", "scenario time (d+h+m)", "inject time", "at"),
    ),
    ("from", "From", ("sender", "from (sender)")),
    ("to", "To", ("recipient", "recipients", "to (player)", "player")),
    (
        "method",
        "Method",
        ("inject mode", "mode", "method/channel", "method / channel", "channel", "delivery method", "inject method"),
    ),
    (
        "synopsis",
        "Synopsis",
        ("event synopsis", "event description", "description", "inject", "message", "inject / message", "event"),
    ),
    (
        "expected_action",
        "Expected Player Action",
        ("expected action", "expected player actions", "expected outcome", "player action"),
    ),
    (
        "objective",
        "Objective / Core Capability",
        ("objective", "core capability", "objective/core capability", "objectives / core capabilities", "capability"),
    ),
    ("controller", "Responsible Controller", ("controller", "responsible controller(s)")),
    ("contingency", "Contingency", ("contingency flag", "contingency inject", "contingency (y/n)")),
    ("notes", "Notes", ("remarks", "comments", "note")),
    ("trigger", "Trigger", ()),
    ("when", "When", ("condition",)),
    ("delay", "Delay", ()),
    ("on_demand", "On Demand", ("on-demand", "library")),
    ("effects", "Effects", ()),
    ("source", "Source", ()),
    ("assumption", "Assumption", ()),
)
HEADERS = [header for _, header, _ in COLUMNS]

# What a sheet may ask of us. An MSEL is hundreds of rows; these are far above
# any real one and far below what would exhaust a laptop (a hostile .xlsx can
# inflate 1 MB into 1 GiB, and openpyxl would hold one cell of it in memory).
MAX_SHEET_BYTES = 32 * 2**20
"""A CSV file's size, or the sum of an XLSX's parts once inflated (checked before parsing)."""
MAX_SHEET_CELLS = 2_000_000
"""Rows x columns as read (a blank row counts as one cell)."""
MAX_SHEET_ROWS = 1_048_576
"""Excel's own limit; a sheet claiming a row beyond it is not a sheet Excel made."""
MAX_CELL_CHARS = 32_767
"""Characters in one cell: Excel's own limit."""
MAX_SHOWN_PROBLEMS = 50
_OPTIONAL_TEXT = ("objective", "controller", "notes", "source", "assumption")
_ON_DEMAND, _ON_TRIGGER = "On demand", "On trigger"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


_HEADER_LOOKUP = {_norm(alias): name for name, header, aliases in COLUMNS for alias in (header, *aliases)}


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class MselError(ScenarioError):
    """A sheet that does not import; each problem names its row and column.

    `problems` keeps them all; the text shows the first `MAX_SHOWN_PROBLEMS` and
    a count of the rest, so a sheet of 100,000 bad rows is not 100,000 lines.
    """

    def __str__(self) -> str:
        shown = [str(problem) for problem in self.problems[:MAX_SHOWN_PROBLEMS]]
        rest = len(self.problems) - len(shown)
        if rest > 0:
            shown.append(f"{self.problems[0].file}: \u2026 and {rest:,} more problem{'s' if rest > 1 else ''}")
        return "\n".join(shown)


def _shown(text: str, limit: int = 40) -> str:
    """Sheet text quoted in a message: no terminal escapes, and short."""
    text = terminal_safe(str(text))
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# ---------------------------------------------------------------------------
# Scenario time
# ---------------------------------------------------------------------------

_DHM_RE = re.compile(
    r"^(?:D\s*\+\s*(\d+(?:\.\d+)?))?\s*(?:H\s*\+\s*(\d+(?:\.\d+)?))?\s*(?:M\s*\+\s*(\d+(?:\.\d+)?))?$", re.IGNORECASE
)
_HHMM_RE = re.compile(r"^(\d+):([0-5]?\d(?:\.\d+)?)$")


def _exact(minutes: float) -> str:
    """The shortest text that reads back as exactly `minutes`, never in exponent form."""
    from decimal import Decimal

    return format(Decimal(repr(float(minutes))), "f")


def format_scenario_time(minutes: float) -> str:
    """`D+1 H+3 M+45` for whole minutes; `T+<minutes>m` otherwise (exact)."""
    if minutes != int(minutes):
        return f"T+{_exact(minutes)}m"
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    return f"D+{days} H+{hours} M+{mins}"


def parse_scenario_time(text: str) -> float:
    """Minutes after T+0 from `D+1 H+3 M+45`, `T+1d3h45m`, `T+27:45`, `1d6h` or `90`."""
    from sim.scenario.types import parse_duration

    value = str(text).strip()
    if not value:
        raise ValueError("empty scenario time")
    body = value[2:].strip() if value[:2].upper() == "T+" else value
    match = _DHM_RE.match(body)
    if match and any(match.groups()):
        days, hours, mins = (float(g) if g else 0.0 for g in match.groups())
        return days * 1440.0 + hours * 60.0 + mins
    match = _HHMM_RE.match(body)
    if match:
        return int(match.group(1)) * 60.0 + float(match.group(2))
    try:
        return parse_duration(body if not re.fullmatch(r"\d+(\.\d+)?", body) else float(body))
    except ValueError:
        raise ValueError(f"expected a scenario time such as 'D+1 H+3 M+45' or 'T+2h', got {value!r}") from None


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _cell_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def inject_row(inject: Inject) -> list[str]:
    """One inject as sheet cells, in `HEADERS` order."""
    from sim.scenario.types import format_duration

    data = inject.model_dump(mode="json", by_alias=True, exclude_none=True)
    if inject.on_demand:
        when = _ON_DEMAND
    elif inject.trigger is not None or inject.when is not None:
        when = _ON_TRIGGER
    else:
        when = format_scenario_time(inject.at or 0.0)
    return [
        inject.id,
        when,
        inject.from_,
        ", ".join(inject.to),
        inject.method,
        inject.synopsis,
        inject.expected_action,
        inject.objective or "",
        inject.controller or "",
        "Y" if inject.contingency else "N",
        inject.notes or "",
        _cell_json(data["trigger"]) if inject.trigger is not None else "",
        _cell_json(data["when"]) if inject.when is not None else "",
        format_duration(inject.delay) if inject.delay else "",
        "Y" if inject.on_demand else "N",
        _cell_json(data["effects"]) if inject.effects else "",
        inject.source or "",
        inject.assumption or "",
    ]


def export_msel(scenario: Scenario, out: str | Path) -> Path:
    """Write the scenario's MSEL to `out` (`.csv` or `.xlsx`, by suffix)."""
    out = Path(out)
    rows = [HEADERS, *(inject_row(inject) for inject in scenario.injects)]
    suffix = out.suffix.lower()
    if suffix == ".csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows([[_csv_cell(cell) for cell in row] for row in rows])
        write_atomic(out, buffer.getvalue(), encoding="utf-8-sig")  # BOM: Excel reads UTF-8
    elif suffix == ".xlsx":
        _write_xlsx(rows, out, scenario.scenario.title)
    else:
        raise ValueError(f"cannot write {out.name}: use a .csv or .xlsx file")
    return out


_APOSTROPHE_NEXT = ("=", "+", "-", "@", "\t", "\r", "'")


def _csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text and never evaluates; `_csv_text` undoes it.

    `spreadsheet_safe` puts an apostrophe before `= + - @`, tab and CR (what
    Excel itself takes as "this is text"). A cell that already starts with an
    apostrophe followed by one of those (or another apostrophe) gets one more,
    so that import, which removes exactly one, gives back the original text.
    """
    if text[:1] == "'" and text[1:2] in _APOSTROPHE_NEXT:
        return "'" + text
    return str(spreadsheet_safe(text))


def _csv_text(cell: str) -> str:
    """The text behind a CSV cell: one apostrophe before `= + - @ ' \\t \\r` is removed."""
    if cell[:1] == "'" and cell[1:2] in _APOSTROPHE_NEXT:
        return cell[1:]
    return cell


def _openpyxl():
    try:
        import openpyxl
    except ImportError:
        raise ValueError("XLSX needs openpyxl: pip install openpyxl (or use a .csv file)") from None
    return openpyxl


def _write_xlsx(rows: list[list[str]], out: Path, title: str) -> None:
    openpyxl = _openpyxl()
    from openpyxl.styles import Alignment, Font, PatternFill

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "MSEL"
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
    widths = [10, 16, 14, 28, 16, 60, 50, 30, 20, 12, 30, 30, 10, 11, 40, 30, 30]
    for index, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.number_format = "@"  # text: keeps 'D+1 H+3 M+45' and control numbers as typed
            if cell.data_type == "f":  # text that starts with '=' is text here, not a formula
                cell.data_type = "s"
    sheet.freeze_panes = "B2"
    book.properties.title = f"MSEL - {title}"
    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(out, buffer.getvalue())


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


def read_sheet(path: str | Path, encoding: str | None = None) -> list[list[str]]:
    """All rows of a CSV or XLSX file (first worksheet) as strings.

    `encoding` applies to CSV only (XLSX is always Unicode); without it a CSV
    must be UTF-8. A byte-order mark (UTF-8, UTF-16, UTF-32) always decides.

    Raises:
        MselError: the file is missing, too large, not decodable or not a readable sheet.
    """
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise MselError([Problem(name, 1, 1, "", "unknown sheet type: use a .csv or .xlsx file")])
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise MselError(
                [Problem(name, 1, 1, "", f"unknown encoding {_shown(encoding)!r} (try utf-8 or cp932)")]
            ) from None
    try:
        if not path.is_file():
            reason = "not a regular file" if path.exists() else "file not found"
            raise MselError([Problem(name, 1, 1, "", reason)])
        size = path.stat().st_size
    except OSError as error:
        raise MselError([Problem(name, 1, 1, "", f"cannot read file: {error.strerror or error}")]) from None
    if size > MAX_SHEET_BYTES:
        raise MselError([Problem(name, 1, 1, "", _too_large(f"{size:,} bytes"))])
    if suffix == ".csv":
        return _read_csv(path, encoding)
    return _read_xlsx(path)


def _too_large(what: str) -> str:
    return f"sheet too large ({what}; the limit is {MAX_SHEET_BYTES:,} bytes): is this the right file?"


def _read_csv(path: Path, encoding: str | None) -> list[list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise MselError([Problem(str(path), 1, 1, "", f"cannot read file: {error.strerror or error}")]) from None
    text = _decode_sheet(raw, str(path), encoding)
    newline = text.find("\n")
    first_line = text if newline < 0 else text[:newline]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","  # Excel's "Unicode Text" uses tabs
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _bounded_rows(reader, str(path), _csv_text)
    except csv.Error as error:
        line = max(reader.line_num, 1)
        if "field larger than field limit" in str(error):
            message = f"a cell is longer than {MAX_CELL_CHARS:,} characters"
        else:
            message = f"not readable as CSV ({error})"
        raise MselError([Problem(str(path), line, 1, f"row {line}", message)]) from None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: it starts with the UTF-16 LE mark
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff66-\uff9f]")


def _decode_sheet(raw: bytes, filename: str, encoding: str | None = None) -> str:
    """CSV bytes as text: by byte-order mark, else `encoding`, else UTF-8; never guessed silently.

    A file that does not decode is refused with the byte and line at fault; when
    it reads as Shift-JIS (Japanese Excel's "CSV"), the message says to use
    `--encoding cp932`, rather than importing mojibake as the sheet's text.
    """
    codec = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    if codec is None:
        codec = "utf-8-sig" if encoding is None or codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        bad = error.start
        line = raw.count(b"\n", 0, bad) + 1
        col = bad - (raw.rfind(b"\n", 0, bad) + 1) + 1
        where = f"byte 0x{raw[bad]:02X}" if bad < len(raw) else "the file ends mid-character"
        label = "UTF-8" if codec == "utf-8-sig" else codec
        if codecs.lookup(codec).name != "cp932" and _reads_as_shift_jis(raw):
            hint = "it looks like Shift-JIS (Japanese Excel's CSV): import it with --encoding cp932"
        elif encoding is not None:
            hint = "check the --encoding given"
        else:
            hint = 'save it as "CSV UTF-8" or give its encoding with --encoding (e.g. cp1252, cp932)'
        raise MselError([Problem(filename, line, col, "", f"not {label} text ({where}); {hint}")]) from None


def _reads_as_shift_jis(raw: bytes) -> bool:
    try:
        return bool(_JAPANESE.search(raw.decode("cp932")))
    except UnicodeDecodeError:
        return False


def _check_xlsx_parts(path: Path) -> None:
    """Refuse an XLSX whose parts would inflate past `MAX_SHEET_BYTES`, before inflating any.

    The sizes come from the zip's central directory; Python's zipfile never
    inflates a member beyond its recorded size (it stops, then fails the CRC
    check), so a file that lies about them cannot get past this either.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise MselError([Problem(str(path), 1, 1, "", f"not a readable XLSX workbook ({error})")]) from None
    if total > MAX_SHEET_BYTES:
        raise MselError([Problem(str(path), 1, 1, "", _too_large(f"{total:,} bytes once unzipped"))])


def _read_xlsx(path: Path) -> list[list[str]]:
    _check_xlsx_parts(path)
    try:
        openpyxl = _openpyxl()
    except ValueError as error:
        raise MselError([Problem(str(path), 1, 1, "", str(error))]) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise MselError([Problem(str(path), 1, 1, "", f"not a readable XLSX workbook ({error})")]) from None
    try:
        sheet = book["MSEL"] if "MSEL" in book.sheetnames else book.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # a stale <dimension ref> would silently cut rows off
        return _bounded_rows(sheet.iter_rows(values_only=True), str(path), _xlsx_text)
    except MselError:
        raise
    except Exception as error:
        raise MselError([Problem(str(path), 1, 1, "", f"not a readable XLSX workbook ({error})")]) from None
    finally:
        book.close()


def _bounded_rows(rows: Iterable[Sequence[Any]], filename: str, text: Callable[[Any], str]) -> list[list[str]]:
    """`rows` as lists of text, refused past `MAX_SHEET_CELLS` or a cell past `MAX_CELL_CHARS`."""
    result: list[list[str]] = []
    blank: list[str] = []  # shared by every empty row: a sheet may skip a million of them
    cells = 0
    for number, row in enumerate(rows, start=1):
        cells += max(len(row), 1)
        if cells > MAX_SHEET_CELLS or number > MAX_SHEET_ROWS:
            limit = (
                f"{MAX_SHEET_ROWS:,} rows" if number > MAX_SHEET_ROWS else f"{MAX_SHEET_CELLS:,} cells, rows x columns"
            )
            message = f"sheet too large (more than {limit}): is this the right file?"
            raise MselError([Problem(filename, number, 1, "", message)])
        if not row:
            result.append(blank)
            continue
        values = [text(value) for value in row]
        for col, value in enumerate(values):
            if len(value) > MAX_CELL_CHARS:
                where = f"row {number}, column {_column_letter(col)}"
                message = f"cell of {len(value):,} characters (the limit is {MAX_CELL_CHARS:,})"
                raise MselError([Problem(filename, number, col + 1, where, message)])
        result.append(values)
    return result


def _xlsx_text(value: Any) -> str:
    """A cell as the text a person typed: 7 not 7.0, a time as H:MM, a duration in minutes."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.timedelta):
        return f"T+{value.total_seconds() / 60:g}m"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.time):
        return f"{value.hour}:{value.minute:02d}"
    return str(value)


def _flag(text: str) -> bool:
    value = _norm(text)
    if value in ("", "n", "no", "false", "0", "-"):
        return False
    if value in ("y", "yes", "true", "1", "x", "\u2713"):
        return True
    raise ValueError(f"expected Y or N, got {text!r}")


def _structured(text: str) -> Any:
    from sim.scenario.loader import ScenarioYamlLoader

    try:
        return yaml.load(text, Loader=ScenarioYamlLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ValueError(f"not valid JSON/YAML: {mark}") from None


def _identifier(text: str) -> str:
    value = re.sub(r"[\s.\-/]+", "_", text.strip().lower())
    if value and value[0].isdigit():
        value = "m" + value  # a template numbers rows 1, 2, 3: ids must start with a letter
    return value


class _Agencies:
    """Resolve what people type in From/To (id, full name or role title) to agency ids."""

    def __init__(self, scenario: Scenario | Sequence[Any] | None) -> None:
        self.lookup: dict[str, str] = {
            "simcell": "simcell",
            "sim cell": "simcell",
            "simcell (exercise control)": "simcell",
        }
        agencies = getattr(scenario, "agencies", scenario) or []
        for agency in agencies:
            item = agency if isinstance(agency, dict) else agency.model_dump()
            if not isinstance(item.get("id"), str):
                continue
            for key in (item.get("id"), item.get("name"), item.get("role")):
                if isinstance(key, str) and key:
                    self.lookup.setdefault(_norm(key), item["id"])

    def resolve(self, text: str) -> str:
        value = text.strip()
        return self.lookup.get(_norm(value), _identifier(value) if value else value)


def rows_to_injects(
    rows: Sequence[Sequence[str]], filename: str = "<sheet>", scenario: Scenario | None = None
) -> list[Inject]:
    """Validate sheet rows (header first) into injects; all problems at once, by row and column.

    `scenario`, when given, lets From/To name agencies by full name or role title.

    Raises:
        MselError: the header is not recognised, or any row does not make a valid inject.
    """
    return _rows_to_injects(rows, filename, scenario)[0]


def _rows_to_injects(
    rows: Sequence[Sequence[str]], filename: str, scenario: Scenario | Sequence[Any] | None
) -> tuple[list[Inject], list[int]]:
    from pydantic import ValidationError

    from sim.scenario.schema import Inject

    problems: list[Problem] = []
    header_index = next((i for i, row in enumerate(rows) if any(str(c).strip() for c in row)), None)
    if header_index is None:
        raise MselError([Problem(filename, 1, 1, "", "the sheet is empty")])
    header = rows[header_index]
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        name = _HEADER_LOOKUP.get(_norm(title))
        if name is None:
            if str(title).strip():
                problems.append(
                    Problem(
                        filename,
                        header_index + 1,
                        index + 1,
                        f"column {_column_letter(index)} ({_shown(title)})",
                        "unknown column; expected one of: " + ", ".join(HEADERS),
                    )
                )
            continue
        if name in columns:
            problems.append(
                Problem(
                    filename,
                    header_index + 1,
                    index + 1,
                    f"column {_column_letter(index)} ({_shown(title)})",
                    f"repeats column {_column_letter(columns[name])}",
                )
            )
            continue
        columns[name] = index
    for required in ("id", "to", "synopsis"):
        if required not in columns:
            header_name = next(h for n, h, _ in COLUMNS if n == required)
            problems.append(
                Problem(
                    filename,
                    header_index + 1,
                    1,
                    "header",
                    f"no '{header_name}' column (the header row is row {header_index + 1})",
                )
            )
    if problems:
        raise MselError(problems)
    agencies = _Agencies(scenario)
    titles = {name: f"column {_column_letter(i)} ({header[i]})" for name, i in columns.items()}
    injects: list[Inject] = []
    rows_of: list[int] = []
    for index in range(header_index + 1, len(rows)):
        row = [str(c) if c is not None else "" for c in rows[index]]
        if not any(cell.strip() for cell in row):
            continue
        line = index + 1

        def cell(name: str, row: list[str] = row) -> str:
            position = columns.get(name)
            return row[position] if position is not None and position < len(row) else ""

        raw: dict[str, Any] = {}
        row_problems: list[Problem] = []

        def fail(name: str, message: str, line: int = line) -> None:
            col = columns.get(name, 0) + 1
            row_problems.append(Problem(filename, line, col, f"row {line}, {titles.get(name, name)}", message))  # noqa: B023 - called within this iteration only

        raw["id"] = _identifier(cell("id"))
        when = cell("time").strip()
        try:
            on_demand = _flag(cell("on_demand"))
        except ValueError as error:
            fail("on_demand", str(error))
            on_demand = False
        if _norm(when) in ("on demand", "on-demand", "library"):
            on_demand = True
        elif _norm(when) in ("on trigger", "trigger", "triggered", ""):
            pass
        else:
            try:
                raw["at"] = parse_scenario_time(when)
            except ValueError as error:
                fail("time", str(error))
        if on_demand:
            raw["on_demand"] = True
        sender = cell("from").strip()
        if sender:
            raw["from"] = agencies.resolve(sender)
        raw["to"] = [agencies.resolve(part) for part in re.split(r"[,;\n]+", cell("to")) if part.strip()]
        for name in ("method", "synopsis", "expected_action"):
            if name in columns and (cell(name) or name != "method"):
                raw[name] = cell(name)
        for name in _OPTIONAL_TEXT:
            if cell(name) != "":
                raw[name] = cell(name)
        try:
            if _flag(cell("contingency")):
                raw["contingency"] = True
        except ValueError as error:
            fail("contingency", str(error))
        for name in ("trigger", "when", "effects"):
            if cell(name).strip():
                try:
                    raw[name] = _structured(cell(name))
                except ValueError as error:
                    fail(name, str(error))
        if cell("delay").strip():
            raw["delay"] = cell("delay").strip()
        if not row_problems:
            try:
                injects.append(Inject.model_validate(raw))
                rows_of.append(line)
            except ValidationError as error:
                for entry in error.errors():
                    loc = [str(part) for part in entry["loc"]]
                    field = {"from_": "from", "at": "time"}.get(loc[0], loc[0]) if loc else ""
                    if field == "on_demand" or (not loc and "on_demand" in entry["msg"]):
                        field = "time"
                    if field not in columns:
                        field = "time" if not loc else field
                    detail = ".".join(loc[1:])
                    message = entry["msg"].removeprefix("Value error, ")
                    fail(field, f"{detail + ': ' if detail else ''}{message}")
        problems.extend(row_problems)
    first_row: dict[str, int] = {}
    for inject, line in zip(injects, rows_of, strict=True):
        if inject.id in first_row:
            problems.append(
                Problem(
                    filename,
                    line,
                    columns["id"] + 1,
                    f"row {line}, {titles['id']}",
                    f"control number {inject.id!r} repeats row {first_row[inject.id]}",
                )
            )
        first_row.setdefault(inject.id, line)
    if problems:
        raise MselError(problems)
    return injects, rows_of


# ---------------------------------------------------------------------------
# Writing the injects back into a scenario file
# ---------------------------------------------------------------------------

_TOP_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


class _FlowDumper(yaml.SafeDumper):
    """Block sequence of flow mappings, strings quoted only when YAML needs it."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_FlowDumper.add_representer(str, _represent_str)

_KEY_ORDER = (
    "id",
    "at",
    "trigger",
    "delay",
    "on_demand",
    "from",
    "to",
    "method",
    "synopsis",
    "expected_action",
    "objective",
    "controller",
    "contingency",
    "notes",
    "source",
    "assumption",
    "effects",
)


def dump_injects_block(injects: Iterable[Inject]) -> str:
    """The `injects:` section as YAML text: one block mapping per inject, lists in flow style."""
    lines = ["injects:"]
    items = list(injects)
    if not items:
        return "injects: []\n"
    for inject in items:
        data = inject.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        data["id"] = inject.id
        data["to"] = list(inject.to)
        for key in ("at", "delay"):  # format_duration keeps 6 digits; fractional minutes stay exact here
            value = getattr(inject, key)
            if key in data and value is not None and value != int(value):
                data[key] = f"{_exact(value)}m"
        data["synopsis"] = inject.synopsis
        ordered = {key: data[key] for key in _KEY_ORDER if key in data}
        ordered.update({k: v for k, v in data.items() if k not in ordered})
        text = yaml.dump(
            [ordered], Dumper=_FlowDumper, default_flow_style=None, sort_keys=False, allow_unicode=True, width=math.inf
        )
        # yaml.dump gives "- id: m01\n  at: ...": keep block style per inject for readability
        body = text.rstrip("\n").splitlines()
        lines.extend("  " + line for line in body)
    return "\n".join(lines) + "\n"


def replace_injects_block(text: str, block: str) -> str:
    """`text` with its top-level `injects:` section replaced by `block` (or `block` appended)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"^injects\s*:", line)), None)
    if start is None:
        glue = "" if not text or text.endswith("\n") else "\n"
        return text + glue + ("\n" if text.strip() else "") + block
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if _TOP_KEY_RE.match(lines[i]) or lines[i].startswith(("---", "...")):
            end = i
            break
    keep_from = end  # comments and blank lines just above the next key stay with it
    while keep_from > start + 1 and (not lines[keep_from - 1].strip() or lines[keep_from - 1].startswith("#")):
        keep_from -= 1
    tail = lines[keep_from:]
    separator = "\n" if tail and tail[0].strip() else ""
    return "".join(lines[:start]) + block + separator + "".join(tail)


def import_msel(sheet: str | Path, into: str | Path | None = None, encoding: str | None = None) -> list[Inject]:
    """Read a sheet; with `into`, replace that scenario file's `injects:` (validated first).

    The new file is written atomically (temporary file, then rename): a full
    disk or a crash leaves the previous scenario byte for byte as it was.
    `encoding` names a CSV's encoding (see `read_sheet`).

    Raises:
        MselError: a sheet row or column is wrong, or the new scenario would be invalid
            (problems in the injects are reported at their sheet row and column).
        ScenarioError: `into` is missing or invalid in a part the sheet does not touch.
        OutputError: the updated scenario could not be written (the old one is unchanged).
    """
    from sim.scenario.loader import Problem as _Problem
    from sim.scenario.loader import ScenarioYamlLoader, load_scenario_text

    filename = str(sheet)
    rows = read_sheet(sheet, encoding)
    agencies = None
    if into is not None:
        # The target may only become valid with the new injects (a decision that
        # requires a renamed inject), so read just its agencies here.
        try:
            if Path(into).exists() and not Path(into).is_file():
                raise ScenarioError([_Problem(str(into), 1, 1, "", "not a regular file")])
            original = Path(into).read_text(encoding="utf-8-sig")
        except OSError as error:
            raise ScenarioError(
                [_Problem(str(into), 1, 1, "", f"cannot read file: {error.strerror or error}")]
            ) from None
        try:
            raw = yaml.load(original, Loader=ScenarioYamlLoader)
        except yaml.YAMLError:
            raw = None
        agencies = raw.get("agencies") if isinstance(raw, dict) and isinstance(raw.get("agencies"), list) else None
    injects, sheet_rows = _rows_to_injects(rows, filename, agencies)
    if into is None:
        return injects
    into = Path(into)
    updated = replace_injects_block(original, dump_injects_block(injects))
    try:
        load_scenario_text(updated, str(into))
    except ScenarioError as error:
        raise MselError(_map_problems(error.problems, updated, rows, filename, sheet_rows)) from None
    write_atomic(into.resolve(), updated)  # resolved: a symlinked scenario keeps its link
    return injects


def _map_problems(
    problems: Sequence[Problem], text: str, rows: Sequence[Sequence[str]], filename: str, sheet_rows: Sequence[int]
) -> list[Problem]:
    """Point problems inside the new `injects:` block back at the sheet's row and column."""
    header = next(row for row in rows if any(str(c).strip() for c in row))
    columns = {_HEADER_LOOKUP.get(_norm(title)): i for i, title in enumerate(header)}
    mapped = []
    for problem in problems:
        match = re.match(r"^injects\.(\d+)(?:\.([a-z_]+))?", problem.path)
        if not match or int(match.group(1)) >= len(sheet_rows):
            mapped.append(problem)
            continue
        line = sheet_rows[int(match.group(1))]
        field = {"at": "time", "on_demand": "time"}.get(match.group(2) or "id", match.group(2) or "id")
        col = columns.get(field, columns.get("id", 0)) or 0
        title = _shown(header[col]) if col < len(header) else field
        mapped.append(
            Problem(filename, line, col + 1, f"row {line}, column {_column_letter(col)} ({title})", problem.message)
        )
    return mapped
