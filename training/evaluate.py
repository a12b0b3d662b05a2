"""Accuracy of a classifier on FER2013 with a center crop or ten crops."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .labels import CROP_SIZE, IMAGE_SIZE, LABELS

# A function from raw grey crops, float [N, 1, 44, 44] in 0..255, to logits [N, 7].
Classifier = Callable[[torch.Tensor], torch.Tensor]

_MARGIN = IMAGE_SIZE - CROP_SIZE


def center_crop(images: torch.Tensor) -> torch.Tensor:
    """uint8 or float [N, 48, 48] -> float [N, 1, 44, 44], the middle 44x44 pixels."""
    lo = _MARGIN // 2
    return images[:, None, lo : lo + CROP_SIZE, lo : lo + CROP_SIZE].float()


def ten_crops(images: torch.Tensor) -> list[torch.Tensor]:
    """The four corner crops and the center crop, each also mirrored: ten [N, 1, 44, 44] tensors."""
    crops = [center_crop(images)]
    for top in (0, _MARGIN):
        for left in (0, _MARGIN):
            crops.append(images[:, None, top : top + CROP_SIZE, left : left + CROP_SIZE].float())
    return crops + [c.flip(-1) for c in crops]


@torch.inference_mode()
def predict_probabilities(
    classify: Classifier, images: np.ndarray, tta: str = "center", batch_size: int = 512
) -> np.ndarray:
    """Softmax probabilities [N, 7]; ``tta`` is ``center`` or ``ten_crop`` (probabilities averaged)."""
    if tta not in ("center", "ten_crop"):
        raise ValueError(f"tta must be 'center' or 'ten_crop', not {tta!r}")
    out = []
    for start in range(0, len(images), batch_size):
        batch = torch.from_numpy(images[start : start + batch_size])
        crops = [center_crop(batch)] if tta == "center" else ten_crops(batch)
        probs = torch.stack([torch.softmax(classify(c).float(), dim=1) for c in crops]).mean(0)
        out.append(probs.numpy())
    return np.concatenate(out) if out else np.zeros((0, len(LABELS)), dtype=np.float32)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Counts [7, 7], rows the true class and columns the predicted one."""
    n = len(LABELS)
    return np.bincount(labels * n + predictions, minlength=n * n).reshape(n, n)


def summarize(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    predictions = probabilities.argmax(1)
    matrix = confusion_matrix(labels, predictions)
    recall = matrix.diagonal() / np.maximum(matrix.sum(1), 1)
    return {
        "accuracy": float((predictions == labels).mean()) if len(labels) else 0.0,
        "count": int(len(labels)),
        "per_class_recall": {name: float(r) for name, r in zip(LABELS, recall)},
        "confusion_matrix": matrix.tolist(),
    }
