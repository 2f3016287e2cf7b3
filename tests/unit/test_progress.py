"""Progress in a log (no terminal): a line per tenth of the work, then the final line."""

from __future__ import annotations

import io

from sim.analysis.progress import Progress


def test_a_log_gets_one_line_per_tenth_and_a_final_line():
    stream = io.StringIO()
    progress = Progress("replications", stream=stream, live=False)
    for done in range(1, 101):
        progress(done, 100)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10  # 10 %, 20 %, ... 90 %, then the final summary
    assert lines[0].split()[1] == "10/100"
    assert lines[-1].startswith("100 replications in ")
    assert "\x1b" not in stream.getvalue() and "\r" not in stream.getvalue()


def test_disabled_progress_prints_nothing():
    stream = io.StringIO()
    progress = Progress(stream=stream, enabled=False)
    for done in range(1, 11):
        progress(done, 10)
    progress.finish()
    assert stream.getvalue() == ""
