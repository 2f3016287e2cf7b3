"""Atomic output writes: all or nothing, the old file kept on failure, its permissions kept."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from sim.files import OutputError, refuse_overwriting_inputs, write_atomic


def test_write_creates_parent_folders(tmp_path):
    target = tmp_path / "out" / "deep" / "report.html"
    write_atomic(target, "<p>ok</p>")
    assert target.read_text() == "<p>ok</p>"


def test_failed_write_leaves_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "scenario.yaml"
    target.write_text("before")

    def full_disk(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputError, match="disk is full"):
        write_atomic(target, "after")
    assert target.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == ["scenario.yaml"]  # no temporary left behind


def test_replacing_keeps_the_file_mode(tmp_path):
    target = tmp_path / "private.yaml"
    target.write_text("before")
    target.chmod(0o600)
    write_atomic(target, b"after")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes() == b"after"


def test_an_output_naming_an_input_is_refused(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("x")
    with pytest.raises(OutputError, match="refusing to overwrite"):
        refuse_overwriting_inputs([tmp_path / "." / "s.yaml"], [scenario])
    refuse_overwriting_inputs([tmp_path / "events.jsonl", None], [scenario, None])
