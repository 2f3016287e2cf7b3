"""Figures draw the scenario's own script where a font has it, and say once, plainly, when none does."""

from __future__ import annotations

import argparse
import io
import warnings
from types import SimpleNamespace

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim import cli  # noqa: E402
from sim.analysis import fonts  # noqa: E402


def _figure(title: str):
    fig, ax = plt.subplots()
    ax.set_title(title)
    return fig


def test_missing_characters_become_one_warning_naming_them_and_the_remedy():
    fig = _figure("Issue the evacuation order (避難指示)?")
    try:
        with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fonts.render(fig, io.BytesIO(), format="png")
    finally:
        plt.close(fig)
    assert [w.category for w in caught] == [fonts.MissingGlyphs]
    message = str(caught[0].message)
    assert "4 characters (避難指示)" in message
    assert "fonts-noto-cjk" in message


def test_text_every_font_has_draws_without_a_warning():
    fig = _figure("Evacuation order")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fonts.render(fig, io.BytesIO(), format="png")
    finally:
        plt.close(fig)
    assert caught == []


def test_an_installed_cjk_font_joins_the_figure_font_list(monkeypatch):
    from matplotlib import font_manager

    fake = [SimpleNamespace(name="DejaVu Sans"), SimpleNamespace(name="IPAexGothic")]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", fake)
    fonts.font_families.cache_clear()
    try:
        assert fonts.font_families() == ("DejaVu Sans", "IPAexGothic")
    finally:
        fonts.font_families.cache_clear()


def test_the_cli_prints_a_library_warning_as_one_note_line(monkeypatch, capsys):
    def handler(_args):
        warnings.warn(fonts.missing_glyphs_message(["避"]), fonts.MissingGlyphs, stacklevel=1)
        return 0

    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=handler, max_size=None, debug=False)
    monkeypatch.setattr(cli, "build_parser", lambda _argv: parser)
    assert cli.main([]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "ttxsim: note: figure text has 1 character (避) that no installed font can draw, shown as boxes; "
        + fonts.FONT_HINT
    ]
