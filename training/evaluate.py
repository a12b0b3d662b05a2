"""Accuracy of a classifier on FER2013 with a center crop or ten crops.

The protocol: a model is trained on Training and its checkpoint is chosen on PublicTest
(center crop, in :func:`training.train.train`); PrivateTest is reported once, for the chosen
checkpoint, by :func:`evaluate_splits`. A classifier is either a PyTorch model or an exported
ONNX file (:class:`OnnxClassifier`), so the same numbers can be regenerated from either.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

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


# Ten crops of this many faces go through the classifier in one call.
_TEN_CROP_BATCH = 32

PROTOCOL = (
    "trained on Training; checkpoint chosen on PublicTest center-crop accuracy; "
    "PrivateTest evaluated once for the chosen checkpoint"
)


@torch.inference_mode()
def predict_center_and_ten_crop(
    classify: Classifier, images: np.ndarray, batch_size: int = _TEN_CROP_BATCH
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities [N, 7] for the center crop and for ten crops, from one pass.

    The center crop is the first of the ten, so both come from the same forward pass; the
    ten crops of ``batch_size`` faces are classified in a single call.
    """
    center, ten = [], []
    for start in range(0, len(images), batch_size):
        batch = torch.from_numpy(images[start : start + batch_size])
        crops = ten_crops(batch)
        logits = classify(torch.cat(crops)).float()
        probs = torch.softmax(logits, dim=1).reshape(len(crops), len(batch), -1)
        center.append(probs[0].numpy())
        ten.append(probs.mean(0).numpy())
    if not center:
        empty = np.zeros((0, len(LABELS)), dtype=np.float32)
        return empty, empty
    return np.concatenate(center), np.concatenate(ten)


def evaluate_splits(
    classify: Classifier, data, splits: tuple[str, ...] = ("PublicTest", "PrivateTest")
) -> dict:
    """``{split: {"center": summary, "ten_crop": summary}}`` (see :func:`summarize`)."""
    results = {}
    for split in splits:
        center, ten = predict_center_and_ten_crop(classify, data[split].images)
        labels = data[split].labels
        results[split] = {"center": summarize(labels, center), "ten_crop": summarize(labels, ten)}
    return results


class OnnxClassifier:
    """An exported ``.onnx`` classifier behind the same call as a PyTorch model."""

    def __init__(self, path: Path, threads: int = 0):
        import onnxruntime as ort

        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such ONNX file")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # noqa: BLE001 (ORT raises its own exception types)
            raise ValueError(f"{path}: cannot load ONNX model ({err})") from None
        self.path = Path(path)
        self.input_name = self.session.get_inputs()[0].name
        self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        feed = {self.input_name: x.detach().float().contiguous().numpy()}
        return torch.from_numpy(self.session.run(None, feed)[0])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it owner-only; give it the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json_atomic(path: Path, obj: object) -> None:
    write_atomic(path, (json.dumps(obj, indent=2) + "\n").encode())
