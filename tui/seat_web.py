"""Browser seats: serve `ttxsim join URL` through textual-serve (`ttxsim host --web PORT`).

Every browser tab runs its own `ttxsim join` process on the host machine, which
asks for a join code and then connects to the session host like any terminal
seat; the browser only draws the terminal. Started by the host as
`python -m tui.seat_web --url ws://127.0.0.1:8765/ws --host 0.0.0.0 --port 8080`.
"""

from __future__ import annotations

import argparse
import shlex
import sys


def _server_class():
    from textual_serve.server import Server

    class SeatServer(Server):
        """Builds the page's URLs from the address the browser used, so students on the
        room's network reach it whatever interface the host listens on."""

        async def handle_index(self, request):
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

    return SeatServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.seat_web", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the session host's seat address (ws://...)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    try:
        server_class = _server_class()
    except ImportError:
        print("ttxsim: --web needs textual-serve: pip install 'ttxsim[web]'", file=sys.stderr)
        return 2
    command = f"{shlex.quote(sys.executable)} -m sim.cli join {shlex.quote(args.url)}"
    server_class(command, host=args.host, port=args.port, title="ttxsim seat").serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
