"""`faceaudit check` on every core: the same answers as one photo at a time, in the order given,
with unreadable files in their place, no workers for a photo or two, progress, and Ctrl-C."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faceaudit.check import WORKERS_PAY_FROM, check_photo, check_photos, check_with, workers_for
from faceaudit.compare import analysis
from faceaudit.compare.engines import make_engine
from faceaudit.compare.engines.sface_engine import SFaceEngine
from faceaudit.compare.matcher import Matcher
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.errors import ExitCode
from faceaudit.types import Template
from tests.support import FACES, alive, faceaudit, needs_faces, proc_status, spawned_workers

needs_sface = pytest.mark.skipif(not SFaceEngine.availability().ok,
                                 reason=f"needs the sface engine: {SFaceEngine.availability().reason}")
pytestmark = [needs_faces, pytest.mark.faces, needs_sface]

REFERENCES = ["people/barack_obama/obama.jpg", "people/barack_obama/obama2.jpg"]
# The user twice, people alone, groups, a photo turned sideways, tiny crops, and no face at all.
PHOTOS = [
    "people/barack_obama/obama1.jpg", "groups/obama_and_biden.jpg", "people/joe_biden/biden.jpg",
    "unlabelled/kun_cartoon_crop_r90.jpg", "groups/bbt1.jpg", "people/amy/amy1.png", "noface/white.png",
    "people/kit_harington/john1.jpeg", "unlabelled/rot_270.jpg", "people/barack_obama/obama3.jpg",
]
KEYS = {"path", "faces", "rotation", "frame"}


def photos(names: list[str]) -> list[Path]:
    found = [FACES / name for name in names]
    missing = [str(p) for p in found if not p.is_file()]
    assert not missing, missing
    return found


@pytest.fixture(scope="module")
def template() -> Template:
    engine = make_engine("sface")
    data = [ReferencePhoto(str(p), p.read_bytes()) for p in photos(REFERENCES)]
    return Template("sface", engine.describe(), "2026-01-01T00:00:00+00:00", build_template(engine, data).faces)


@pytest.fixture(scope="module")
def one_at_a_time(template) -> list[dict]:
    """The check as it was: one engine, here, one photo after the other."""
    engine = make_engine("sface")
    matcher = Matcher([f.embedding for f in template.faces], engine.thresholds)
    return [check_photo(engine, matcher, path) for path in photos(PHOTOS)]


@pytest.fixture(scope="module")
def on_every_core(template) -> tuple[list[dict], list[tuple[int, int]], list[int]]:
    """The check as `faceaudit check` runs it now: results, progress calls, worker processes seen."""
    calls: list[tuple[int, int]] = []
    children: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        children.append(len(multiprocessing.active_children()))

    assert len(PHOTOS) >= WORKERS_PAY_FROM["sface"]
    return check_photos(template, photos(PHOTOS), progress=progress), calls, children


def test_the_check_runs_in_worker_processes(on_every_core):
    if analysis.cores() < 2:
        pytest.skip("one core: the check runs in this process")
    _, _, children = on_every_core
    assert max(children) == analysis.cores()


def test_every_core_gives_the_one_at_a_time_results_in_the_same_order(on_every_core, one_at_a_time):
    results, _, _ = on_every_core
    assert [r["path"] for r in results] == [str(p) for p in photos(PHOTOS)]
    assert all(set(r) == KEYS for r in results)
    for parallel, alone in zip(results, one_at_a_time, strict=True):
        assert parallel["rotation"] == alone["rotation"] and parallel["frame"] == alone["frame"]
        assert [f["verdict"] for f in parallel["faces"]] == [f["verdict"] for f in alone["faces"]]
        assert [f["box"] for f in parallel["faces"]] == [f["box"] for f in alone["faces"]]
        for a, b in zip(parallel["faces"], alone["faces"], strict=True):
            assert a["similarity"] == pytest.approx(b["similarity"], abs=1e-4)
    # What the photos hold, so the comparison above is not of empty lists.
    by_name = {Path(r["path"]).name: r for r in results}
    assert by_name["obama1.jpg"]["faces"][0]["verdict"] == "you"
    assert by_name["obama3.jpg"]["faces"][0]["verdict"] == "you"
    assert len(by_name["bbt1.jpg"]["faces"]) > 3
    assert by_name["kun_cartoon_crop_r90.jpg"]["rotation"] == 90
    assert by_name["white.png"]["faces"] == []


def test_progress_counts_every_photo_once_in_this_thread(on_every_core):
    _, calls, _ = on_every_core
    assert calls == [(n, len(PHOTOS)) for n in range(1, len(PHOTOS) + 1)]


def test_an_unreadable_file_keeps_its_place_and_its_error(template, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    missing = tmp_path / "missing.jpg"
    good = photos(PHOTOS[:4])
    paths = [good[0], good[1], broken, good[2], missing, good[3]]
    results = check_with(make_engine("sface"), [f.embedding for f in template.faces], paths, workers=2)
    assert [r["path"] for r in results] == [str(p) for p in paths]
    for index in (2, 4):
        assert set(results[index]) == {"path", "faces", "error"}
        assert results[index]["faces"] == [] and results[index]["error"]
    assert "no such file" in results[4]["error"]
    assert all("error" not in results[i] for i in (0, 1, 3, 5))
    assert results[0]["faces"][0]["verdict"] == "you"


def test_a_check_of_one_or_two_photos_starts_no_worker_process(template, monkeypatch):
    def no_processes(*args, **kwargs):
        raise AssertionError("a short check must not start worker processes")

    monkeypatch.setattr(analysis, "ProcessPoolExecutor", no_processes)
    assert workers_for(make_engine("sface"), 2) == 1
    one = check_photos(template, photos(PHOTOS[:1]))
    two = check_photos(template, photos(PHOTOS[:2]))
    assert one[0]["faces"][0]["verdict"] == "you"
    assert [r["path"] for r in two] == [str(p) for p in photos(PHOTOS[:2])]
    assert multiprocessing.active_children() == []


def test_workers_start_from_as_many_photos_as_they_pay_for():
    if analysis.cores() < 2:
        pytest.skip("one core: every check runs in this process")
    sface, dlib = make_engine("sface"), make_engine("dlib")
    assert [workers_for(sface, n) for n in (1, 2, 7, 8, 150)] == [1, 1, 1, analysis.cores(), analysis.cores()]
    assert [workers_for(dlib, n) for n in (1, 2)] == [1, analysis.cores()]
    assert workers_for(SFaceEngine(threads=2), 150) == 1  # it spreads each photo over the cores itself


# -- the command -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("check")
    assert faceaudit(home, "consent", "--accept").code == 0
    enrolled = faceaudit(home, "enroll", "--engine", "sface", *map(str, photos(REFERENCES)))
    assert enrolled.code == 0, enrolled.err
    return home


def test_a_terminal_sees_a_progress_bar(home):
    result = faceaudit(home, "check", *map(str, photos(PHOTOS[:2])), terminal=True)
    assert result.code == 0, result.err
    assert "checking photos" in result.err and "2/2" in result.err
    assert "obama1.jpg: you" in result.out


def test_json_and_pipes_get_no_progress_bar(home):
    result = faceaudit(home, "check", "--json", *map(str, photos(PHOTOS[:2])), terminal=True)
    assert result.code == 0
    assert len(json.loads(result.out)) == 2
    assert "checking" not in result.err
    piped = faceaudit(home, "check", *map(str, photos(PHOTOS[:2])))  # stderr is not a terminal
    assert piped.code == 0 and "checking" not in piped.err


def test_ctrl_c_stops_the_check_and_its_workers(home):
    """Ctrl-C reaches the whole process group, as in a terminal: the check says it was stopped,
    no process prints a traceback, and no worker is left behind."""
    many = photos(PHOTOS) * 8
    check = subprocess.Popen([sys.executable, "-m", "faceaudit", "--home", str(home), "check", *map(str, many)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        workers = _ready_workers(check.pid, analysis.cores(), timeout=60)
        assert check.poll() is None, "the check ended before it could be interrupted"
        os.killpg(check.pid, signal.SIGINT)
        out, err = check.communicate(timeout=30)
    finally:
        if check.poll() is None:
            check.kill()
    assert check.returncode == ExitCode.INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err, err
    assert out == ""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in workers):
        time.sleep(0.1)
    assert not any(alive(p) for p in workers)


def _ready_workers(parent: int, count: int, timeout: float) -> list[int]:
    """The worker processes of `parent`, once `count` of them ignore SIGINT (started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = [p for p in spawned_workers(parent)
                 if int(proc_status(p, "SigIgn") or "0", 16) & (1 << (signal.SIGINT - 1))]
        if len(ready) >= count:
            return ready
        time.sleep(0.05)
    raise AssertionError(f"{count} worker processes did not start within {timeout} s")


def test_the_terminal_says_each_verdict_in_words(home):
    """`check` prints "you (match 0.93 of 1.00)", "someone else (…)": no bare similarity numbers."""
    result = faceaudit(home, "check", *map(str, photos(["people/barack_obama/obama1.jpg", "people/joe_biden/biden.jpg"])))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert re.search(r"obama1\.jpg: you \(match 0\.\d\d of 1\.00\)$", lines[0]), lines
    assert re.search(r"biden\.jpg: someone else \(match -?0\.\d\d of 1\.00\)$", lines[1]), lines
