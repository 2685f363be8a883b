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


def scan_network_args(server) -> list[str]:
    """`scan` options that point every fixture hostname at `server` and nothing else anywhere."""
    assert server.certificate is not None
    args = [a for mapping in server.resolve_args() for a in ("--resolve", mapping)]
    return [*args, "--ca-cert", str(server.certificate.cert_pem), "--no-dns"]


def set_up_demo_person(run, fixture, folder: Path) -> None:
    """consent, enroll the demo person's reference photos, add their accounts — as a user would.

    `run(*args)` runs one faceaudit command and fails the test if it does not succeed."""
    refs = []
    for name, data in fixture.reference_photos:
        (folder / name).write_bytes(data)
        refs.append(str(folder / name))
    run("consent", "--accept")
    run("enroll", "--engine", "dlib", *refs)
    for url in fixture.account_urls:
        run("accounts", "add", url)


def run_ok(home: Path):
    """A `run` for set_up_demo_person: in-process, asserting exit code 0."""

    def run(*args: str) -> Result:
        result = faceaudit(home, *args)
        assert result.code == 0, (args, result.err)
        return result

    return run
