"""Evaluation: ten-crop geometry and averaging, and the evaluate command's outputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from training import cli, evaluate
from training.labels import CROP_SIZE, IMAGE_SIZE, LABELS
from training.train import Recipe, train

from .conftest import write_image_release

# Top-left (row, column) of each of the ten crops in a 48x48 image, mirrored ones last; a
# mirrored crop's first pixel is the unmirrored crop's top-right one.
UNMIRRORED = [(2, 2), (0, 0), (0, 4), (4, 0), (4, 4)]
FIRST_PIXELS = UNMIRRORED + [(r, c + CROP_SIZE - 1) for r, c in UNMIRRORED]


def _position_image() -> np.ndarray:
    """float32 [1, 48, 48] whose value at (row, column) is row * 48 + column."""
    return np.arange(IMAGE_SIZE * IMAGE_SIZE, dtype=np.float32).reshape(1, IMAGE_SIZE, IMAGE_SIZE)


def test_ten_crops_are_the_corners_and_center_then_their_mirrors():
    crops = evaluate.ten_crops(torch.from_numpy(_position_image()))
    assert len(crops) == 10
    for crop, (row, column) in zip(crops, FIRST_PIXELS):
        assert crop.shape == (1, 1, CROP_SIZE, CROP_SIZE)
        assert crop[0, 0, 0, 0] == row * IMAGE_SIZE + column
    for plain, mirrored in zip(crops[:5], crops[5:]):
        torch.testing.assert_close(mirrored, plain.flip(-1))


def test_ten_crop_probabilities_are_the_mean_of_the_ten_softmaxes():
    # Each crop votes, with logit 10, for a class chosen by where it sits.
    votes = {
        row * IMAGE_SIZE + column: k % len(LABELS) for k, (row, column) in enumerate(FIRST_PIXELS)
    }

    def classify(crops: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(len(crops), len(LABELS))
        for i, value in enumerate(crops[:, 0, 0, 0].tolist()):
            logits[i, votes[int(value)]] = 10.0
        return logits

    center, ten = evaluate.predict_center_and_ten_crop(classify, _position_image())
    hot, cold = math.exp(10) / (math.exp(10) + 6), 1 / (math.exp(10) + 6)
    expected_center = np.full(len(LABELS), cold)
    expected_center[0] = hot
    counts = np.bincount([k % len(LABELS) for k in range(10)], minlength=len(LABELS))
    expected_ten = (counts * hot + (10 - counts) * cold) / 10
    np.testing.assert_allclose(center[0], expected_center, rtol=1e-6)
    np.testing.assert_allclose(ten[0], expected_ten, rtol=1e-6)
    np.testing.assert_allclose(ten.sum(1), 1.0, rtol=1e-6)


def test_the_one_pass_path_matches_separate_center_and_ten_crop_passes():
    torch.manual_seed(0)
    linear = torch.nn.Linear(CROP_SIZE * CROP_SIZE, len(LABELS))
    classify = lambda x: linear(x.flatten(1) / 255)
    images = np.random.default_rng(0).integers(0, 256, (37, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    center, ten = evaluate.predict_center_and_ten_crop(classify, images, batch_size=8)
    np.testing.assert_allclose(
        center, evaluate.predict_probabilities(classify, images, "center"), atol=1e-6
    )
    np.testing.assert_allclose(
        ten, evaluate.predict_probabilities(classify, images, "ten_crop"), atol=1e-6
    )


def test_summary_counts_recall_per_class_and_the_confusion_matrix():
    labels = np.array([0, 0, 1, 3, 3, 3])
    probabilities = np.eye(len(LABELS))[[0, 1, 1, 3, 3, 6]]
    summary = evaluate.summarize(labels, probabilities)
    assert summary["accuracy"] == pytest.approx(4 / 6)
    assert summary["per_class_recall"]["angry"] == 0.5
    assert summary["per_class_recall"]["happy"] == pytest.approx(2 / 3)
    assert summary["confusion_matrix"][0][1] == 1 and summary["confusion_matrix"][3][6] == 1


def test_evaluate_writes_metrics_and_figures_from_a_checkpoint_and_from_its_onnx(small, tmp_path):
    release = write_image_release(small, tmp_path / "release")
    recipe = Recipe(width=0.125, epochs=4, batch_size=16, lr=0.05)
    train(small.data, recipe, tmp_path / "run", log=lambda _: None)
    checkpoint = tmp_path / "run" / "best.pt"
    data_args = ["--data", str(release), "--allow-partial"]

    assert (
        cli.main(
            ["evaluate", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "a"), *data_args]
        )
        == 0
    )
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert metrics["source"]["sha256"] == evaluate.file_sha256(checkpoint)
    assert metrics["data"]["counts"] == {"Training": 21, "PublicTest": 14, "PrivateTest": 14}
    for name in ("confusion-PublicTest.png", "confusion-PrivateTest.png", "training-curve.png"):
        with Image.open(tmp_path / "a" / name) as image:
            assert image.format == "PNG" and image.width > 300

    # The numbers are those of the model on the images as loaded.
    from training import data as fer_data
    from training.train import load_checkpoint

    model, _ = load_checkpoint(checkpoint)
    direct = evaluate.evaluate_splits(model, fer_data.load(release))
    for split in ("PublicTest", "PrivateTest"):
        for mode in ("center", "ten_crop"):
            assert metrics[split][mode]["accuracy"] == pytest.approx(
                direct[split][mode]["accuracy"]
            )
            assert (
                metrics[split][mode]["confusion_matrix"] == direct[split][mode]["confusion_matrix"]
            )
    predicted = np.array(metrics["PrivateTest"]["center"]["confusion_matrix"]).sum(0)
    assert (predicted > 0).sum() >= 2, "a model that predicts one class would not test much"

    onnx_path = tmp_path / "expression.onnx"
    assert cli.main(["export", "--checkpoint", str(checkpoint), "--out", str(onnx_path),
                     "--metrics", str(tmp_path / "a" / "metrics.json"), *data_args]) == 0  # fmt: skip
    assert (
        cli.main(["evaluate", "--onnx", str(onnx_path), "--out", str(tmp_path / "b"), *data_args])
        == 0
    )
    from_onnx = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert from_onnx["source"]["kind"] == "onnx"
    assert from_onnx["source"]["precision"].startswith("fp32 compute, fp16-stored weights")
    assert (tmp_path / "b" / "training-curve.png").is_file(), "the history travels in the metadata"
    for split in ("PublicTest", "PrivateTest"):
        for mode in ("center", "ten_crop"):
            assert (
                from_onnx[split][mode]["confusion_matrix"]
                == metrics[split][mode]["confusion_matrix"]
            )

    # Exported again with the ONNX file's own metrics, it carries the accuracies measured on it.
    onnx_metrics = tmp_path / "b" / "metrics.json"
    assert cli.main(["export", "--checkpoint", str(checkpoint), "--out", str(onnx_path),
                     "--metrics", str(onnx_metrics), *data_args]) == 0  # fmt: skip
    meta = evaluate.OnnxClassifier(onnx_path).metadata
    assert float(meta["accuracy_private_center"]) == from_onnx["PrivateTest"]["center"]["accuracy"]
    assert meta["accuracy_source"].startswith("python -m training evaluate --onnx on this graph")


def test_evaluate_names_a_missing_or_broken_model(small, tmp_path, capsys):
    release = write_image_release(small, tmp_path / "release")
    data_args = ["--data", str(release), "--allow-partial"]
    assert cli.main(["evaluate", "--checkpoint", str(tmp_path / "none.pt"), *data_args]) == 1
    assert "none.pt: no such checkpoint" in capsys.readouterr().err
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x07 not a model")
    assert cli.main(["evaluate", "--onnx", str(broken), *data_args]) == 1
    assert f"{broken}: cannot load ONNX model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "--checkpoint", "a.pt", "--onnx", "b.onnx"])
