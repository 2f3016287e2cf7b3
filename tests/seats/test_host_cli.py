"""`ttxsim host` refuses bad input with one sentence and exit 2, before serving anything."""

from __future__ import annotations

import pytest

from sim.cli import main
from sim.journal import start_session
from tests.seats.conftest import CLASSROOM


def exit_code(argv: list[str]) -> int:
    """The command's exit status, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--role", "atlantis"], "unknown role 'atlantis'"),
        (["--speed", "0"], "--speed must be between"),
        (["--port", "70000"], "a port is 0 to 65535"),
        (["--resume", "/nonexistent/x.ttxj"], "cannot resume /nonexistent/x.ttxj"),
    ],
)
def test_bad_host_arguments_exit_2_with_one_sentence(args, said, capsys):
    assert exit_code(["host", str(CLASSROOM), *args]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_an_existing_journal_is_never_overwritten(tmp_path, capsys):
    path = tmp_path / "old.ttxj"
    sim, journal = start_session(CLASSROOM, journal_path=path)
    journal.close(sim.now)
    before = path.read_bytes()
    assert exit_code(["host", str(CLASSROOM), "--journal", str(path), "--port", "0"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_join_needs_a_websocket_address(capsys):
    assert exit_code(["join", "http://127.0.0.1:8765/ws", "--code", "X"]) == 2
    assert "starts with ws://" in capsys.readouterr().err
