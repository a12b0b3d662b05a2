"""FER2013 loaders: both public forms, split rebuilding, count checks and malformed input."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from training import cli
from training import data as fer_data
from training.labels import IMAGE_SIZE, LABELS, SPLITS

from .conftest import write_csv, write_image_release


def test_csv_rebuilds_the_three_splits_exactly(small, tmp_path):
    loaded = fer_data.load(write_csv(small, tmp_path / "fer2013.csv"))
    for split in SPLITS:
        np.testing.assert_array_equal(loaded[split].images, small.data[split].images)
        np.testing.assert_array_equal(loaded[split].labels, small.data[split].labels)


def test_image_release_rebuilds_the_splits_from_file_name_prefixes(small, tmp_path):
    loaded = fer_data.load(write_image_release(small, tmp_path / "release"))
    for split in SPLITS:
        assert loaded[split].class_counts() == small.data[split].class_counts()
        # Files are read by class folder name, then file name; put the originals in that order.
        names = np.array([LABELS[label] for label in small.data[split].labels])
        order = np.lexsort((np.array(small.ids[split]), names))
        np.testing.assert_array_equal(loaded[split].labels, small.data[split].labels[order])
        difference = np.abs(loaded[split].images.astype(int) - small.data[split].images[order])
        assert difference.max() <= 6, "JPEG at quality 95 moves a smooth image by a few levels"


def test_a_folder_holding_fer2013_csv_loads_as_csv(small, tmp_path):
    write_csv(small, tmp_path / "fer2013.csv")
    assert len(fer_data.load(tmp_path)["Training"]) == len(small.data["Training"])


def test_load_cached_returns_the_same_arrays_from_its_copy(small, tmp_path):
    source = write_csv(small, tmp_path / "fer2013.csv")
    first = fer_data.load_cached(source, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    source.write_text("emotion,pixels,Usage\n")  # the copy is keyed by mtime, so this is re-read
    second = fer_data.load_cached(source, cache_dir=tmp_path / "cache")
    assert len(second["Training"]) == 0
    again = fer_data.load_cached(write_csv(small, source), cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(again["PrivateTest"].images, first["PrivateTest"].images)


def test_counts_other_than_the_canonical_ones_are_refused_by_default(small, tmp_path, capsys):
    loaded = fer_data.load(write_csv(small, tmp_path / "fer2013.csv"))
    with pytest.raises(
        fer_data.DatasetError, match=r"Training: expected \(3995, 436,.*found \(3, 3,"
    ):
        loaded.check_canonical_counts()
    code = cli.main(["export", "--checkpoint", "x.pt", "--data", str(tmp_path / "fer2013.csv")])
    assert code == 1
    assert "--allow-partial" in capsys.readouterr().err


def _csv(tmp_path, rows: list[str], header: str = "emotion,pixels,Usage"):
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


GOOD_PIXELS = " ".join(["7"] * IMAGE_SIZE**2)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (f"7,{GOOD_PIXELS},Training", r"line 3: emotion 7 is outside 0\.\.6"),
        (f"x,{GOOD_PIXELS},Training", r"line 3: not a number"),
        (f"0,{' '.join(['7'] * 2303)},Training", r"line 3: expected 2304 pixel values, found 2303"),
        (
            f"0,{GOOD_PIXELS[:-1]}256,Training",
            r"line 3: expected pixel values in 0\.\.255, found 7\.\.256",
        ),
        (f"0,{GOOD_PIXELS},Validation", r"line 3: Usage 'Validation' is not one of Training"),
        (f"0,{GOOD_PIXELS[:-1]}x,Training", r"line 3: not a number"),
    ],
)
def test_a_malformed_csv_row_is_named_by_file_and_line(tmp_path, row, message):
    path = _csv(tmp_path, [f"1,{GOOD_PIXELS},PublicTest", row])
    with pytest.raises(fer_data.DatasetError, match=rf"bad\.csv, {message}"):
        fer_data.load(path)


def test_a_csv_without_a_needed_column_is_refused(tmp_path):
    with pytest.raises(fer_data.DatasetError, match=r"bad\.csv: missing column\(s\) Usage"):
        fer_data.load(_csv(tmp_path, [f"1,{GOOD_PIXELS}"], header="emotion,pixels"))


def _release_with(tmp_path, relative: str, content: bytes | Image.Image):
    root = tmp_path / "release"
    good = root / "train" / "happy" / "Training_1.jpg"
    good.parent.mkdir(parents=True)
    Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 90).save(good)
    bad = root / relative
    bad.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Image.Image):
        content.save(bad, format="JPEG")
    else:
        bad.write_bytes(content)
    return root, bad


@pytest.mark.parametrize(
    ("relative", "content", "message"),
    [
        ("test/sad/PublicTest_2.jpg", b"not a jpeg", "cannot decode image"),
        ("test/sad/PublicTest_2.jpg", b"", "cannot decode image"),
        (
            "test/sad/PrivateTest_3.jpg",
            Image.new("L", (40, 48)),
            "expected 48x48 pixels, found 40x48",
        ),
        (
            "test/sad/Validation_4.jpg",
            Image.new("L", (48, 48)),
            "must start with PublicTest_ or PrivateTest_",
        ),
        (
            "test/sad/Training_5.jpg",
            Image.new("L", (48, 48)),
            "must start with PublicTest_ or PrivateTest_",
        ),
        (
            "train/happy/PublicTest_6.jpg",
            Image.new("L", (48, 48)),
            "under train/ must start with Training_",
        ),
    ],
)
def test_a_malformed_image_file_is_named(tmp_path, relative, content, message):
    root, bad = _release_with(tmp_path, relative, content)
    with pytest.raises(fer_data.DatasetError) as caught:
        fer_data.load(root)
    assert str(caught.value).startswith(str(bad))
    assert message in str(caught.value)


def test_an_unknown_class_folder_is_named_with_the_known_ones(tmp_path):
    root, _ = _release_with(tmp_path, "test/happi/PublicTest_2.jpg", Image.new("L", (48, 48)))
    with pytest.raises(
        fer_data.DatasetError, match="happi: unknown class folder; expected one of angry"
    ):
        fer_data.load(root)


def test_a_missing_or_empty_source_is_refused(tmp_path):
    with pytest.raises(fer_data.DatasetError, match="nope: no such file or folder"):
        fer_data.load(tmp_path / "nope")
    with pytest.raises(fer_data.DatasetError, match="nope: no such file or folder"):
        fer_data.load_cached(tmp_path / "nope")
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(fer_data.DatasetError, match="no images found"):
        fer_data.load(tmp_path / "empty")
    (tmp_path / "other").mkdir()
    with pytest.raises(fer_data.DatasetError, match="expected the image release"):
        fer_data.load(tmp_path / "other")


def test_labels_are_the_fer2013_order():
    assert LABELS == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
