"""Every engine declares what the rest of the pipeline relies on, and scores real faces."""

from __future__ import annotations

import numpy as np
import pytest

from faceaudit.compare import recognisability
from faceaudit.compare.engines import ENGINES, choose_auto, engine_class, resolve_engine_name
from faceaudit.errors import UsageError
from faceaudit.thresholds import load_thresholds
from faceaudit.types import Box, DetectedFace


@pytest.mark.parametrize("name", ENGINES)
def test_every_engine_declares_landmarks_scores_and_thresholds(name):
    cls = engine_class(name)
    eye_a, eye_b, nose = cls.landmark_roles
    assert set(eye_a).isdisjoint(eye_b) and nose not in (*eye_a, *eye_b)
    assert cls.confident_score > cls.min_enrol_score
    thresholds = load_thresholds(name)
    assert 0 < thresholds.maybe < thresholds.you < 1


@pytest.mark.parametrize("name", ENGINES)
def test_recognisability_is_0_to_100_and_grows_with_face_size(name):
    cls = engine_class(name)
    eye_a, eye_b, nose = cls.landmark_roles
    points = np.zeros((5, 2), dtype=np.float32)
    points[list(eye_a)] = (30, 40)
    points[list(eye_b)] = (70, 40)
    points[nose] = (50, 60)

    def face(height: int) -> DetectedFace:
        return DetectedFace(Box(0, 0, height, height), points * height / 100, cls.confident_score,
                            np.ones(cls.embedding_size, np.float32) / np.sqrt(cls.embedding_size), sharpness=150)

    scores = [recognisability.score(face(h), cls) for h in (16, 40, 80, 200)]
    assert scores[0] == 0
    assert scores == sorted(scores) and scores[-1] <= 100 and scores[-1] >= 90


def test_a_turned_face_scores_lower_than_a_frontal_one():
    cls = engine_class("dlib")
    frontal = np.array([[30, 40], [40, 40], [60, 40], [70, 40], [50, 60]], np.float32)
    turned = np.array([[60, 40], [66, 40], [80, 40], [86, 40], [84, 60]], np.float32)
    emb = np.ones(128, np.float32) / np.sqrt(128)
    a = DetectedFace(Box(0, 0, 100, 100), frontal, 2.0, emb, 150)
    b = DetectedFace(Box(0, 0, 100, 100), turned, 2.0, emb, 150)
    assert recognisability.frontalness(a, cls) > 0.9 > 0.5 > recognisability.frontalness(b, cls)
    assert recognisability.score(a, cls) > recognisability.score(b, cls)


def test_auto_says_which_engine_and_why(tmp_path):
    name, why = choose_auto(tmp_path / "no-pack-here")
    assert name == "sface" and "insightface" in why and "sface" in why
    assert resolve_engine_name("dlib") == ("dlib", "asked for with --engine")
    with pytest.raises(UsageError, match="unknown engine"):
        resolve_engine_name("facenet")
