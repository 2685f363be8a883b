"""Start-up time of the commands people run most and wait on: `--help`, `report --json`, `accounts list`.

    .venv/bin/python benchmarks/startup.py [--runs 15]

Wall time of a fresh process, median of --runs, next to the floor of `python -c pass` in the
same interpreter: the difference ("over bare") is what faceaudit and its libraries cost before
the command does anything. Target (issue 18): under 0.2 s over bare Python for each line.
`report --json` runs twice: on an empty workspace (it opens it and says there is no scan) and
on one as enrolment and two finished scans leave it (a sealed template, three accounts, findings),
as `report` after a real scan reads it. The template's key goes to a throw-away key folder, never
the OS keyring. The lines in brackets are the floor Typer sets for any CLI built on it (its
import; a one-command app's `--help`; the same app running its command), for comparison.
CPU time is printed next to wall time: on a busy machine it is the steadier of the two.
Python's bytecode is cached in a throw-away folder (PYTHONPYCACHEPREFIX), as for an installed
faceaudit, even where PYTHONDONTWRITEBYTECODE is set; --uncached measures without that.
Prints figures, asserts nothing; `python -X importtime -m faceaudit --help` shows where the
time goes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_OVER_BARE = 0.2  # seconds over `python -c pass`
ACCOUNTS = (("https://social.example/@alex", "mastodon"), ("https://alex.example.org/", "web"),
            ("https://github.com/alex", "github"))
IMAGES_PER_ACCOUNT = 70
# The floor Typer itself sets: an app of one command with one path option, as faceaudit's
# commands have (`--home`). Typer renders `--help` with rich, and converts option values with
# pydantic (imported on the first one), so these lines are what any Typer CLI pays.
BARE_TYPER = """
from pathlib import Path
from typing import Annotated
import typer
app = typer.Typer(add_completion=False)
@app.command()
def main(home: Annotated[Path | None, typer.Option("--home")] = None) -> None:
    pass
app()
"""


def timed(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of `command` as a fresh process (its output captured, not
    shown). CPU time (user + system) is what the process itself spent: on a busy machine it
    varies far less than wall time, so it shows a change that the wall time's noise hides."""
    subprocess.run(command, capture_output=True, env=env, check=False)  # warm-up: caches, bytecode
    walls, cpus = [], []
    for _ in range(runs):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run(command, capture_output=True, env=env, check=False)
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def scanned_workspace(home: Path) -> None:
    """A workspace as enrolment and two finished scans leave it: a sealed template of three
    reference faces, three accounts, 70 images each, a face of the user's in every image (some
    changed between the scans), so `report` has findings, advice and a comparison to build.
    $FACEAUDIT_KEY_DIR must name a throw-away folder: the template's key goes there."""
    import numpy as np

    from faceaudit.types import (
        Analysis,
        Box,
        CrawlResult,
        Finding,
        ImageCandidate,
        ImageKind,
        ImageRecord,
        ImageStatus,
        ReferenceFace,
        StopReason,
        Verdict,
    )
    from faceaudit.workspace import Workspace

    face = Finding(Verdict.YOU, 0.95, Box(0, 0, 10, 10), face_px=10, det_score=0.9, recognisability=50)
    embedding = np.full(512, 512 ** -0.5, np.float32)
    with Workspace.open(home) as ws:
        ws.save_template("dlib", {"model": "benchmark"},
                         [ReferenceFace(f"me{n}.jpg", f"{n}" * 64, embedding, 0.9, 200) for n in range(3)])
        accounts = [(ws.add_account(url, site).id, url) for url, site in ACCOUNTS]
        for scan_number in range(2):
            scan_id = ws.start_scan("dlib")
            for account_id, page in accounts:
                for n in range(IMAGES_PER_ACCOUNT):
                    changed = scan_number == 1 and n % 10 == 0
                    sha = f"{account_id:02d}{n:04d}{int(changed)}".ljust(64, "0")
                    candidate = ImageCandidate(f"https://cdn.example/{account_id}/{n}.jpg", page, ImageKind.POST, "bench")
                    ws.record_image(scan_id, account_id, ImageRecord(
                        candidate, sha, Analysis(ImageStatus.ANALYSED, faces=1, findings=[face])))
                ws.record_account_result(scan_id, account_id, CrawlResult(StopReason.END, pages_visited=1, indexable=True))
            ws.finish_scan(scan_id, "complete")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--uncached", action="store_true",
                        help="keep this environment's bytecode settings (with PYTHONDONTWRITEBYTECODE=1, "
                             "faceaudit's modules are compiled from source on every start)")
    args = parser.parse_args(argv)
    faceaudit = [sys.executable, "-m", "faceaudit"]
    with tempfile.TemporaryDirectory() as folder:
        empty, scanned, keys = (Path(folder) / name for name in ("empty", "scanned", "keys"))
        os.environ["FACEAUDIT_KEY_DIR"] = str(keys)
        if not args.uncached:  # as installed: compiled bytecode cached (here, outside the checkout)
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
            os.environ["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")
        scanned_workspace(scanned)
        empty_env = {**os.environ, "FACEAUDIT_HOME": str(empty)}
        scanned_env = {**os.environ, "FACEAUDIT_HOME": str(scanned)}
        floor = timed([sys.executable, "-c", "pass"], empty_env, args.runs)
        rows = [
            ("(python -c 'import typer')", timed([sys.executable, "-c", "import typer"], empty_env, args.runs),
             "Typer's own import"),
            ("(bare Typer app --help)", timed([sys.executable, "-c", BARE_TYPER, "--help"], empty_env, args.runs),
             "Typer's floor for --help"),
            ("(bare Typer app --home x)", timed([sys.executable, "-c", BARE_TYPER, "--home", "x"], empty_env, args.runs),
             "Typer's floor for a command"),
            ("faceaudit --help", timed([*faceaudit, "--help"], empty_env, args.runs), ""),
            ("faceaudit report --json", timed([*faceaudit, "report", "--json"], empty_env, args.runs),
             "empty workspace: says there is no scan"),
            ("faceaudit report --json", timed([*faceaudit, "report", "--json"], scanned_env, args.runs),
             f"two scans of {len(ACCOUNTS)} accounts, {len(ACCOUNTS) * IMAGES_PER_ACCOUNT} images each"),
            ("faceaudit accounts list", timed([*faceaudit, "accounts", "list"], scanned_env, args.runs),
             f"{len(ACCOUNTS)} accounts"),
        ]
    bytecode = "as this environment has it" if args.uncached else "cached, as installed"
    print(f"median of {args.runs} runs after a warm-up, wall time (CPU time), bytecode {bytecode}; "
          f"target: under {TARGET_OVER_BARE:.1f} s over bare Python")
    print(f"{'python -c pass':26s} {floor[0]:.3f} s ({floor[1]:.3f})                    the interpreter's own floor")
    for name, (wall, cpu), note in rows:
        over = wall - floor[0]
        verdict = "ok" if over <= TARGET_OVER_BARE else "over target"
        print(f"{name:26s} {wall:.3f} s ({cpu:.3f})  +{over:.3f} s {verdict:11s}  {note}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
