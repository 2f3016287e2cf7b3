"""Fonts for figures: draw a scenario's own script where a font for it is installed,
and say once, in one sentence, when none is.

Scenario text reaches figures as written (titles, seams, decisions), and scenarios
about Japan quote Japanese terms (`避難指示`). matplotlib's default font has no CJK
glyphs: without a fallback those characters print as empty boxes, and matplotlib
warns once per character in a form no trainer can act on. Here the figure font is
a list: DejaVu Sans first (its Latin text is what every figure was laid out for),
then any installed font that covers CJK, which matplotlib (>= 3.6) falls back to
glyph by glyph. When no installed font has a character, `render` turns matplotlib's
per-glyph warnings into one `MissingGlyphs` warning that names the characters and
the remedy; the CLI prints it as a `ttxsim: note:` line.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from typing import IO, Any

BASE_FAMILY = "DejaVu Sans"
"""matplotlib's own default: every figure's layout was checked with it."""

FALLBACK_FAMILIES = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "IPAexGothic",
    "IPAGothic",
    "TakaoGothic",
    "VL Gothic",
    "Hiragino Sans",
    "Yu Gothic",
    "MS Gothic",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
)
"""Fonts with CJK glyphs, Japanese first, as Debian, macOS and Windows name them."""

FONT_HINT = "install a font that has them (Debian/Ubuntu: fonts-noto-cjk; Fedora: google-noto-sans-cjk-fonts)"

_GLYPH_WARNING = re.compile(r"Glyph (\d+) .*missing from (?:current )?font")


class MissingGlyphs(UserWarning):
    """Figure text has characters no installed font can draw (they show as boxes)."""


@cache
def font_families() -> tuple[str, ...]:
    """The figure font list: the base family, then each installed CJK fallback."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return (BASE_FAMILY, *(family for family in FALLBACK_FAMILIES if family in installed))


def use_figure_fonts() -> None:
    """Make every figure drawn from now on use `font_families()`."""
    import matplotlib

    matplotlib.rcParams["font.family"] = list(font_families())


def render(fig: Any, out: IO[bytes], **savefig: Any) -> None:
    """`fig.savefig(out, **savefig)`, with matplotlib's per-glyph warnings folded into one
    `MissingGlyphs` warning that names the characters and what to install.

    Other warnings pass through unchanged.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(out, **savefig)
    missing: list[str] = []
    for warning in caught:
        match = _GLYPH_WARNING.search(str(warning.message))
        if match is None:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        elif (char := chr(int(match.group(1)))) not in missing:
            missing.append(char)
    if missing:
        warnings.warn(missing_glyphs_message(missing), MissingGlyphs, stacklevel=2)


def missing_glyphs_message(characters: list[str]) -> str:
    """One sentence naming the characters a figure could not draw and the remedy."""
    count = len(characters)
    shown = "".join(characters[:12]) + ("…" if count > 12 else "")
    noun = "character" if count == 1 else "characters"
    return f"figure text has {count} {noun} ({shown}) that no installed font can draw, shown as boxes; {FONT_HINT}"
