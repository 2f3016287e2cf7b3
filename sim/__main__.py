"""`python -m sim ...` is `ttx ...` (useful where another package's `ttx` shadows ours)."""

from sim.cli import main

raise SystemExit(main())
