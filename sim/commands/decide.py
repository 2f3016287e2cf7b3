"""`--decide DECISION=OPTION[@DELAY]`: scripted decision makers from the command line.

An analyst asks "what if the answer were no" without editing YAML: whenever
DECISION comes up in a headless run, the modelled policy takes OPTION, after
DELAY (`30m`, `2h`) or, without `@DELAY`, after its own modelled delay.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.cli import UsageError
from sim.scenario.loader import suggest
from sim.scenario.types import parse_duration

Forced = dict[str, tuple[str, float | None]]


def parse_decide(values: Sequence[str], scenario) -> Forced:
    """Read `--decide` values against a scenario.

    Raises:
        UsageError: a malformed value, an unknown decision or option, or a decision given twice.
    """
    forced: Forced = {}
    options = {d.id: [o.id for o in d.options] for d in scenario.decisions}
    for value in values:
        head, _, delay_text = value.partition("@")
        decision, sep, option = head.partition("=")
        decision, option = decision.strip(), option.strip()
        if not sep or not decision or not option:
            raise UsageError(
                f"--decide {value!r}: expected DECISION=OPTION or DECISION=OPTION@DELAY, e.g. order=yes@2h"
            )
        if decision not in options:
            known = ", ".join(options) or "none"
            raise UsageError(
                f"--decide {value!r}: unknown decision {decision!r}{suggest(decision, list(options))}; "
                f"decisions: {known}"
            )
        if option not in options[decision]:
            raise UsageError(
                f"--decide {value!r}: decision {decision!r} has no option {option!r}"
                f"{suggest(option, options[decision])}; options: {', '.join(options[decision])}"
            )
        delay = None
        if delay_text:
            try:
                delay = parse_duration(delay_text.strip())
            except ValueError as error:
                raise UsageError(f"--decide {value!r}: {error}") from None
        if decision in forced:
            raise UsageError(f"--decide names decision {decision!r} twice")
        forced[decision] = (option, delay)
    return forced
