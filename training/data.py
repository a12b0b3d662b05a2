"""Loading FER2013 from either public form into uint8 arrays.

Two forms exist in the wild:
- the image release: ``train/<class>/Training_<id>.jpg`` and ``test/<class>/{PublicTest,PrivateTest}_<id>.jpg``;
- Kaggle's ``fer2013.csv`` with columns ``emotion,pixels,Usage``.

Both load into a :class:`Fer2013` holding one ``(images, labels)`` pair per canonical split.
Decoding 35,887 JPEGs takes a while, so :func:`load_cached` keeps a ``.npz`` copy outside the repo.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .labels import CANONICAL_COUNTS, IMAGE_SIZE, LABELS, SPLITS


class DatasetError(ValueError):
    """A FER2013 file or row that cannot be used; the message names it."""


@dataclass
class Split:
    images: np.ndarray  # uint8 [N, 48, 48]
    labels: np.ndarray  # int64 [N], indices into LABELS

    def __len__(self) -> int:
        return len(self.labels)

    def class_counts(self) -> tuple[int, ...]:
        return tuple(int(c) for c in np.bincount(self.labels, minlength=len(LABELS)))


@dataclass
class Fer2013:
    splits: dict[str, Split]

    def __getitem__(self, name: str) -> Split:
        return self.splits[name]

    def check_canonical_counts(self) -> None:
        """Raise DatasetError unless every split has the canonical per-class counts."""
        problems = []
        for name in SPLITS:
            found = self.splits[name].class_counts()
            if found != CANONICAL_COUNTS[name]:
                problems.append(f"{name}: expected {CANONICAL_COUNTS[name]}, found {found}")
        if problems:
            raise DatasetError(
                "FER2013 split counts differ from the canonical release "
                f"({'; '.join(problems)}); pass --allow-partial to train on it anyway"
            )


def load(path: str | os.PathLike[str]) -> Fer2013:
    """Load FER2013 from a folder of the image release or from ``fer2013.csv``."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if path.is_dir():
        csv_path = path / "fer2013.csv"
        if (path / "train").is_dir() or (path / "test").is_dir():
            return load_image_release(path)
        if csv_path.is_file():
            return load_csv(csv_path)
        raise DatasetError(
            f"{path}: expected the image release (train/ and test/ folders) or fer2013.csv inside it"
        )
    return load_csv(path)


# Which Usage prefixes each folder of the image release may hold.
_FOLDER_SPLITS = {"train": ("Training",), "test": ("PublicTest", "PrivateTest")}


def load_image_release(root: Path) -> Fer2013:
    """Load ``train/<class>/*.jpg`` and ``test/<class>/*.jpg``, taking the split from the name prefix."""
    images: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    labels: dict[str, list[int]] = {s: [] for s in SPLITS}
    for folder in ("train", "test"):
        for class_dir in sorted((root / folder).glob("*")):
            if not class_dir.is_dir():
                continue
            if class_dir.name not in LABELS:
                raise DatasetError(
                    f"{class_dir}: unknown class folder; expected one of {', '.join(LABELS)}"
                )
            label = LABELS.index(class_dir.name)
            for file in sorted(class_dir.iterdir()):
                split = file.name.split("_", 1)[0]
                if split not in _FOLDER_SPLITS[folder]:
                    expected = " or ".join(s + "_" for s in _FOLDER_SPLITS[folder])
                    raise DatasetError(
                        f"{file}: file names under {folder}/ must start with {expected}"
                    )
                images[split].append(_decode_image(file))
                labels[split].append(label)
    if not any(labels.values()):
        raise DatasetError(f"{root}: no images found under train/ or test/")
    return _assemble(images, labels)


def load_csv(csv_path: Path) -> Fer2013:
    """Load Kaggle's ``fer2013.csv`` (``emotion,pixels,Usage``)."""
    images: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    labels: dict[str, list[int]] = {s: [] for s in SPLITS}
    with open(csv_path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"emotion", "pixels", "Usage"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{csv_path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            where = f"{csv_path}, line {reader.line_num}"
            try:
                label = int(row["emotion"])
                pixels = np.array(row["pixels"].split(), dtype=np.int64)
            except (ValueError, AttributeError) as err:
                raise DatasetError(f"{where}: not a number ({err})") from None
            if not 0 <= label < len(LABELS):
                raise DatasetError(f"{where}: emotion {label} is outside 0..{len(LABELS) - 1}")
            if pixels.size != IMAGE_SIZE * IMAGE_SIZE:
                raise DatasetError(
                    f"{where}: expected {IMAGE_SIZE * IMAGE_SIZE} pixel values, found {pixels.size}"
                )
            if pixels.min() < 0 or pixels.max() > 255:
                raise DatasetError(
                    f"{where}: expected pixel values in 0..255, "
                    f"found {pixels.min()}..{pixels.max()}"
                )
            usage = row["Usage"]
            if usage not in SPLITS:
                raise DatasetError(f"{where}: Usage {usage!r} is not one of {', '.join(SPLITS)}")
            images[usage].append(pixels.astype(np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE))
            labels[usage].append(label)
    return _assemble(images, labels)


def load_cached(path: str | os.PathLike[str], cache_dir: Path | None = None) -> Fer2013:
    """Like :func:`load`, but reuse a decoded ``.npz`` copy keyed by the source's path and mtime."""
    path = Path(path).resolve()
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    cache_dir = (
        cache_dir or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "emoji-mask"
    )
    key = hashlib.sha256(f"{path}:{path.stat().st_mtime_ns}".encode()).hexdigest()[:16]
    cache = cache_dir / f"fer2013-{key}.npz"
    if cache.exists():
        with np.load(cache) as arrays:
            return Fer2013({s: Split(arrays[f"{s}_images"], arrays[f"{s}_labels"]) for s in SPLITS})
    data = load(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, split in data.splits.items():
        arrays[f"{name}_images"] = split.images
        arrays[f"{name}_labels"] = split.labels
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, cache)
    return data


def _decode_image(file: Path) -> np.ndarray:
    try:
        with Image.open(file) as img:
            gray = np.asarray(img.convert("L"))
    except Exception as err:  # PIL raises many types for a bad file
        raise DatasetError(f"{file}: cannot decode image ({err})") from None
    if gray.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise DatasetError(
            f"{file}: expected {IMAGE_SIZE}x{IMAGE_SIZE} pixels, found {gray.shape[1]}x{gray.shape[0]}"
        )
    return gray


def _assemble(images: dict[str, list[np.ndarray]], labels: dict[str, list[int]]) -> Fer2013:
    splits = {}
    for name in SPLITS:
        if images[name]:
            stacked = np.stack(images[name])
        else:
            stacked = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
        splits[name] = Split(stacked, np.array(labels[name], dtype=np.int64))
    return Fer2013(splits)
