"""The first run's set-up shows progress: scripts/pip-progress.sh turns pip's output into a
package count, so installing about a gigabyte is not minutes of silence (issue 17, part 5)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "pip-progress.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the set-up scripts are bash")

# What pip prints (stdout) while installing from a lock file, shortened: a package for another
# Python is ignored, the others are collected, then installed.
PIP_OUTPUT = "\n".join([
    "Looking in indexes: https://pypi.org/simple",
    "Ignoring colorama: markers 'sys_platform == \"win32\"' don't match your environment",
    *[f"Collecting pkg{n}==1.0 (from -r requirements.lock (line {n}))" for n in range(1, 22)],
    "  Downloading pkg21-1.0-py3-none-any.whl (10 kB)",
    "Requirement already satisfied: setuptools==80.0 in ./.venv/lib/python3.11/site-packages",
    "Installing collected packages: pkg1, pkg2",
    "Successfully installed pkg1-1.0 pkg2-1.0",
]) + "\n"


def bash(command: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", f'set -euo pipefail; . "{SCRIPT}"; {command}'],
                          input=stdin, capture_output=True, text=True, timeout=30, check=False)


def test_a_log_gets_a_count_every_ten_packages_and_at_the_last() -> None:
    done = bash("pip_progress 23", PIP_OUTPUT)  # 23 pinned, one of them for Windows only
    assert done.returncode == 0
    assert done.stdout == ""  # progress is for the person: stderr only
    lines = done.stderr.splitlines()
    assert lines[:3] == ["  packages 10/22: pkg10", "  packages 20/22: pkg20", "  packages 22/22: setuptools"]
    assert "unpacking and installing" in lines[3]
    assert len(lines) == 4


def test_pip_failing_fails_the_set_up() -> None:
    done = bash("{ printf 'Collecting a==1\\n'; exit 3; } | pip_progress 1")
    assert done.returncode == 3


def test_pinned_counts_the_lock_files_packages() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    expected = sum(1 for line in lock.splitlines() if "==" in line and line[:1].isalnum())
    done = bash(f'pinned "{ROOT / "requirements.lock"}"')
    assert int(done.stdout) == expected > 20


def test_bootstrap_numbers_its_steps_and_uses_the_counter() -> None:
    text = (ROOT / "scripts" / "bootstrap.sh").read_text()
    assert 'pip-progress.sh"' in text
    assert text.count("locked_shown ") >= 2  # the runtime lock and the test lock
    assert 'step 2 "installing' in text


def test_pips_errors_are_kept_and_its_warnings_left_out() -> None:
    output = ("WARNING: Location 'file:///opt/pypi/simple/x/' is ignored\n"
              "Collecting a==1.0\n"
              "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n"
              "    a==1.0 from https://example.org/a.whl:\n"
              "        Expected sha256 00\n")
    done = bash("pip_progress 1", output)
    assert "WARNING" not in done.stderr
    assert "DO NOT MATCH THE HASHES" in done.stderr
    assert "Expected sha256 00" in done.stderr  # what follows an error is part of it


def test_wheels_from_a_local_folder_are_counted_by_name() -> None:
    done = bash("pip_progress 1", "Processing /opt/wheels/onnxruntime-1.32.0-cp311-cp311-linux_x86_64.whl (from -r x)\n")
    assert done.stderr.splitlines()[0] == "  packages 1/1: onnxruntime"
