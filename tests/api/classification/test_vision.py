"""The image backbone: offline weights, both backends agree, preprocessing, the cold-start signals."""

import numpy as np
import pytest

from api.classification import vision
from tests.support import jpeg, synthetic_photo


def test_preprocess_gives_a_centre_crop_scaled_to_minus_one_one():
    x = vision.preprocess(jpeg(1920, 1080, color=(255, 255, 255), pattern=False))
    assert x.shape == (3, 224, 224) and x.dtype == np.float32
    assert x.max() == pytest.approx(1.0, abs=0.02) and x.min() >= -1.0


def test_onnx_and_torch_backends_give_the_same_numbers(tmp_path):
    images = [synthetic_photo("stripes", 1), synthetic_photo("dots", 2)]
    onnx = vision.Backbone("onnx", str(tmp_path)).run(images)
    torch = vision.Backbone("torch", str(tmp_path)).run(images)
    for a, b in zip(onnx, torch, strict=True):
        assert a.features.shape == (1280,) and a.logits.shape == (1000,)
        assert np.abs(a.logits - b.logits).max() < 1e-3 and np.abs(a.features - b.features).max() < 1e-3
    assert list((tmp_path / "backbone").glob("*.onnx"))  # exported once, named by the weights' hash


def test_cold_start_scores_sum_the_mapped_imagenet_mass():
    signals = vision.imagenet_signals()
    logits = np.full(1000, -10.0)
    logits[640] = 10.0  # manhole cover
    scores = vision.cold_start_scores(logits, signals)
    assert max(scores, key=scores.get) == "component:01-03" and scores["component:01-03"] > 0.99
    assert all(0 <= s.index < 1000 for s in signals)
