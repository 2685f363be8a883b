"""The calibration script and `faceaudit check` agree: same photos, same template, same verdicts."""

from __future__ import annotations

import json

import pytest

from benchmarks.calibrate import calibrate, report
from faceaudit.compare.engines import make_engine
from tests.support import FACES, faceaudit, needs_faces

pytestmark = [needs_faces, pytest.mark.faces]
IDENTITIES = {"barack_obama", "joe_biden", "kit_harington", "rose_leslie"}


@pytest.fixture(scope="module")
def calibration():
    engine = make_engine("dlib")
    return engine, calibrate(engine, FACES, IDENTITIES)


def test_calibration_enrols_half_and_checks_the_rest(calibration):
    _, result = calibration
    assert result.templates["barack_obama"] == ["people/barack_obama/obama.jpg", "people/barack_obama/obama1.jpg"]
    checked = {f for i, f, _ in result.genuine if i == "barack_obama"}
    assert checked == {"people/barack_obama/obama2.jpg", "people/barack_obama/obama3.jpg"}
    # derived copies (resolution variants, crops) are never genuine or impostor evidence
    every = {f for _, f, _ in result.genuine + result.impostor}
    assert not any("obama-720p" in f or "partial" in f for f in every)


def test_check_gives_the_same_verdicts_as_the_calibration(calibration, tmp_path):
    engine, result = calibration
    enrolled = result.templates["barack_obama"]
    assert faceaudit(tmp_path, "consent", "--accept").code == 0
    assert faceaudit(tmp_path, "enroll", "--engine", "dlib", *[str(FACES / f) for f in enrolled]).code == 0
    expected = {f: s for i, f, s in result.genuine + result.impostor if i == "barack_obama"}
    checked = faceaudit(tmp_path, "check", "--json", *[str(FACES / f) for f in sorted(expected)])
    assert checked.code == 0, checked.err
    for photo in json.loads(checked.out):
        file = photo["path"].removeprefix(str(FACES) + "/")
        best = photo["faces"][0]
        assert best["similarity"] == pytest.approx(expected[file], abs=1e-4), file
        t = engine.thresholds
        want = "you" if expected[file] >= t.you else "maybe" if expected[file] >= t.maybe else "other"
        assert best["verdict"] == want, file


def test_report_gives_rates_at_both_thresholds(calibration):
    engine, result = calibration
    figures = report(result, engine)
    assert figures["detection_rate"] == 1.0
    assert figures["you"]["GAR"] == 1.0 and figures["you"]["FAR"] == 0.0
    assert set(figures["curve"]) >= {"0.80", "0.90", "0.98"}
