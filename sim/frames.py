"""Tables for notebooks: a run's events as a pandas DataFrame, and pandas itself, imported
only when a table is asked for (pandas is the `analysis` extra, not a core dependency).

It sits below the engine's facade (`sim.simulation`, whose `RunResult.events_frame()` uses
it) and the Python API (`sim.api`, which re-exports `events_frame`), so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

PANDAS_HINT = "this needs pandas: install the analysis extra, e.g. pip install 'ttxsim[analysis]'"


def pandas_module():
    """pandas, or an ImportError that says which extra to install."""
    try:
        import pandas
    except ImportError:
        raise ImportError(PANDAS_HINT) from None
    return pandas


def events_frame(events: Sequence[Any]) -> pd.DataFrame:
    """A run's events as a DataFrame: seq, time (minutes after T+0), hours, kind, source, target, then
    one column per payload key (`data.option`, `data.to`, ...), in first-seen order."""
    pd = pandas_module()
    rows = []
    for event in events:
        row = {
            "seq": event.seq,
            "time": event.time,
            "hours": round(event.time / 60.0, 4),
            "kind": str(event.kind),
            "source": event.source,
            "target": event.target,
        }
        row.update({f"data.{key}": value for key, value in event.data.items()})
        rows.append(row)
    columns = ["seq", "time", "hours", "kind", "source", "target"]
    return pd.DataFrame(rows, columns=list(dict.fromkeys([*columns, *(k for r in rows for k in r)])))
