"""`python -m tui [FILE] [--seed N] [--role ROLE]...`: same as `ttxsim play`."""

from __future__ import annotations

import sys

from sim.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["play", *sys.argv[1:]]))
