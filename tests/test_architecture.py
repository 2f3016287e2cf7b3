"""The engine never loads the UI: `import sim` (and a whole run) pulls in no textual or rich."""

from __future__ import annotations

import subprocess
import sys


def test_import_sim_loads_no_ui_library():
    code = (
        "import sys, sim, sim.cli, sim.simulation;"
        "from sim.scenario.loader import load_scenario;"
        "from sim.scenario.bundled import default_scenario;"
        "sim.Simulation(load_scenario(default_scenario()), seed=1).run();"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'textual', 'rich', 'tui'});"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
