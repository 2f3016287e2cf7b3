"""Errors every front end turns into one sentence and an exit status.

`ModelError`: a scenario that validated cannot run on (a zero-time loop, an
event budget exhausted, a value that overflows). Its message names the part
of the model; the CLI prefixes the scenario path and exits 1. It is never an
internal exception name.
"""

from __future__ import annotations


class ModelError(RuntimeError):
    """A validated scenario failed at run time; the message is one sentence for the user."""
