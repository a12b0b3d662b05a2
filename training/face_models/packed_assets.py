"""Reading files out of an Emscripten packed-assets bundle, as MediaPipe's npm packages ship them.

A MediaPipe solution package holds one ``*_packed_assets.data`` blob (every model file
concatenated) and a ``*_packed_assets_loader.js`` script that tells the browser where each file
starts and ends. The script ends with one call ``loadPackage({...})`` whose argument is JSON::

    loadPackage({"files": [{"filename": "/a/b.tflite", "start": 0, "end": 1234}, ...],
                 "remote_package_size": 3986256, "package_uuid": "..."});

This module parses that call (no JavaScript is run) and slices the blob by it, checking that the
ranges are sane and that the blob has the size the script expects.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

_LOAD_PACKAGE_CALL = re.compile(r"\bloadPackage\(\s*(\{.*?\})\s*\)\s*;", re.DOTALL)


class PackedAssetsError(ValueError):
    """A loader script or data blob that cannot be used; the message names the file."""


@dataclass(frozen=True)
class PackedFile:
    """One file inside the blob: its path as the loader names it and its byte range [start, end)."""

    filename: str
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class PackedAssets:
    """What the loader script says about the blob."""

    files: tuple[PackedFile, ...]
    package_size: int

    def find(self, basename: str) -> PackedFile:
        """The one file whose path ends in ``/<basename>``; raises PackedAssetsError otherwise."""
        hits = [f for f in self.files if f.filename.rsplit("/", 1)[-1] == basename]
        if len(hits) != 1:
            listed = ", ".join(f.filename for f in self.files)
            raise PackedAssetsError(
                f"expected exactly one file named {basename!r} in the packed assets, "
                f"found {len(hits)} among: {listed}"
            )
        return hits[0]


def parse_loader(text: str, name: str = "loader script") -> PackedAssets:
    """Parses the ``loadPackage({...})`` call of a packed-assets loader script.

    Args:
        text: the loader script's source.
        name: what to call the script in error messages (usually its path).

    Raises:
        PackedAssetsError: no single ``loadPackage`` call with JSON metadata, a file entry
            without a name or with a range that is negative, reversed, overlapping another or
            past ``remote_package_size``.
    """
    calls = _LOAD_PACKAGE_CALL.findall(text)
    if len(calls) != 1:
        raise PackedAssetsError(
            f"{name}: expected one loadPackage({{...}}) call, found {len(calls)}"
        )
    try:
        metadata = json.loads(calls[0])
    except json.JSONDecodeError as err:
        raise PackedAssetsError(f"{name}: loadPackage argument is not JSON ({err})") from err

    package_size = metadata.get("remote_package_size")
    entries = metadata.get("files")
    if not _is_count(package_size) or not isinstance(entries, list) or not entries:
        raise PackedAssetsError(
            f"{name}: expected 'files' (a non-empty list) and 'remote_package_size' (a whole "
            f"number) in the loadPackage metadata, got keys {sorted(metadata)}"
        )

    files = []
    for index, entry in enumerate(entries):
        filename = entry.get("filename") if isinstance(entry, dict) else None
        start = entry.get("start") if isinstance(entry, dict) else None
        end = entry.get("end") if isinstance(entry, dict) else None
        if (
            not isinstance(filename, str)
            or not filename
            or not _is_count(start)
            or not _is_count(end)
        ):
            raise PackedAssetsError(
                f"{name}: files[{index}] needs a 'filename' string and whole-number 'start' and "
                f"'end', got {entry!r}"
            )
        if not start <= end <= package_size:
            raise PackedAssetsError(
                f"{name}: files[{index}] ({filename}) has byte range [{start}, {end}), outside "
                f"the package's {package_size} bytes or reversed"
            )
        files.append(PackedFile(filename, start, end))

    ordered = sorted(files, key=lambda f: f.start)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise PackedAssetsError(
                f"{name}: {before.filename} [{before.start}, {before.end}) overlaps "
                f"{after.filename} [{after.start}, {after.end})"
            )
    return PackedAssets(tuple(files), package_size)


def read_packed_file(data_path: Path, assets: PackedAssets, basename: str) -> bytes:
    """The bytes of ``basename`` cut from the blob at ``data_path``.

    Raises:
        PackedAssetsError: the blob cannot be read, its size differs from what the loader script says (the two
            files come from different builds), or ``basename`` is not listed exactly once.
    """
    entry = assets.find(basename)
    try:
        blob = data_path.read_bytes()
    except OSError as err:
        raise PackedAssetsError(
            f"{data_path}: cannot read the packed assets ({err.strerror})"
        ) from err
    if len(blob) != assets.package_size:
        raise PackedAssetsError(
            f"{data_path}: expected {assets.package_size} bytes as the loader script says, "
            f"got {len(blob)}; the .data file and its loader do not belong together"
        )
    return blob[entry.start : entry.end]


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
