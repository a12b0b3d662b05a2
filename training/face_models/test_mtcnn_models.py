"""The committed MTCNN ONNX files (models/mtcnn-*.onnx) on real photos, and the converter's
wheel reading on small synthetic wheels.

The files' agreement with PyTorch is checked by ``convert_mtcnn`` itself on every conversion
(it needs the facenet-pytorch wheel, which no test may fetch); these tests check what the
TypeScript side relies on: names, shapes, dynamic sizes, metadata, and that the networks find
the face in ``obama-720p.jpg`` and not the background.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from PIL import Image

from . import convert_mtcnn
from .convert import ConversionError

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
MEDIA_DIR = Path(__file__).resolve().parents[3] / "shared" / "media"
PHOTO = MEDIA_DIR / "obama-720p.jpg"

# The face in obama-720p.jpg (x0, y0, x1, y1, source pixels) as the cascade in convert_mtcnn
# found it (printed by the conversion: [585.4, 52.8, 744.0, 280.1], O-Net score 0.9998).
FACE_BOX = (585.4, 52.8, 744.0, 280.1)
# Plain background in the same photo: the red curtain left of the window, and the black bar.
BACKGROUND_BOXES = {"curtain": (440, 40, 540, 140), "black bar": (0, 200, 200, 400)}

EXPECTED_IO = {
    "mtcnn-pnet.onnx": (
        {"input": [1, 3, "H", "W"]},
        {"offsets": [1, 4, "h", "w"], "face": [1, "h", "w"]},
    ),
    "mtcnn-rnet.onnx": (
        {"input": ["N", 3, 24, 24]},
        {"offsets": ["N", 4], "face": ["N"]},
    ),
    "mtcnn-onet.onnx": (
        {"input": ["N", 3, 48, 48]},
        {"offsets": ["N", 4], "points": ["N", 10], "face": ["N"]},
    ),
}
WEIGHT_FILES = {
    "mtcnn-pnet.onnx": "facenet_pytorch/data/pnet.pt",
    "mtcnn-rnet.onnx": "facenet_pytorch/data/rnet.pt",
    "mtcnn-onet.onnx": "facenet_pytorch/data/onet.pt",
}


@pytest.fixture(scope="module")
def sessions() -> dict[str, ort.InferenceSession]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return {
        name: ort.InferenceSession(
            str(MODELS_DIR / name), options, providers=["CPUExecutionProvider"]
        )
        for name in EXPECTED_IO
    }


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(PHOTO).convert("RGB")


def run(session: ort.InferenceSession, batch: np.ndarray) -> dict[str, np.ndarray]:
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, {"input": batch}), strict=True))


def crop(image: Image.Image, box: tuple[float, ...], size: int) -> np.ndarray:
    """The square around the box's centre with its longer side, as a [1, 3, size, size] input."""
    square = convert_mtcnn.squared(np.asarray([box], dtype=np.float64))
    return convert_mtcnn.crop_inputs(image, square, size)


# -- the files as the TypeScript side sees them ------------------------------------------------


@pytest.mark.parametrize("name", list(EXPECTED_IO))
def test_declares_the_documented_inputs_and_outputs(name: str) -> None:
    model = onnx.load(MODELS_DIR / name)
    onnx.checker.check_model(model, full_check=True)

    def shapes(values) -> dict[str, list[int | str]]:
        assert all(v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for v in values)
        return {
            v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in values
        }

    assert (shapes(model.graph.input), shapes(model.graph.output)) == EXPECTED_IO[name]
    assert {o.domain or "ai.onnx": o.version for o in model.opset_import} == {"ai.onnx": 17}
    assert {t.data_type for t in model.graph.initializer} == {onnx.TensorProto.FLOAT}


@pytest.mark.parametrize("name", list(EXPECTED_IO))
def test_carries_provenance_licence_and_input_format(name: str) -> None:
    meta = {p.key: p.value for p in onnx.load(MODELS_DIR / name).metadata_props}
    assert meta["source_package"] == "facenet-pytorch"
    assert meta["source_package_version"] == "2.6.0"
    assert meta["source_container"] == "facenet_pytorch-2.6.0-py3-none-any.whl"
    assert meta["source_file"] == WEIGHT_FILES[name]
    for key in ("source_sha256", "source_container_sha256"):
        assert len(meta[key]) == 64 and set(meta[key]) <= set("0123456789abcdef")
    assert meta["license"] == "MIT"
    assert meta["copyright"] == "Copyright (c) 2019 Timothy Esler"
    assert meta["license_text"].startswith("MIT License\n\nCopyright (c) 2019 Timothy Esler")
    assert "Permission is hereby granted" in meta["license_text"]
    assert "Zhang" in meta["weights_origin"] and "face class" in meta["changes"]
    assert meta["input_colour"] == "RGB" and meta["input_layout"].startswith("NCHW")
    assert json.loads(meta["input_range"]) == [-127.5 / 128, 127.5 / 128]
    assert meta["input_normalisation"] == "(v - 127.5) / 128 for v in 0..255"
    parity = json.loads(meta["check_max_abs_diff_vs_pytorch"])
    assert set(parity) == set(EXPECTED_IO[name][1])
    assert all(0 <= value <= convert_mtcnn.PARITY_LIMIT for value in parity.values())


@pytest.mark.parametrize(("height", "width"), [(12, 12), (181, 321), (40, 13)])
def test_pnet_output_size_follows_the_input_size(sessions, height: int, width: int) -> None:
    rng = np.random.default_rng(height * width)
    batch = rng.uniform(-1, 1, (1, 3, height, width)).astype(np.float32)
    out = run(sessions["mtcnn-pnet.onnx"], batch)
    h, w = -(-(height - 2) // 2) - 4, -(-(width - 2) // 2) - 4
    assert out["offsets"].shape == (1, 4, h, w)
    assert out["face"].shape == (1, h, w)
    assert np.all((out["face"] >= 0) & (out["face"] <= 1))


@pytest.mark.parametrize(("name", "size"), [("mtcnn-rnet.onnx", 24), ("mtcnn-onet.onnx", 48)])
def test_refining_nets_take_any_batch_size_and_treat_each_crop_alone(
    sessions, name: str, size: int
) -> None:
    rng = np.random.default_rng(size)
    batch = rng.uniform(-1, 1, (5, 3, size, size)).astype(np.float32)
    together = run(sessions[name], batch)
    alone = run(sessions[name], batch[3:4])
    assert together["face"].shape == (5,) and together["offsets"].shape == (5, 4)
    for output, values in alone.items():
        np.testing.assert_allclose(values, together[output][3:4], atol=1e-6)


# -- behaviour on a real photo ----------------------------------------------------------------


def test_refining_nets_accept_the_face_and_reject_the_background(sessions, photo) -> None:
    for size, name in ((24, "mtcnn-rnet.onnx"), (48, "mtcnn-onet.onnx")):
        face = run(sessions[name], crop(photo, FACE_BOX, size))
        assert face["face"][0] > 0.9, name
        # The crop is the face's own box, so the box corrections are small.
        assert np.abs(face["offsets"]).max() < 0.25, name
        for label, box in BACKGROUND_BOXES.items():
            background = run(sessions[name], crop(photo, box, size))
            assert background["face"][0] < 0.5, f"{name} on the {label}"


def test_onet_places_the_landmarks_where_a_face_has_them(sessions, photo) -> None:
    points = run(sessions["mtcnn-onet.onnx"], crop(photo, FACE_BOX, 48))["points"][0]
    x, y = points[:5], points[5:]  # left eye, right eye, nose, left and right mouth corner
    assert np.all((points > 0) & (points < 1))
    assert x[0] < x[2] < x[1] and x[3] < x[2] < x[4]  # the nose between eyes and mouth corners
    assert max(y[0], y[1]) < y[2] < min(y[3], y[4])  # eyes above the nose above the mouth
    assert abs(y[0] - y[1]) < 0.05  # the eyes are level in this photo


def test_pnet_face_map_peaks_over_the_face(sessions, photo) -> None:
    # Scaled so that the face (about 230 px high) is about 16 px: P-Net's 12 px window sees it.
    size = (90, 51)
    frame = convert_mtcnn.to_input(photo.resize(size, Image.Resampling.BOX))
    face = run(sessions["mtcnn-pnet.onnx"], frame)["face"][0]
    row, col = np.unravel_index(face.argmax(), face.shape)
    centre_x = (2 * col + 6) * photo.width / size[0]
    centre_y = (2 * row + 6) * photo.height / size[1]
    x0, y0, x1, y1 = FACE_BOX
    assert face[row, col] > 0.9
    assert x0 < centre_x < x1 and y0 < centre_y < y1
    # Cells whose window lies in the black bar on the left (x < 320 source px) see no face.
    bar_columns = int((320 * size[0] / photo.width - 12) // 2) + 1
    assert face[:, :bar_columns].max() < 0.5


# -- the converter's wheel reading, on synthetic wheels ---------------------------------------


def record_hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(
    path: Path, weights: dict[str, bytes], record_override: dict[str, bytes] | None = None
) -> None:
    """A zip shaped like the facenet-pytorch wheel with the given state-dict files."""
    info = "facenet_pytorch-2.6.0.dist-info"
    members = {f"facenet_pytorch/data/{key}.pt": data for key, data in weights.items()}
    members[f"{info}/METADATA"] = b"Metadata-Version: 2.1\nName: facenet-pytorch\nVersion: 2.6.0\n"
    members[f"{info}/LICENSE.md"] = b"MIT License\n\nCopyright (c) 2019 Timothy Esler\n"
    hashed = {**members, **(record_override or {})}
    record = "".join(f"{n},sha256={record_hash(d)},{len(d)}\n" for n, d in hashed.items())
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr(f"{info}/RECORD", record + f"{info}/RECORD,,\n")


def state_dict_bytes(net: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    return buffer.getvalue()


def test_reads_the_weights_and_licence_from_a_wheel(tmp_path: Path) -> None:
    weights = {spec.key: state_dict_bytes(spec.module()) for spec in convert_mtcnn.NETS}
    path = tmp_path / "facenet_pytorch-2.6.0-py3-none-any.whl"
    write_wheel(path, weights)
    wheel = convert_mtcnn.read_wheel(path)
    assert wheel.version == "2.6.0" and wheel.weights == weights
    assert wheel.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert wheel.license_text.startswith("MIT License")
    net = convert_mtcnn.load_net(convert_mtcnn.ONET, weights["onet"], path)
    assert not net.training


def test_refuses_weights_that_differ_from_the_record(tmp_path: Path) -> None:
    weights = {spec.key: b"weights" for spec in convert_mtcnn.NETS}
    path = tmp_path / "wheel.whl"
    write_wheel(path, weights, {"facenet_pytorch/data/rnet.pt": b"other"})
    with pytest.raises(ConversionError, match=r"wheel\.whl: facenet_pytorch/data/rnet\.pt does"):
        convert_mtcnn.read_wheel(path)


def test_refuses_a_wheel_without_a_network(tmp_path: Path) -> None:
    path = tmp_path / "wheel.whl"
    write_wheel(path, {"pnet": b"x", "rnet": b"y"})
    with pytest.raises(ConversionError, match=r"holds no facenet_pytorch/data/onet\.pt"):
        convert_mtcnn.read_wheel(path)


def test_refuses_weights_of_another_shape(tmp_path: Path) -> None:
    wrong = convert_mtcnn.RNet()
    wrong.dense4 = torch.nn.Linear(100, 128)
    with pytest.raises(
        ConversionError, match=r"(?s)rnet\.pt: the weights do not fit RNet.*dense4\.weight"
    ):
        convert_mtcnn.load_net(convert_mtcnn.RNET, state_dict_bytes(wrong), tmp_path / "w.whl")


def test_names_an_unreadable_wheel_and_writes_nothing(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing.whl"
    not_zip = tmp_path / "not-a-zip.whl"
    not_zip.write_bytes(b"not a zip archive")
    out = tmp_path / "out"
    for path, message in ((missing, "cannot read the wheel"), (not_zip, "expected a wheel")):
        assert convert_mtcnn.main(["--wheel", str(path), "--out", str(out)]) == 1
        error = capsys.readouterr().err
        assert str(path) in error and message in error
    assert not out.exists()
