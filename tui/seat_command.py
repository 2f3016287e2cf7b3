"""`ttxsim join`: open a seat of a session served by `ttxsim host`. Textual is
imported only when it runs."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    join = subparsers.add_parser(
        "join",
        help="open a seat of a hosted session",
        description="Open a seat (facilitator, display or a role) of a session served by 'ttxsim host'. "
        "Without --code, the seat asks for one.",
    )
    join.add_argument("url", metavar="URL", help="the host's address, e.g. ws://192.168.1.20:8765/ws")
    join.add_argument("--code", default=None, help="the seat's join code")
    join.set_defaults(handler=run_join)


def run_join(args: argparse.Namespace) -> int:
    from sim.cli import UsageError

    if not args.url.startswith(("ws://", "wss://")):
        raise UsageError(f"{args.url}: a host address starts with ws:// or wss://, e.g. ws://127.0.0.1:8765/ws")
    from tui.seat import run_seat

    return run_seat(args.url, args.code)
