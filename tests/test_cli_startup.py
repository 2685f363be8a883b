"""`faceaudit --help` and `faceaudit report` start without loading face engines or a browser:
those take seconds to import and neither command needs them. (Start-up time: benchmarks/startup.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("dlib", "insightface", "onnxruntime", "onnx", "playwright", "faiss", "cv2", "torch", "skimage")

PROBE = """
import json, sys
from faceaudit.cli import run
code = run(sys.argv[1:])
heavy = sorted(name for name in sys.modules if name.split(".")[0] in {heavy!r})
print("\\n" + json.dumps({{"code": code, "heavy": heavy}}))
"""


def _modules_loaded(home: Path, *args: str) -> dict:
    env = {**os.environ, "FACEAUDIT_HOME": str(home), "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=set(HEAVY)), *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_loads_no_engine_or_browser(tmp_path):
    result = _modules_loaded(tmp_path, "--help")
    assert result == {"code": 0, "heavy": []}


def test_report_loads_no_engine_or_browser(tmp_path):
    from faceaudit.types import CrawlResult, StopReason
    from faceaudit.workspace import Workspace

    with Workspace.open(tmp_path / "ws") as ws:  # a finished scan to report on
        account = ws.add_account("https://alex.example.org/", "web")
        scan_id = ws.start_scan("dlib")
        ws.record_account_result(scan_id, account.id, CrawlResult(StopReason.END, pages_visited=1, indexable=True))
        ws.finish_scan(scan_id, "complete")
    for args in (("report",), ("report", "--json")):
        assert _modules_loaded(tmp_path / "ws", *args) == {"code": 0, "heavy": []}, args


def test_ctrl_c_while_the_command_line_loads_exits_quietly():
    """A Ctrl-C that lands while `faceaudit` is still importing (here: as rich.progress loads)
    ends it with the interrupted exit code and no traceback."""
    probe = ("import builtins\n"
             "real = builtins.__import__\n"
             "def interrupted(name, *args, **kwargs):\n"
             "    if name == 'rich.progress':\n"
             "        raise KeyboardInterrupt\n"
             "    return real(name, *args, **kwargs)\n"
             "builtins.__import__ = interrupted\n"
             "from faceaudit.cli import main\n"
             "main()\n")
    done = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (130, "")
