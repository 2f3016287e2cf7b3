"""The engine never loads the UI: `import sim` (and a whole run) pulls in no textual or rich,
building the command-line parser imports no UI package, and `lint-imports` holds the
contract statically (pyproject.toml, [tool.importlinter])."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UI_CHECK = "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'textual', 'rich', 'tui'}); print(bad); sys.exit(1 if bad else 0)"


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT)


def test_import_sim_loads_no_ui_library():
    code = (
        "import sys, sim, sim.cli, sim.simulation;"
        "from sim.scenario.loader import load_scenario;"
        "from sim.scenario.bundled import default_scenario;"
        "sim.Simulation(load_scenario(default_scenario()), seed=1).run();" + UI_CHECK
    )
    result = _python(code)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("argv", [[], ["run"], ["validate"], ["compare"]], ids=lambda a: " ".join(a) or "help")
def test_building_the_cli_parser_imports_no_ui_package(argv):
    """`ttxsim --help`, `run`, `validate`: the parser is built without tui, textual or rich."""
    code = f"import sys; from sim.cli import build_parser; build_parser({argv!r});" + UI_CHECK
    result = _python(code)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_play_parser_imports_tui_but_not_textual():
    """Naming `play` loads its command module (to parse its options), still not Textual."""
    code = "import sys; from sim.cli import build_parser; build_parser(['play']); print('tui.command' in sys.modules, 'textual' in sys.modules)"
    result = _python(code)
    assert result.stdout.split() == ["True", "False"], result.stderr


def test_import_linter_contract_holds():
    """`lint-imports`: no module under sim/ imports tui, textual or rich, directly or indirectly, and the
    scenario format (sim.scenario) imports no engine (simpy, sim.engine, sim.domain, sim.simulation), and
    the loader, the cross-reference checks and the reforms import each other in one direction only."""
    command = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which("lint-imports")
    assert command, "import-linter is part of the test extra: pip install -e '.[test]'"
    result = subprocess.run([command], capture_output=True, text=True, check=False, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


SCENARIO_WORDS = re.compile(
    r"sakishima|ishigaki|miyako|yonaguni|taketomi|tarama|kyushu|okinawa|jcg|usfj|consultation|handover", re.IGNORECASE
)
"""Names of places, agencies and seams of the bundled scenarios (issue 11, item 10)."""


def scenario_vocabulary(roots: Sequence[Path]) -> list[str]:
    """`file:line: text` of every line of Python under `roots` that names a scenario's place, agency or seam
    (what `grep -rniE WORDS sim tui --include=*.py` finds)."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if SCENARIO_WORDS.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_engine_and_console_name_no_scenario():
    """A scenario is data for a general engine: sim/ and tui/ name no island, agency or seam of any
    scenario; labels, titles and the default scenario come from the YAML (scenarios/default.txt)."""
    found = scenario_vocabulary([ROOT / "sim", ROOT / "tui"])
    assert not found, "scenario vocabulary in code:\n" + "\n".join(found)


def test_the_vocabulary_check_names_file_and_line(tmp_path, monkeypatch):
    """The check above can fail, and says where."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text('"""Engine."""\nLABEL = "JCG handover"\n', encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert scenario_vocabulary([tmp_path / "pkg"]) == ['pkg/mod.py:2: LABEL = "JCG handover"']
