"""The packed-assets loader parser, on small synthetic loader scripts and blobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .packed_assets import PackedAssetsError, parse_loader, read_packed_file


def loader_text(files: list[dict], size: int) -> str:
    """A loader script shaped like MediaPipe's: a function named loadPackage, then one call."""
    metadata = json.dumps({"files": files, "remote_package_size": size, "package_uuid": "x"})
    return (
        "var Module = {};\n(function() {\n  var loadPackage = function(metadata) {\n"
        "    var files = metadata['files'];\n  }\n"
        f"  loadPackage({metadata});\n}})();\n"
    )


FILES = [
    {"filename": "/m/face_landmark/face_landmark.tflite", "start": 0, "end": 5},
    {"filename": "/m/data/meta.binarypb", "start": 5, "end": 7},
    {"filename": "/m/face_detection/face_detection_short_range.tflite", "start": 7, "end": 10},
]


def test_parses_every_file_with_its_byte_range() -> None:
    assets = parse_loader(loader_text(FILES, 10))
    assert assets.package_size == 10
    assert [(f.filename, f.start, f.end) for f in assets.files] == [
        (f["filename"], f["start"], f["end"]) for f in FILES
    ]
    assert assets.find("face_detection_short_range.tflite").size == 3


def test_reads_a_file_by_its_base_name(tmp_path: Path) -> None:
    blob = tmp_path / "assets.data"
    blob.write_bytes(b"MESH!mdDET")
    assets = parse_loader(loader_text(FILES, 10))
    assert read_packed_file(blob, assets, "face_detection_short_range.tflite") == b"DET"
    assert read_packed_file(blob, assets, "face_landmark.tflite") == b"MESH!"


def test_rejects_a_blob_of_another_size(tmp_path: Path) -> None:
    blob = tmp_path / "assets.data"
    blob.write_bytes(b"MESH!mdDETextra")
    with pytest.raises(PackedAssetsError, match=r"expected 10 bytes .* got 15"):
        read_packed_file(blob, parse_loader(loader_text(FILES, 10)), "face_landmark.tflite")


def test_names_the_missing_file_and_lists_the_others() -> None:
    assets = parse_loader(loader_text(FILES, 10))
    with pytest.raises(PackedAssetsError, match=r"'iris.tflite'.*found 0 among: /m/face_landmark"):
        assets.find("iris.tflite")


@pytest.mark.parametrize(
    ("files", "size", "message"),
    [
        (
            [{"filename": "/a", "start": 4, "end": 2}],
            10,
            r"files\[0\] \(/a\) has byte range \[4, 2\)",
        ),
        ([{"filename": "/a", "start": 0, "end": 11}], 10, r"outside the package's 10 bytes"),
        ([{"filename": "/a", "start": -1, "end": 2}], 10, r"files\[0\] needs"),
        ([{"start": 0, "end": 2}], 10, r"files\[0\] needs a 'filename'"),
        (
            [{"filename": "/a", "start": 0, "end": 6}, {"filename": "/b", "start": 5, "end": 8}],
            10,
            r"/a \[0, 6\) overlaps /b \[5, 8\)",
        ),
        ([], 10, r"expected 'files' \(a non-empty list\)"),
    ],
)
def test_rejects_bad_file_entries(files: list[dict], size: int, message: str) -> None:
    with pytest.raises(PackedAssetsError, match=message):
        parse_loader(loader_text(files, size), "loader.js")


def test_rejects_a_script_without_exactly_one_call() -> None:
    with pytest.raises(
        PackedAssetsError, match=r"loader.js: expected one loadPackage\(\{...\}\) call, found 0"
    ):
        parse_loader("var loadPackage = function(metadata) {};", "loader.js")
    twice = loader_text(FILES, 10) + loader_text(FILES, 10)
    with pytest.raises(PackedAssetsError, match=r"found 2"):
        parse_loader(twice, "loader.js")


def test_rejects_metadata_that_is_not_json() -> None:
    with pytest.raises(PackedAssetsError, match=r"loadPackage argument is not JSON"):
        parse_loader("loadPackage({files: [], remote_package_size: 3});", "loader.js")


def test_parses_the_installed_package_loader_when_present() -> None:
    """The real loader next to the real blob, if node_modules is installed (it is in CI)."""
    package = Path(__file__).resolve().parents[2] / "node_modules" / "@mediapipe" / "face_mesh"
    loader = package / "face_mesh_solution_packed_assets_loader.js"
    if not loader.exists():
        pytest.skip(f"{loader} not installed; run npm ci")
    assets = parse_loader(loader.read_text(encoding="utf-8"), str(loader))
    assert assets.package_size == (package / "face_mesh_solution_packed_assets.data").stat().st_size
    detector = read_packed_file(
        package / "face_mesh_solution_packed_assets.data",
        assets,
        "face_detection_short_range.tflite",
    )
    # A TFLite flatbuffer carries the file identifier "TFL3" at byte offset 4.
    assert detector[4:8] == b"TFL3"
    assert assets.find("face_landmark.tflite").size > 1_000_000
