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
import json
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

COMMAND_MODULES = (
    "sim.commands.basic",
    "sim.commands.analysis",
    "sim.commands.record",
    "sim.commands.host",
    "tui.command",
)
"""Modules that each define `register(subparsers)`; their parsers set `handler`."""


class UsageError(Exception):
    """Bad input that is not a scenario problem (unknown reform, bad flag value)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 already; keep one clear line
        self.exit(EXIT_BAD_INPUT, f"ttxsim: {message}\n(see 'ttxsim --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ttxsim",
        description=(
            "Crisis-coordination tabletop exercise simulator. Runs the bundled Sakishima "
            "scenario by default; see 'ttxsim COMMAND --help'."
        ),
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name and module_name.startswith(missing.name):
                continue  # that front end is not part of this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    from sim.scenario.loader import ScenarioError

    try:
        return int(args.handler(args) or EXIT_OK)
    except ScenarioError as error:
        if args.debug:
            raise
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as error:
        if args.debug:
            raise
        print(f"ttxsim: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ttxsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:
        if args.debug:
            raise
        print(f"ttxsim: {type(error).__name__}: {error} (run with --debug for details)", file=sys.stderr)
        return EXIT_FAILURE


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
        help="scenario YAML (default: the bundled scenarios/sakishima.yaml)",
    )


if __name__ == "__main__":  # `python -m sim.cli`: run the imported module, so its exception classes match
    from sim.cli import main as _main

    raise SystemExit(_main())
