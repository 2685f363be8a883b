"""The calibration script and `faceaudit check` agree: same photos, same template, same verdicts.
Its figures carry exact confidence intervals, and faces-eval is measured on the labelled face."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from benchmarks.calibrate import (
    GLINT,
    MIN_IOU,
    NO_GROUP,
    Calibration,
    at_threshold,
    beta_ppf_bisect,
    calibrate,
    calibrate_eval,
    clopper_pearson,
    embed_photo,
    eval_split,
    honest_sentence,
    iou,
    main,
    parse_box,
    print_engine,
    report,
)
from faceaudit.compare.engines import make_engine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.imageio import read_path
from tests.support import FACES, faceaudit, needs_faces

FACES_EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "faces-eval"
needs_faces_eval = pytest.mark.skipif(
    not (FACES_EVAL / "labels.csv").is_file() or not (FACES_EVAL / "identities.csv").is_file(),
    reason=f"labelled evaluation faces not found at {FACES_EVAL}",
)
IDENTITIES = {"barack_obama", "joe_biden", "kit_harington", "rose_leslie"}
# Two of one group, one Glint360K crop identity, one more group; multi-face photos among them.
EVAL_IDENTITIES = {"abdullah_gul", "yasser_arafat", "kate_winslet", "chen_shui_bian"}
MULTI_FACE = "people/abdullah_gul/1.jpg"  # two faces: the labelled one and a smaller one beside it


@pytest.fixture(scope="module")
def engine():
    return make_engine("dlib")


@pytest.fixture(scope="module")
def calibration(engine):
    return engine, calibrate(engine, FACES, IDENTITIES)


@pytest.fixture(scope="module")
def evaluation(engine):
    return calibrate_eval(engine, FACES_EVAL, EVAL_IDENTITIES)


def eval_labels() -> list[dict[str, str]]:
    with (FACES_EVAL / "labels.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


# -- confidence intervals, no photos needed ------------------------------------------------------


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 33, 0.0, 0.1058),
    (32, 33, 0.8424, 0.9992),
    (5, 10, 0.1871, 0.8129),
    (33, 33, 0.8942, 1.0),
])
def test_clopper_pearson_gives_the_exact_interval(k, n, low, high):
    assert clopper_pearson(k, n) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(("q", "a", "b"), [(0.025, 32, 2), (0.975, 1, 33), (0.975, 6, 5847), (0.5, 5, 6)])
def test_the_bisection_without_scipy_agrees_with_scipy(q, a, b):
    stats = pytest.importorskip("scipy.stats")
    assert beta_ppf_bisect(q, a, b) == pytest.approx(float(stats.beta.ppf(q, a, b)), abs=1e-9)


def test_the_honest_sentence_gives_the_worst_case_of_the_interval():
    figures = at_threshold([0.95] * 32 + [0.85], [0.5] * 950, 0.92)
    sentence = honest_sentence(figures)
    assert "33 genuine checks: 97.0% accepted could be as low as 84.2%" in sentence
    assert "950 impostor checks: 0 false accepts" in sentence


def test_box_overlap():
    assert iou(parse_box("0 0 10 10"), parse_box("0 0 10 10")) == 1.0
    assert iou(parse_box("0 0 10 10"), parse_box("5 0 15 10")) == pytest.approx(50 / 150)
    assert iou(parse_box("0 0 10 10"), parse_box("20 20 30 30")) == 0.0


def test_faces_eval_enrols_two_or_all_but_one():
    assert eval_split(["p/3.jpg", "p/1.jpg", "p/2.jpg", "p/4.jpg"]) == (["p/1.jpg", "p/2.jpg"], ["p/3.jpg", "p/4.jpg"])
    assert eval_split(["p/2.jpg", "p/1.jpg"]) == (["p/1.jpg"], ["p/2.jpg"])
    assert eval_split(["p/1.jpg"]) == (["p/1.jpg"], [])


def test_neither_set_is_an_error(tmp_path, capsys):
    code = main(["--engine", "dlib", "--faces", str(tmp_path / "a"), "--faces-eval", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"faces: no labels.csv in {tmp_path / 'a'}, skipped" in err
    assert f"faces-eval: no labels.csv in {tmp_path / 'b'}, skipped" in err


# -- ../shared/faces -----------------------------------------------------------------------------


@needs_faces
@pytest.mark.faces
def test_calibration_enrols_half_and_checks_the_rest(calibration):
    _, result = calibration
    assert result.templates["barack_obama"] == ["people/barack_obama/obama.jpg", "people/barack_obama/obama1.jpg"]
    checked = {f for i, f, _ in result.genuine if i == "barack_obama"}
    assert checked == {"people/barack_obama/obama2.jpg", "people/barack_obama/obama3.jpg"}
    # derived copies (resolution variants, crops) are never genuine or impostor evidence
    every = {f for _, f, _ in result.genuine + result.impostor}
    assert not any("obama-720p" in f or "partial" in f for f in every)


@needs_faces
@pytest.mark.faces
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


@needs_faces
@pytest.mark.faces
def test_report_gives_rates_at_both_thresholds(calibration):
    engine, result = calibration
    figures = report(result, engine)
    assert figures["detection_rate"] == 1.0
    assert figures["you"]["GAR"] == 1.0 and figures["you"]["FAR"] == 0.0
    n = figures["genuine_checks"]
    assert figures["you"]["genuine"] == {"k": n, "n": n, "rate": 1.0,
                                         "lo": pytest.approx(clopper_pearson(n, n)[0], abs=1e-6), "hi": 1.0}
    # the sweep spans the scores' useful range and both thresholds; its top has no false accept
    thresholds = [row["threshold"] for row in figures["sweep"]]
    assert {engine.thresholds.you, engine.thresholds.maybe} <= set(thresholds)
    genuine, impostor = [s for *_, s in result.genuine], [s for *_, s in result.impostor]
    assert thresholds[0] <= max(min(genuine), float(np.quantile(impostor, 0.99)))
    assert thresholds[-1] > max(impostor) and figures["sweep"][-1]["false_accepts"] == 0
    assert figures["lowest_zero_false_accepts"]["false_accepts"]["k"] == 0
    # no group column in this set: one row, the whole set
    assert [row["group"] for row in figures["groups"]] == [NO_GROUP]
    assert figures["groups"][0]["you"]["genuine"] == figures["you"]["genuine"]


# -- ../shared/faces-eval ------------------------------------------------------------------------


@needs_faces_eval
@pytest.mark.faces
def test_the_labelled_face_is_chosen_by_its_box_not_by_size(engine):
    row = next(r for r in eval_labels() if r["file"] == MULTI_FACE)
    assert int(row["faces"]) > 1
    labelled_box = parse_box(row["target_face_box"])
    search = find_faces(engine, read_path(FACES_EVAL / MULTI_FACE), source=MULTI_FACE)
    boxes = [search.box_in_image(f.box) for f in search.faces]
    assert len(boxes) >= 2
    on_label = max(range(len(boxes)), key=lambda i: iou(boxes[i], labelled_box))
    other = next(i for i in range(len(boxes)) if iou(boxes[i], labelled_box) < MIN_IOU)

    chosen = embed_photo(engine, FACES_EVAL, MULTI_FACE, labelled_box)
    assert chosen.miss is None and chosen.faces == len(boxes)
    assert chosen.iou is not None and chosen.iou >= 0.5
    assert chosen.embedding is not None and np.allclose(chosen.embedding, search.faces[on_label].embedding)
    # a box on the other person picks that face, though it is not the largest
    beside = embed_photo(engine, FACES_EVAL, MULTI_FACE, boxes[other])
    assert beside.embedding is not None and np.allclose(beside.embedding, search.faces[other].embedding)
    assert not beside.largest
    # a box where no face was found is a detection miss, never a fall-back to the largest face
    empty = embed_photo(engine, FACES_EVAL, MULTI_FACE, parse_box("120 0 150 20"))
    assert empty.embedding is None and "none on the labelled face" in (empty.miss or "")


@needs_faces_eval
@pytest.mark.faces
def test_faces_eval_enrols_two_checks_the_rest_and_one_photo_of_each_other(evaluation):
    files = sorted(r["file"] for r in eval_labels() if r["identity"] in EVAL_IDENTITIES)
    assert evaluation.photos == len(files) and evaluation.detected == len(files), evaluation.miss_reasons
    assert set(evaluation.templates) == EVAL_IDENTITIES
    for identity in EVAL_IDENTITIES:
        own = [f for f in files if f.startswith(f"people/{identity}/")]
        assert evaluation.templates[identity] == own[:2]
        assert [f for i, f, _ in evaluation.genuine if i == identity] == own[2:]
        probes = [f for i, f, _ in evaluation.impostor if i == identity]
        assert sorted(probes) == sorted(f"people/{other}/1.jpg" for other in EVAL_IDENTITIES - {identity})


@needs_faces_eval
@pytest.mark.faces
def test_faces_eval_reports_a_row_per_group(evaluation, engine):
    figures = report(evaluation, engine)
    rows = {row["group"]: row for row in figures["groups"]}
    assert set(rows) == {"middle_eastern_north_african", "european_or_white", "east_asian", GLINT}
    genuine = {i: sum(1 for g, *_ in evaluation.genuine if g == i) for i in EVAL_IDENTITIES}
    # genuine checks count in the identity's group, impostor checks in the template's group
    assert rows["middle_eastern_north_african"]["you"]["genuine"]["n"] == genuine["abdullah_gul"] + genuine["yasser_arafat"]
    assert rows["middle_eastern_north_african"]["you"]["false_accepts"]["n"] == 2 * 3
    # Glint360K crops: in their group and in a row of their own
    assert rows[GLINT]["you"]["genuine"]["n"] == rows["european_or_white"]["you"]["genuine"]["n"] == genuine["kate_winslet"]
    assert rows[GLINT]["you"]["false_accepts"]["n"] == 3
    assert rows[GLINT]["detection"]["n"] == sum(1 for identity, _ in evaluation.tried if identity == "kate_winslet")


@needs_faces
@needs_faces_eval
@pytest.mark.faces
def test_both_sets_together_pool_their_checks(calibration, evaluation, capsys):
    engine, faces = calibration
    both = report([faces, evaluation], engine)
    assert both["genuine_checks"] == len(faces.genuine) + len(evaluation.genuine)
    assert both["impostor_checks"] == len(faces.impostor) + len(evaluation.impostor)
    assert NO_GROUP in {row["group"] for row in both["groups"]} and GLINT in {row["group"] for row in both["groups"]}
    assert all(":" in file for _, file, _ in both["lowest_genuine"])  # named with their set
    # what the command prints: a table row per group, the sweep, and the JSON of it all
    figures = {"engine": "dlib", "thresholds": {"you": engine.thresholds.you, "maybe": engine.thresholds.maybe},
               "workers": 1, "wall_seconds": 0.0, "folders": {"faces": str(FACES), "faces-eval": str(FACES_EVAL)},
               "sets": [report(faces, engine), report(evaluation, engine)], "combined": both}
    print_engine(figures)
    out = capsys.readouterr().out
    for row in both["groups"]:
        assert re.search(rf"^  {re.escape(row['group'])} +\d+/\d+ ", out, re.M), row["group"]
    assert "lowest threshold with no false accept on faces + faces-eval" in out
    assert json.loads(json.dumps(figures))["combined"]["genuine_checks"] == both["genuine_checks"]


@needs_faces_eval
@pytest.mark.faces
def test_worker_processes_give_the_same_scores(engine, evaluation):
    pair = {"kate_winslet", "chen_shui_bian"}
    pooled: Calibration = calibrate_eval(engine, FACES_EVAL, pair, workers=2)
    assert pooled.genuine == [c for c in evaluation.genuine if c[0] in pair]
    assert pooled.impostor == [c for c in evaluation.impostor if c[0] in pair and c[1].split("/")[1] in pair]
