"""Helpers for tests that read like the README: run a faceaudit command, see what it printed."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
needs_faces = pytest.mark.skipif(
    not (FACES / "labels.csv").is_file(), reason=f"real face photos not found at {FACES}"
)


@dataclass
class Result:
    code: int
    out: str
    err: str


def faceaudit(home: Path, *args: str) -> Result:
    """Run `faceaudit --home HOME ARGS…` in this process."""
    from faceaudit.cli import run

    stdout, stderr = io.StringIO(), io.StringIO()
    env_columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = run(["--home", str(home), *args])
    finally:
        if env_columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = env_columns
    return Result(code, stdout.getvalue(), stderr.getvalue())
