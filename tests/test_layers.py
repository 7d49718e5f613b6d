"""The apps' layers hold: import-linter's contract in pyproject.toml, run as `make test` runs.

core → accounts → catalog → tickets → notify → sla · kb · ops · intake → reports: each app
imports only those below it, at module level or inside a function. The second test shows
the check is not vacuous: the same contract, on a copy of the code where core imports
tickets, fails and names that import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(*, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:  # first on the path: this copy of campusdesk is the one analysed
        env["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run(
        [LINT_IMPORTS, "--config", ROOT / "pyproject.toml", "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_app_imports_only_the_layers_below_it() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_core_importing_a_domain_app_breaks_the_contract(tmp_path: Path) -> None:
    copy = tmp_path / "campusdesk"
    shutil.copytree(
        ROOT / "src" / "campusdesk",
        copy,
        ignore=shutil.ignore_patterns("locale", "static", "templates", "__pycache__"),
    )
    clock = copy / "core" / "clock.py"
    # a function-local import counts as much as one at the top of the module
    clock.write_text(
        clock.read_text()
        + "\n\ndef _late() -> None:\n    from campusdesk.tickets import models  # noqa: F401\n"
    )
    result = lint_imports(pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "campusdesk.core is not allowed to import campusdesk.tickets" in result.stdout
    assert "campusdesk.core.clock -> campusdesk.tickets.models" in result.stdout
