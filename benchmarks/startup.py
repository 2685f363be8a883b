"""Start-up time of `faceaudit --help` (and of `faceaudit report --json` on an empty workspace).

    .venv/bin/python benchmarks/startup.py [--runs 15]

Wall time of a fresh process, median of --runs, against the floor of `python -c pass` in the
same interpreter: the difference is what faceaudit's own imports cost. Target: --help under
0.5 s. `python -X importtime -m faceaudit --help` shows where the time goes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(command: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "FACEAUDIT_HOME": home}
        floor = timed([sys.executable, "-c", "pass"], env, args.runs)
        help_time = timed([sys.executable, "-m", "faceaudit", "--help"], env, args.runs)
        report = timed([sys.executable, "-m", "faceaudit", "report", "--json"], env, args.runs)
    print(f"python -c pass            {floor:.3f} s  (the interpreter's own floor)")
    print(f"faceaudit --help          {help_time:.3f} s  (target < 0.5 s)")
    print(f"faceaudit report --json   {report:.3f} s  (empty workspace: opens it, says there is no scan)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
