"""`python -m sim ...` is `ttxsim ...`, for environments where the script is not on PATH."""

from sim.cli import main

raise SystemExit(main())
