import numpy as np
import torch

from training import models
from training.calibrate import _scores, calibrate, center_logits, choose_offsets


def _biased_logits(seed: int = 0, n: int = 2000):
    """Clean logits with the true class ahead by 2, then class 1 held down by 3: a network that
    has learned to avoid a rare class."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 7, n)
    logits = rng.normal(0, 1, (n, 7))
    logits[np.arange(n), labels] += 2.0
    logits[:, 1] -= 3.0
    return logits, labels


def test_offsets_restore_the_held_down_class_and_keep_accuracy():
    logits, labels = _biased_logits()
    before = _scores(logits, labels, np.zeros(7))
    offsets = choose_offsets(logits, labels, max_accuracy_drop=0.003)
    after = _scores(logits, labels, offsets)
    assert offsets[1] - np.delete(offsets, 1).mean() > 2.0
    assert after[1] > before[1] + 0.05
    assert after[0] >= before[0] - 0.003
    assert abs(offsets.mean()) < 1e-9


def test_no_change_when_nothing_helps():
    labels = np.arange(7).repeat(10)
    logits = np.eye(7)[labels] * 5.0
    assert np.all(choose_offsets(logits, labels) == 0)


def test_calibrate_folds_the_offsets_into_the_dense_bias():
    torch.manual_seed(0)
    model = models.build("vgg_ba_small", width=0.125).eval()
    images = np.random.default_rng(1).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    labels = np.random.default_rng(2).integers(0, 7, 64)
    raw = center_logits(model, images)
    summary = calibrate(model, images, labels, log=lambda _: None)
    offsets = np.array(list(summary["offsets"].values()))
    np.testing.assert_allclose(center_logits(model, images), raw + offsets, atol=1e-4)
