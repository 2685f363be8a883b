"""`faceaudit --help` and `faceaudit report` start without loading face engines or a browser:
those take seconds to import and neither command needs them. `--help` and `accounts list` do
not load numpy, httpx or cryptography either: together a fifth of a second of start-up that
neither command uses. (Start-up time: benchmarks/startup.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("dlib", "insightface", "onnxruntime", "onnx", "playwright", "faiss", "cv2", "torch", "skimage")
SLOW_TO_IMPORT = ("numpy", "httpx", "cryptography")  # embeddings, the network, the vault's cipher

PROBE = """
import json, sys
from faceaudit.cli import run
code = run(sys.argv[1:])
heavy = sorted(name for name in sys.modules if name.split(".")[0] in {heavy!r})
print("\\n" + json.dumps({{"code": code, "heavy": heavy}}))
"""


def _modules_loaded(home: Path, *args: str, watched: tuple[str, ...] = HEAVY) -> dict:
    """The command's exit code and which of the `watched` packages it imported."""
    env = {**os.environ, "FACEAUDIT_HOME": str(home), "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=set(watched)), *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_loads_no_engine_or_browser(tmp_path):
    result = _modules_loaded(tmp_path, "--help")
    assert result == {"code": 0, "heavy": []}


def test_help_and_accounts_list_load_no_numpy_network_or_cipher(tmp_path):
    from faceaudit.workspace import Workspace

    with Workspace.open(tmp_path / "ws") as ws:
        ws.add_account("https://alex.example.org/", "web")
    for args in (("--help",), ("accounts", "list"), ("accounts", "list", "--json")):
        assert _modules_loaded(tmp_path / "ws", *args, watched=SLOW_TO_IMPORT) == {"code": 0, "heavy": []}, args


def test_the_probe_sees_a_slow_import_when_there_is_one(tmp_path):
    """The check above can fail: a command that needs it (`doctor`, which checks the engines)
    is seen loading numpy."""
    heavy = _modules_loaded(tmp_path / "ws", "doctor", "--json", watched=SLOW_TO_IMPORT)["heavy"]
    assert "numpy" in heavy


def test_report_on_an_enrolled_workspace_loads_no_numpy(tmp_path):
    """`report` reads the scan's recorded thresholds, not the sealed template."""
    import numpy as np

    from faceaudit.thresholds import Thresholds
    from faceaudit.types import CrawlResult, ReferenceFace, StopReason
    from faceaudit.workspace import Workspace

    with Workspace.open(tmp_path / "ws") as ws:
        ws.save_template("dlib", {}, [ReferenceFace("me.jpg", "a" * 64, np.ones(128, np.float32), 0.9, 200)])
        account = ws.add_account("https://alex.example.org/", "web")
        scan_id = ws.start_scan("dlib", Thresholds(0.92, 0.89))
        ws.record_account_result(scan_id, account.id, CrawlResult(StopReason.END, pages_visited=1, indexable=True))
        ws.finish_scan(scan_id, "complete")
    assert _modules_loaded(tmp_path / "ws", "report", "--json", watched=SLOW_TO_IMPORT)["heavy"] == []


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
    """A Ctrl-C that lands while `faceaudit` is still importing (here: as rich.console loads)
    ends it with the interrupted exit code and no traceback."""
    probe = ("import builtins\n"
             "real = builtins.__import__\n"
             "def interrupted(name, *args, **kwargs):\n"
             "    if name == 'rich.console':\n"
             "        raise KeyboardInterrupt\n"
             "    return real(name, *args, **kwargs)\n"
             "builtins.__import__ = interrupted\n"
             "from faceaudit.cli import main\n"
             "main()\n")
    done = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (130, "")
