"""Small FER2013-shaped fixtures, generated per test in both public forms (nothing is committed)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from training import models
from training.data import Fer2013, Split
from training.labels import IMAGE_SIZE, LABELS, SPLITS

FOLDER = {"Training": "train", "PublicTest": "test", "PrivateTest": "test"}


@dataclass
class Fixture:
    """What was written, to compare the loaders' results with."""

    data: Fer2013
    ids: dict[str, list[int]]


def smooth_faces(labels: np.ndarray, seed: int) -> np.ndarray:
    """uint8 [N, 48, 48] low-frequency patterns, so JPEG moves them by a few levels only.

    The horizontal frequency grows with the label, so a small network can learn the classes.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE] / IMAGE_SIZE
    out = []
    for label in labels:
        fx, fy = 0.4 + 0.35 * label + rng.uniform(0, 0.1), rng.uniform(0.3, 0.8)
        px, py = rng.uniform(0, 6, 2)
        image = 128 + 90 * np.sin(2 * np.pi * fx * x + px) * np.cos(2 * np.pi * fy * y + py)
        out.append(np.clip(image, 0, 255).astype(np.uint8))
    return np.stack(out) if out else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)


def make_dataset(per_class: dict[str, int], seed: int = 0) -> Fixture:
    """``per_class[split]`` faces of every class per split; labels cycle through LABELS."""
    splits, ids, next_id = {}, {}, 1000
    for index, split in enumerate(SPLITS):
        n = per_class[split] * len(LABELS)
        labels = np.arange(n, dtype=np.int64) % len(LABELS)
        splits[split] = Split(smooth_faces(labels, seed + index), labels)
        ids[split] = list(range(next_id, next_id + n))
        next_id += n
    return Fixture(Fer2013(splits), ids)


def write_image_release(fixture: Fixture, root: Path) -> Path:
    for split in SPLITS:
        part = fixture.data[split]
        for image, label, file_id in zip(part.images, part.labels, fixture.ids[split]):
            folder = root / FOLDER[split] / LABELS[label]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{split}_{file_id}.jpg", quality=95)
    return root


def write_csv(fixture: Fixture, path: Path) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["emotion", "pixels", "Usage"])
        for split in SPLITS:
            part = fixture.data[split]
            for image, label in zip(part.images, part.labels):
                writer.writerow([int(label), " ".join(str(int(v)) for v in image.ravel()), split])
    return path


@pytest.fixture
def small() -> Fixture:
    """Three faces per class in Training, two in each test split (63 + 14 + 14)."""
    return make_dataset({"Training": 3, "PublicTest": 2, "PrivateTest": 2})


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Keep the decoded-data cache of :func:`training.data.load_cached` in the test folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def tiny_checkpoint(
    path: Path, arch: str = "vgg_ba_small", width: float = 0.125, seed: int = 0
) -> Path:
    """A checkpoint of a tiny model with random weights and random BatchNorm statistics."""
    from dataclasses import asdict

    from training.train import Recipe

    torch.manual_seed(seed)
    recipe = Recipe(arch=arch, width=width, epochs=1)
    model = models.build(arch, width)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    path.parent.mkdir(parents=True, exist_ok=True)
    selected = {"accuracy": 0.5, "epoch": 1, "weights": "raw"}
    torch.save({"recipe": asdict(recipe), "model": model.state_dict(), "selected": selected}, path)
    return path
