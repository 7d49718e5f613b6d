"""`make test` installs the Debian packages its tests need: the contract of a new machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_make_test_runs_the_system_package_step_and_ci_has_none_of_its_own() -> None:
    plan = subprocess.run(
        ["make", "-n", "pytest"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "tools/sysdeps.sh" in plan
    assert "apt-get" not in (ROOT / ".ci/run").read_text()


@pytest.mark.skipif(os.getuid() != 0 or not shutil.which("runuser"), reason="needs root")
def test_without_root_it_stops_at_once_naming_the_apt_get_line() -> None:
    # As `nobody`, with a PATH without poppler's pdftotext: that package counts as missing.
    bin_dir = Path(tempfile.mkdtemp(prefix="sysdeps-"))
    try:
        bin_dir.chmod(0o755)
        for tool in ("bash", "id", "grep", "fc-list"):
            found = shutil.which(tool)
            if found:
                (bin_dir / tool).symlink_to(found)
        done = subprocess.run(
            [str(shutil.which("runuser")), "-u", "nobody", "--", str(bin_dir / "bash"), "-s"],
            input=(ROOT / "tools/sysdeps.sh").read_text(),
            env={"PATH": str(bin_dir)},
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        shutil.rmtree(bin_dir)
    assert done.returncode == 1, done.stderr
    assert "apt-get install -y" in done.stderr
    assert "poppler-utils" in done.stderr
    assert "installing" not in done.stdout


def test_as_root_with_everything_present_it_does_nothing() -> None:
    if os.getuid() != 0:
        pytest.skip("needs root")
    done = subprocess.run(
        ["bash", str(ROOT / "tools/sysdeps.sh")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert "installing" not in done.stdout
