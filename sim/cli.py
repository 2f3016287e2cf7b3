"""The `ttxsim` command: the headless front end and the entry to every other one.

Contract (design.md): results on stdout, diagnostics on stderr; exit 0 when
all went well, 1 when a run failed, 2 on bad input (a bad scenario, an unknown
reform, a wrong flag). Errors are one clear sentence each, never a traceback
unless `--debug` is given. Subcommands that need heavy imports (Textual,
matplotlib, Dask) live in their own modules and import those only when run,
so `ttxsim validate` stays fast and `import sim` never loads the UI.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from sim.text import terminal_safe

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

COMMAND_MODULES = (
    "sim.commands.basic",
    "sim.commands.analysis",
    "sim.commands.record",
    "sim.commands.explain",
    "sim.commands.sensitivity",
    "sim.commands.host",
)
"""Modules that each define `register(subparsers)`; their parsers set `handler`."""

FRONT_ENDS = {
    "play": ("tui.command", "run a live tabletop session in the facilitator console"),
    "join": ("tui.seat_command", "open a seat of a hosted session"),
}
"""Commands served by a UI package: name -> (module with `register`, one-line help).

Their module is imported only when the command line names them, so building the
parser for `ttxsim --help`, `validate` or `run` never imports `tui` (design.md:
the CLI imports tui lazily). The help line shows in `ttxsim --help` meanwhile;
a test checks it matches the module's own.
"""


class UsageError(Exception):
    """Bad input that is not a scenario problem (unknown reform, bad flag value)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 already; keep one clear line
        self.exit(EXIT_BAD_INPUT, f"ttxsim: {terminal_safe(message)}\n(see 'ttxsim --help')\n")


class _VersionAction(argparse.Action):
    """`--version`: reads the installed metadata only when asked, so startup stays fast."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from sim import version

        print(f"ttxsim {version()}")
        parser.exit(EXIT_OK)


TOP_LEVEL_OPTIONS_WITH_VALUES = frozenset({"--max-size"})


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (skipping top-level options and their values)."""
    words = iter(argv)
    for arg in words:
        if arg in TOP_LEVEL_OPTIONS_WITH_VALUES:
            next(words, None)
        elif not arg.startswith("-"):
            return arg
    return None


def file_size(text: str) -> int:
    """argparse type: a size such as `20MB`, `512KB` or `1048576` (bytes)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(|B|KB|KIB|MB|MIB|GB|GIB)\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size such as 20MB or 512KB, got {text!r}")
    scale = {"": 1, "B": 1, "KB": 1000, "KIB": 1024, "MB": 1000**2, "MIB": 1024**2, "GB": 1000**3, "GIB": 1024**3}
    return int(float(match.group(1)) * scale[match.group(2)])


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The whole parser; a front-end command's module is imported only if `argv` names it."""
    parser = _Parser(
        prog="ttxsim",
        description=(
            "Crisis-coordination tabletop exercise simulator. Runs the bundled default "
            "scenario when no FILE is given; see 'ttxsim COMMAND --help'."
        ),
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version (ttxsim X.Y.Z) and exit")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument(
        "--max-size",
        type=file_size,
        default=None,
        metavar="SIZE",
        help="largest scenario file read, e.g. 20MB (default 4 MB; a guard against files that would exhaust memory)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    chosen = _chosen_command(argv)
    for name, (module_name, help_line) in FRONT_ENDS.items():
        if importlib.util.find_spec(module_name.split(".")[0]) is None:
            continue  # that front end is not part of this build
        if name == chosen:
            importlib.import_module(module_name).register(subparsers)
        else:
            subparsers.add_parser(name, help=help_line, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    if args.max_size is not None:
        from sim.scenario.loader import set_max_size

        set_max_size(args.max_size)
    try:
        with warnings.catch_warnings():
            if not args.debug:
                warnings.showwarning = _print_note
            refuse_repeated_reforms(getattr(args, "reform", None) or [])
            return int(args.handler(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("ttxsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:
        if args.debug:
            raise
        status, message = explain(error, args)
        print(terminal_safe(message), file=sys.stderr)
        return status


def refuse_repeated_reforms(reforms: Sequence[str]) -> None:
    """A reform named twice (`--reform a --reform a`, or `a+a` in one compare arm) is refused, as a
    decision named twice by `--decide` is: it would apply once but be echoed twice (`reforms: a, a`),
    and a typo for another reform is likelier than a wish to repeat one. Every command with --reform.

    Raises:
        UsageError: the first name given twice.
    """
    for value in reforms:
        parts = [part.strip() for part in value.split("+")]
        twice = next((part for i, part in enumerate(parts) if part and part in parts[:i]), None)
        if twice is not None:
            raise UsageError(f"--reform {value!r} names reform {twice!r} twice")
    twice = next((value for i, value in enumerate(reforms) if value in reforms[:i]), None)
    if twice is not None:
        raise UsageError(f"--reform names reform {twice!r} twice")


def _print_note(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, file=None, line=None
) -> None:
    """A warning from the library (e.g. a figure font lacks some characters) as one `ttxsim: note:` line,
    not Python's two-line form with a source path (`--debug` keeps that)."""
    print(terminal_safe(f"ttxsim: note: {message}"), file=sys.stderr)


def explain(error: Exception, args: argparse.Namespace) -> tuple[int, str]:
    """The exit status and the one message a user sees for an error a handler raised."""
    from sim.errors import ModelError
    from sim.files import OutputError
    from sim.scenario.bundled import BundledError
    from sim.scenario.loader import ScenarioError

    if isinstance(error, ScenarioError):
        return EXIT_BAD_INPUT, str(error)
    if isinstance(error, UsageError):
        return EXIT_BAD_INPUT, f"ttxsim: {error}"
    if isinstance(error, ModelError):
        where = _scenario_label(args)
        return EXIT_FAILURE, f"ttxsim: {where}: {error}" if where else f"ttxsim: {error}"
    if isinstance(error, OutputError | BundledError):
        return EXIT_FAILURE, f"ttxsim: {error}"
    detail = str(error).strip().splitlines()[0] if str(error).strip() else "no details"
    return EXIT_FAILURE, f"ttxsim: the command failed unexpectedly ({detail}); run with --debug for the traceback"


def _scenario_label(args: argparse.Namespace) -> str | None:
    """The scenario (or journal) a failed run was about, as the user would name it."""
    if "file" in vars(args):
        from sim.scenario.bundled import resolve

        return str(resolve(args.file))
    journal = getattr(args, "journal", None)
    return str(journal) if journal else None


def print_json(payload: object) -> None:
    print(json.dumps(payload, indent=None, sort_keys=False))


def non_negative_hours(text: str) -> float:
    """argparse type: a finite number of hours, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of hours, got {text!r}") from None
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number of hours >= 0, got {text!r}")
    return value


def scenario_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=None,
        metavar="FILE",
        help="scenario YAML or a bundled scenario's name (default: the bundled default scenario)",
    )


if __name__ == "__main__":  # `python -m sim.cli`: run the imported module, so its exception classes match
    from sim.cli import main as _main

    raise SystemExit(_main())
