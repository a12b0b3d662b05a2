"""Converts the three networks of the MTCNN face detector (P-Net, R-Net, O-Net) to ONNX.

The weights come from the PyPI wheel of ``facenet-pytorch`` 2.6.0 (MIT licence, Copyright (c)
2019 Timothy Esler), which ships them as PyTorch state dicts in ``facenet_pytorch/data/``; they
are the weights of the original MTCNN (Zhang et al., IEEE Signal Processing Letters, 2016),
ported to PyTorch by way of davidsandberg/facenet. The package is not imported (it needs
torchvision): each state dict is read from the wheel, checked against the wheel's ``RECORD``
hash and loaded into the networks defined below, whose layer names are the state dicts' keys.

Each network is exported with PyTorch's TorchScript exporter behind a small head that keeps only
the face class of the two-way softmax and names the outputs. Then ONNX Runtime and the PyTorch
networks are run side by side on random inputs and on real ones: every pyramid level, R-Net
crop and O-Net crop of a full detection cascade on photos from ``../shared/media``, and the
cascade itself is run once more on ONNX Runtime alone. Only when every output is within
:data:`PARITY_LIMIT` and both cascades find the same faces are the files written, atomically.

Get the wheel, then run from the repository root::

    .venv/bin/pip download --no-deps facenet-pytorch==2.6.0 -d /tmp/pipdl
    .venv/bin/python -m training.face_models.convert_mtcnn \\
        --wheel /tmp/pipdl/facenet_pytorch-2.6.0-py3-none-any.whl --out models/

Input of all three: float32 NCHW RGB, rows are image y (standard orientation), each value ``v``
in 0..255 mapped to ``(v - 127.5) / 128``. Outputs, all float32:

- ``mtcnn-pnet.onnx``: input ``input`` [1, 3, H, W] with H, W >= 12; outputs ``offsets``
  [1, 4, h, w] and ``face`` [1, h, w], where h = ceil((H - 2) / 2) - 4 and likewise w. Cell
  (i, j) stands for the 12 x 12 window of the input whose top-left corner is x = 2 j, y = 2 i:
  ``face`` is the probability that it holds a face, ``offsets`` the corrections of the window's
  x0, y0, x1, y1 in units of its side (12 input pixels).
- ``mtcnn-rnet.onnx``: input ``input`` [N, 3, 24, 24], a square crop; outputs ``offsets``
  [N, 4] (corrections of the crop's x0, y0, x1, y1 as fractions of its side) and ``face`` [N].
- ``mtcnn-onet.onnx``: input ``input`` [N, 3, 48, 48]; outputs ``offsets`` [N, 4] as R-Net's,
  ``points`` [N, 10] (five landmarks, in the image: left eye, right eye, nose tip, left mouth
  corner, right mouth corner; first their five x, then their five y, as fractions 0..1 of the
  crop's width and height from its top-left corner) and ``face`` [N].
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import math
import re
import shlex
import sys
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from .convert import ConversionError, open_image, write_atomically

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MEDIA_DIR = REPO_ROOT.parent / "shared" / "media"
DEFAULT_OUT_DIR = REPO_ROOT / "models"
OPSET = 17

PACKAGE = "facenet-pytorch"
LICENSE = "MIT"
WEIGHTS_ORIGIN = (
    "MTCNN of Zhang, Zhang, Li and Qiao, 'Joint Face Detection and Alignment Using Multitask "
    "Cascaded Convolutional Networks', IEEE Signal Processing Letters 23(10), 2016; ported to "
    "TensorFlow in davidsandberg/facenet and from there to PyTorch in facenet-pytorch"
)

# Pixel value v (0..255) -> network input (v - INPUT_MEAN) * INPUT_SCALE.
INPUT_MEAN = 127.5
INPUT_SCALE = 1.0 / 128.0

# ONNX and PyTorch agree when |ONNX - PyTorch| <= PARITY_LIMIT for every output value. Every
# output is of order 1 (probabilities, and offsets and landmarks as fractions of a box), so
# 1e-4 moves a box of 1,000 pixels by a tenth of a pixel; re-ordered float32 sums stay far
# inside, a wrong layout, op or weight does not.
PARITY_LIMIT = 1e-4
# The ONNX cascade must find the faces the PyTorch cascade finds, every box corner and landmark
# within this many source pixels.
CASCADE_LIMIT_PX = 0.5

# Photos the cascade runs on for the checks, and the size (width, height) the whole first
# photo is also given to P-Net at: not square, and odd in both directions.
CHECK_PHOTOS = ("obama-720p.jpg", "two_people.jpg")
PNET_FRAME_SIZE = (321, 181)
RANDOM_SEED = 0
RANDOM_BATCH = 16


# -- the networks ---------------------------------------------------------------------------
#
# All convolutions have stride 1 and no padding, every PReLU has one slope per channel and every
# max-pool rounds its output size up (ceil_mode). Before the dense layers the feature map is
# flattened in (x, y, channel) order: the weights were first trained on transposed images, and
# the port turned the convolutions round but kept the dense layers' column order.


def _pool(size: int, stride: int) -> nn.MaxPool2d:
    return nn.MaxPool2d(size, stride, ceil_mode=True)


def _flatten_xy_channel(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 2, 1).flatten(1)


class PNet(nn.Module):
    """Proposal network: fully convolutional over any image of at least 12 x 12 pixels.

    ``forward`` gives ``(offsets [N, 4, h, w], probabilities [N, 2, h, w])`` with the
    probabilities softmaxed over (not a face, face).
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = _pool(2, 2)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)
        self.conv4_2 = nn.Conv2d(32, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu2(self.conv2(x))
        x = self.prelu3(self.conv3(x))
        return self.conv4_2(x), torch.softmax(self.conv4_1(x), dim=1)


class RNet(nn.Module):
    """Refinement network on 24 x 24 crops: ``(offsets [N, 4], probabilities [N, 2])``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = _pool(3, 2)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = _pool(3, 2)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(3 * 3 * 64, 128), nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        x = self.prelu4(self.dense4(_flatten_xy_channel(x)))
        return self.dense5_2(x), torch.softmax(self.dense5_1(x), dim=1)


class ONet(nn.Module):
    """Output network on 48 x 48 crops: ``(offsets [N, 4], points [N, 10], probabilities
    [N, 2])``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = _pool(3, 2)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = _pool(3, 2)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = _pool(2, 2)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(3 * 3 * 128, 256), nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))
        x = self.prelu5(self.dense5(_flatten_xy_channel(x)))
        return self.dense6_2(x), self.dense6_3(x), torch.softmax(self.dense6_1(x), dim=1)


class FaceOnly(nn.Module):
    """The exported graph: ``net``'s outputs with the probabilities cut to the face class's."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        *rest, probabilities = self.net(x)
        return (*rest, probabilities[:, 1])


@dataclass(frozen=True)
class NetSpec:
    """One network: its weights in the wheel, its ONNX file and the I/O that file must have."""

    key: str
    title: str
    module: type[nn.Module]
    output_file: str
    # Shapes as the ONNX file declares them: ints, or the names of dynamic dimensions.
    input_shape: tuple[int | str, ...]
    outputs: dict[str, tuple[int | str, ...]]
    # ONNX input dimension -> name, and per output the same.
    dynamic_axes: dict[str, dict[int, str]]
    input_size_doc: str
    outputs_doc: str

    @property
    def weights_file(self) -> str:
        return f"facenet_pytorch/data/{self.key}.pt"


PNET = NetSpec(
    key="pnet",
    title="MTCNN P-Net (proposal network)",
    module=PNet,
    output_file="mtcnn-pnet.onnx",
    input_shape=(1, 3, "H", "W"),
    outputs={"offsets": (1, 4, "h", "w"), "face": (1, "h", "w")},
    dynamic_axes={
        "input": {2: "H", 3: "W"},
        "offsets": {2: "h", 3: "w"},
        "face": {1: "h", 2: "w"},
    },
    input_size_doc="any H x W of at least 12 x 12; batch 1",
    outputs_doc=(
        "offsets [1, 4, h, w] and face [1, h, w] with h = ceil((H - 2) / 2) - 4, w likewise; "
        "cell (i, j) is the 12 x 12 input window with top-left corner x = 2 j, y = 2 i: face is "
        "its face probability (softmax), offsets the corrections of the window's x0, y0, x1, y1 "
        "in units of its side (12 input pixels)"
    ),
)

RNET = NetSpec(
    key="rnet",
    title="MTCNN R-Net (refinement network)",
    module=RNet,
    output_file="mtcnn-rnet.onnx",
    input_shape=("N", 3, 24, 24),
    outputs={"offsets": ("N", 4), "face": ("N",)},
    dynamic_axes={"input": {0: "N"}, "offsets": {0: "N"}, "face": {0: "N"}},
    input_size_doc="24x24, a square crop resized; dynamic batch N",
    outputs_doc=(
        "offsets [N, 4]: corrections of the crop's x0, y0, x1, y1 as fractions of its side; "
        "face [N]: the probability (softmax) that the crop holds a face"
    ),
)

ONET = NetSpec(
    key="onet",
    title="MTCNN O-Net (output network, with five landmarks)",
    module=ONet,
    output_file="mtcnn-onet.onnx",
    input_shape=("N", 3, 48, 48),
    outputs={"offsets": ("N", 4), "points": ("N", 10), "face": ("N",)},
    dynamic_axes={
        "input": {0: "N"},
        "offsets": {0: "N"},
        "points": {0: "N"},
        "face": {0: "N"},
    },
    input_size_doc="48x48, a square crop resized; dynamic batch N",
    outputs_doc=(
        "offsets [N, 4]: corrections of the crop's x0, y0, x1, y1 as fractions of its side; "
        "points [N, 10]: five landmarks (as seen in the image: left eye, right eye, nose tip, "
        "left mouth corner, right mouth corner), first their five x, then their five y, as "
        "fractions 0..1 of the crop's width and height from its top-left corner; face [N]: the "
        "probability (softmax) that the crop holds a face"
    ),
)

NETS = (PNET, RNET, ONET)

CHANGES = (
    "the PyTorch state dict loaded into networks with the same layers and exported to ONNX "
    "(TorchScript exporter); the two-way softmax reduced to the probability of the face class; "
    "outputs renamed (input, offsets, points, face); weights unchanged (float32)"
)


# -- reading the wheel ----------------------------------------------------------------------


@dataclass
class Wheel:
    """What the conversion takes from the wheel."""

    path: Path
    sha256: str
    version: str
    weights: dict[str, bytes]  # by NetSpec.key
    license_text: str


def read_wheel(path: Path) -> Wheel:
    """The three state dicts and the licence from a facenet-pytorch wheel, each member checked
    against the hash the wheel's ``RECORD`` gives for it."""
    try:
        data = path.read_bytes()
    except OSError as err:
        hint = f"get it with: pip download --no-deps {PACKAGE}==2.6.0 -d DIR"
        raise ConversionError(f"{path}: cannot read the wheel ({err.strerror}); {hint}") from err
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise ConversionError(f"{path}: expected a wheel (a zip archive), got {err}") from err

    with archive:
        names = archive.namelist()
        dist_info = sorted(
            {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        )
        if len(dist_info) != 1 or not dist_info[0].startswith("facenet_pytorch-"):
            raise ConversionError(
                f"{path}: expected one facenet_pytorch-*.dist-info folder, got {dist_info or 'none'}"
            )
        info = dist_info[0]
        record = _read_member(archive, path, f"{info}/RECORD").decode("utf-8")
        hashes = {}
        for line in record.splitlines():
            parts = line.rsplit(",", 2)
            if len(parts) == 3 and parts[1].startswith("sha256="):
                hashes[parts[0]] = parts[1].removeprefix("sha256=")
        metadata = _read_member(archive, path, f"{info}/METADATA").decode("utf-8")
        version = re.search(r"^Version: *(\S+)", metadata, re.MULTILINE)
        weights = {}
        for spec in NETS:
            member = _read_member(archive, path, spec.weights_file)
            want = hashes.get(spec.weights_file)
            got = base64.urlsafe_b64encode(hashlib.sha256(member).digest()).rstrip(b"=").decode()
            if want != got:
                raise ConversionError(
                    f"{path}: {spec.weights_file} does not match the wheel's RECORD: expected "
                    f"sha256={want}, got sha256={got}"
                )
            weights[spec.key] = member
        license_text = _read_member(archive, path, f"{info}/LICENSE.md").decode("utf-8")

    return Wheel(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        version=version.group(1) if version else "unknown",
        weights=weights,
        license_text=license_text.strip(),
    )


def _read_member(archive: zipfile.ZipFile, path: Path, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError as err:
        raise ConversionError(f"{path}: the wheel holds no {name}") from err
    except (zipfile.BadZipFile, OSError) as err:
        raise ConversionError(f"{path}: cannot read {name} from the wheel: {err}") from err


def load_net(spec: NetSpec, weights: bytes, wheel_path: Path) -> nn.Module:
    """``spec``'s network in eval mode with the state dict ``weights`` (every key, every shape)."""
    where = f"{wheel_path}: {spec.weights_file}"
    try:
        state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    except Exception as err:  # torch.load raises many kinds (pickle, zip, runtime)
        raise ConversionError(f"{where}: cannot load the state dict: {err}") from err
    if not isinstance(state, dict):
        raise ConversionError(f"{where}: expected a state dict, got {type(state).__name__}")
    net = spec.module()
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ConversionError(
            f"{where}: the weights do not fit {spec.module.__name__}: {err}"
        ) from err
    floats = {str(t.dtype) for t in state.values()}
    if floats != {"torch.float32"}:
        raise ConversionError(f"{where}: expected float32 weights, got {sorted(floats)}")
    return net.eval()


# -- export ---------------------------------------------------------------------------------


def to_onnx(spec: NetSpec, net: nn.Module):
    """``net`` behind :class:`FaceOnly` as an ``onnx.ModelProto`` with the spec's I/O names."""
    import onnx

    example_shape = [12 if isinstance(d, str) else d for d in spec.input_shape]
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            FaceOnly(net).eval(),
            (torch.zeros(example_shape),),
            buffer,
            dynamo=False,
            opset_version=OPSET,
            input_names=["input"],
            output_names=list(spec.outputs),
            dynamic_axes=spec.dynamic_axes,
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
        )
    model = onnx.load_from_string(buffer.getvalue())
    model.graph.name = Path(spec.output_file).stem
    return model


def check_structure(model, spec: NetSpec) -> None:
    """Raises ConversionError unless the model is valid ONNX at :data:`OPSET` with float32
    weights and exactly the input and outputs of ``spec``."""
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as err:
        raise ConversionError(f"{spec.output_file}: the ONNX model is invalid: {err}") from err

    def describe(values) -> dict[str, tuple[int, tuple[int | str, ...]]]:
        return {
            v.name: (
                v.type.tensor_type.elem_type,
                tuple(d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim),
            )
            for v in values
        }

    float32 = onnx.TensorProto.FLOAT
    want_inputs = {"input": (float32, spec.input_shape)}
    want_outputs = {name: (float32, shape) for name, shape in spec.outputs.items()}
    got_inputs, got_outputs = describe(model.graph.input), describe(model.graph.output)
    if got_inputs != want_inputs or got_outputs != want_outputs:
        raise ConversionError(
            f"{spec.output_file}: expected inputs {want_inputs} and outputs {want_outputs}, "
            f"got {got_inputs} and {got_outputs}"
        )
    opsets = {o.domain: o.version for o in model.opset_import}
    if opsets.get("", opsets.get("ai.onnx")) != OPSET:
        raise ConversionError(f"{spec.output_file}: expected opset {OPSET}, got {opsets}")
    types = {t.name: t.data_type for t in model.graph.initializer if t.data_type != float32}
    if types:
        raise ConversionError(f"{spec.output_file}: expected float32 weights, got {types}")


def add_metadata(
    model, spec: NetSpec, wheel: Wheel, parity: dict[str, float], inputs: str, command: str
) -> None:
    """Stores provenance, licence, input format and the parity check in ``metadata_props``."""
    low, high = ((0 - INPUT_MEAN) * INPUT_SCALE, (255 - INPUT_MEAN) * INPUT_SCALE)
    props = {
        "model": spec.title,
        "source_package": PACKAGE,
        "source_package_version": wheel.version,
        "source_container": wheel.path.name,
        "source_container_sha256": wheel.sha256,
        "source_file": spec.weights_file,
        "source_sha256": hashlib.sha256(wheel.weights[spec.key]).hexdigest(),
        "weights_origin": WEIGHTS_ORIGIN,
        "license": LICENSE,
        "copyright": "Copyright (c) 2019 Timothy Esler",
        "license_text": wheel.license_text,
        "changes": CHANGES,
        "input_size": spec.input_size_doc,
        "input_layout": "NCHW (rows are image y)",
        "input_colour": "RGB",
        "input_range": json.dumps([low, high]),
        "input_normalisation": f"(v - {INPUT_MEAN:g}) / {1 / INPUT_SCALE:g} for v in 0..255",
        "outputs": spec.outputs_doc,
        "converter": f"torch {torch.__version__} (TorchScript ONNX exporter), opset {OPSET}",
        "conversion_command": command,
        "check_max_abs_diff_vs_pytorch": json.dumps(
            {k: float(f"{v:.3g}") for k, v in parity.items()}
        ),
        "check_limit": f"|onnx - pytorch| <= {PARITY_LIMIT:g} for every output value",
        "check_inputs": inputs,
    }
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.doc_string = (
        f"{spec.title}, converted from {spec.weights_file} of {PACKAGE} {wheel.version}"
    )


# -- runners --------------------------------------------------------------------------------

Runner = Callable[[np.ndarray], dict[str, np.ndarray]]


def torch_runner(spec: NetSpec, net: nn.Module) -> Runner:
    """Runs the PyTorch network; outputs by ONNX name, ``face`` being probability column 1."""

    def run(batch: np.ndarray) -> dict[str, np.ndarray]:
        with torch.inference_mode():
            *rest, probabilities = net(torch.from_numpy(batch))
        values = [t.numpy() for t in rest] + [probabilities[:, 1].numpy()]
        return dict(zip(spec.outputs, values, strict=True))

    return run


def onnx_runner(model: bytes) -> Runner:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]

    def run(batch: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(names, session.run(names, {"input": batch}), strict=True))

    return run


# -- a detection cascade, to get real inputs for R-Net and O-Net ------------------------------


def to_input(image: Image.Image) -> np.ndarray:
    """An image as the float32 [1, 3, H, W] network input."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    return ((rgb - INPUT_MEAN) * INPUT_SCALE).transpose(2, 0, 1)[np.newaxis].copy()


def crop_inputs(image: Image.Image, boxes: np.ndarray, size: int) -> np.ndarray:
    """The boxes (x0, y0, x1, y1 in source pixels) cut out, black outside the image, and
    resized to ``size`` by area averaging: float32 [K, 3, size, size]."""
    crops = []
    for x0, y0, x1, y1 in np.round(boxes[:, :4]).astype(int):
        region = (x0, y0, max(x1, x0 + 1), max(y1, y0 + 1))
        crop = image.crop(region).resize((size, size), Image.Resampling.BOX)
        crops.append(to_input(crop)[0])
    return np.stack(crops)


def pyramid_scales(width: int, height: int, min_face: float, factor: float) -> list[float]:
    """Scales at which P-Net's 12-pixel window covers faces from ``min_face`` pixels up."""
    scale = 12.0 / min_face
    scales = []
    while min(width, height) * scale >= 12:
        scales.append(scale)
        scale *= factor
    return scales


def nms(boxes: np.ndarray, scores: np.ndarray, limit: float, by_min: bool = False) -> np.ndarray:
    """Indices kept by greedy suppression, best score first: a box goes when its overlap with
    a kept one (intersection over union, or over the smaller box with ``by_min``) exceeds
    ``limit``."""
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    order = np.argsort(-scores, kind="stable")
    kept = []
    while order.size:
        best, rest = order[0], order[1:]
        kept.append(best)
        w = np.minimum(boxes[best, 2], boxes[rest, 2]) - np.maximum(boxes[best, 0], boxes[rest, 0])
        h = np.minimum(boxes[best, 3], boxes[rest, 3]) - np.maximum(boxes[best, 1], boxes[rest, 1])
        inter = np.clip(w, 0, None) * np.clip(h, 0, None)
        base = np.minimum(areas[best], areas[rest]) if by_min else areas[best] + areas[rest] - inter
        order = rest[inter <= limit * base]
    return np.asarray(kept, dtype=int)


def moved(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Boxes with their corners moved by ``offsets`` times their width and height."""
    size = np.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]] * 2, axis=1)
    return boxes + offsets * size


def squared(boxes: np.ndarray) -> np.ndarray:
    """Squares of the boxes' longer side around their centres."""
    half = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) / 2
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return np.stack([cx - half, cy - half, cx + half, cy + half], axis=1)


@dataclass(frozen=True)
class CascadeSettings:
    """MTCNN's usual settings: faces from 20 px, pyramid factor 0.709, stage thresholds."""

    min_face: float = 20.0
    factor: float = 0.709
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)


@dataclass
class Detection:
    """Faces found (boxes x0, y0, x1, y1 and points [K, 5, 2] in source pixels) and every input
    each network was given on the way, by NetSpec.key."""

    boxes: np.ndarray
    scores: np.ndarray
    points: np.ndarray
    inputs: dict[str, list[np.ndarray]] = field(default_factory=dict)


def detect(image: Image.Image, nets: dict[str, Runner], settings: CascadeSettings) -> Detection:
    """The three-stage MTCNN cascade on ``image`` with the given runners."""
    inputs: dict[str, list[np.ndarray]] = {"pnet": [], "rnet": [], "onet": []}
    empty = Detection(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2)), inputs)
    width, height = image.size
    p_limit, r_limit, o_limit = settings.thresholds

    # Stage 1: P-Net over the pyramid; every cell above the threshold proposes its window.
    proposals = []
    for scale in pyramid_scales(width, height, settings.min_face, settings.factor):
        size = (max(12, math.ceil(width * scale)), max(12, math.ceil(height * scale)))
        level = to_input(image.resize(size, Image.Resampling.BOX))
        inputs["pnet"].append(level)
        out = nets["pnet"](level)
        rows, cols = np.nonzero(out["face"][0] >= p_limit)
        sx, sy = size[0] / width, size[1] / height
        windows = np.stack(
            [2 * cols / sx, 2 * rows / sy, (2 * cols + 12) / sx, (2 * rows + 12) / sy], 1
        )
        scores = out["face"][0, rows, cols]
        offsets = out["offsets"][0][:, rows, cols].T
        keep = nms(windows, scores, 0.5)
        proposals.append(np.concatenate([windows, scores[:, None], offsets], 1)[keep])
    proposals = np.concatenate(proposals) if proposals else np.zeros((0, 9))
    proposals = proposals[nms(proposals[:, :4], proposals[:, 4], 0.7)]
    if not len(proposals):
        return empty
    boxes = squared(moved(proposals[:, :4], proposals[:, 5:9]))

    # Stage 2: R-Net on 24 px crops rejects and refines.
    crops = crop_inputs(image, boxes, 24)
    inputs["rnet"].append(crops)
    out = nets["rnet"](crops)
    passed = out["face"] > r_limit
    boxes, scores, offsets = boxes[passed], out["face"][passed], out["offsets"][passed]
    keep = nms(boxes, scores, 0.7)
    if not len(keep):
        return empty
    boxes = squared(moved(boxes[keep], offsets[keep]))

    # Stage 3: O-Net on 48 px crops rejects, refines and places the landmarks.
    crops = crop_inputs(image, boxes, 48)
    inputs["onet"].append(crops)
    out = nets["onet"](crops)
    passed = out["face"] > o_limit
    boxes, scores, offsets = boxes[passed], out["face"][passed], out["offsets"][passed]
    side = (boxes[:, 2:4] - boxes[:, 0:2])[:, None, :]
    fractions = out["points"][passed].reshape(-1, 2, 5).transpose(0, 2, 1)
    points = boxes[:, None, 0:2] + fractions * side
    boxes = moved(boxes, offsets)
    keep = nms(boxes, scores, 0.7, by_min=True)
    return Detection(boxes[keep], scores[keep], points[keep], inputs)


# -- the check ------------------------------------------------------------------------------


def parity_inputs(media_dir: Path, reference: dict[str, Runner]) -> tuple[dict, dict[str, str]]:
    """Per network a list of (label, batch) to compare on, and a one-line summary of each."""
    rng = np.random.default_rng(RANDOM_SEED)
    noise = {
        "pnet": [
            ("random 12x12", rng.uniform(-1, 1, (1, 3, 12, 12))),
            ("random 37x53", rng.uniform(-1, 1, (1, 3, 37, 53))),
        ],
        "rnet": [
            (f"random batch of {RANDOM_BATCH}", rng.uniform(-1, 1, (RANDOM_BATCH, 3, 24, 24)))
        ],
        "onet": [
            (f"random batch of {RANDOM_BATCH}", rng.uniform(-1, 1, (RANDOM_BATCH, 3, 48, 48)))
        ],
    }
    sets = {
        key: [(label, x.astype(np.float32)) for label, x in items] for key, items in noise.items()
    }

    first = open_image(media_dir, CHECK_PHOTOS[0])
    frame = to_input(first.resize(PNET_FRAME_SIZE, Image.Resampling.BOX))
    sets["pnet"].append((f"{CHECK_PHOTOS[0]} at {PNET_FRAME_SIZE[0]}x{PNET_FRAME_SIZE[1]}", frame))
    real = {"pnet": [], "rnet": [], "onet": []}
    for name in CHECK_PHOTOS:
        found = detect(open_image(media_dir, name), reference, CascadeSettings())
        for key, batches in found.inputs.items():
            for batch in batches:
                sets[key].append((f"{name} {key} input {tuple(batch.shape)}", batch))
                real[key].append(batch)
    for key in ("rnet", "onet"):
        if not real[key]:
            raise ConversionError(
                f"{media_dir}: the cascade on {', '.join(CHECK_PHOTOS)} gave {key} no crops to check on"
            )
        sets[key].append((f"first {key} crop alone", real[key][0][:1]))

    photos = ", ".join(CHECK_PHOTOS)
    summary = {
        "pnet": (
            f"{len(real['pnet'])} pyramid levels of the cascade on {photos}; {CHECK_PHOTOS[0]} "
            f"at {PNET_FRAME_SIZE[0]}x{PNET_FRAME_SIZE[1]}; random 12x12 and 37x53"
        ),
    }
    for key in ("rnet", "onet"):
        summary[key] = (
            f"{sum(len(b) for b in real[key])} crops of the cascade on {photos}, one batch per photo, "
            f"and the first crop alone; a random batch of {RANDOM_BATCH}"
        )
    return sets, summary


def compare(spec: NetSpec, items: list, reference: Runner, candidate: Runner) -> dict[str, float]:
    """Largest |ONNX - PyTorch| per output over ``items``; raises on a shape or type mismatch."""
    diff = {name: 0.0 for name in spec.outputs}
    for label, batch in items:
        want, got = reference(batch), candidate(batch)
        for name in spec.outputs:
            if got[name].shape != want[name].shape or got[name].dtype != np.float32:
                raise ConversionError(
                    f"{spec.output_file}: output {name} on {label}: expected float32 "
                    f"{want[name].shape}, got {got[name].dtype} {got[name].shape}"
                )
            error = float(np.abs(got[name].astype(np.float64) - want[name]).max(initial=0.0))
            diff[name] = max(diff[name], error)
    return diff


def compare_cascades(media_dir: Path, reference: dict, candidate: dict) -> list[str]:
    """One line per check photo on the two cascades' faces; raises when they differ."""
    lines = []
    for name in CHECK_PHOTOS:
        image = open_image(media_dir, name)
        want = detect(image, reference, CascadeSettings())
        got = detect(image, candidate, CascadeSettings())
        if len(want.boxes) != len(got.boxes):
            raise ConversionError(
                f"{media_dir / name}: the PyTorch cascade finds {len(want.boxes)} faces, the ONNX one {len(got.boxes)}"
            )
        apart = max(
            float(np.abs(want.boxes - got.boxes).max(initial=0.0)),
            float(np.abs(want.points - got.points).max(initial=0.0)),
        )
        if not apart <= CASCADE_LIMIT_PX:
            raise ConversionError(
                f"{media_dir / name}: the ONNX cascade's faces are up to {apart:.3g} px from PyTorch's (limit {CASCADE_LIMIT_PX:g})"
            )
        faces = ", ".join(
            f"[{', '.join(f'{v:.1f}' for v in box)}] p={score:.4f}"
            for box, score in zip(want.boxes, want.scores, strict=True)
        )
        lines.append(f"{name}: {len(want.boxes)} faces, ONNX within {apart:.2g} px: {faces}")
    return lines


# -- command line ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.face_models.convert_mtcnn",
        description="Convert MTCNN's P-Net, R-Net and O-Net from the facenet-pytorch wheel to ONNX.",
    )
    parser.add_argument(
        "--wheel",
        type=Path,
        required=True,
        help=f"the {PACKAGE} 2.6.0 wheel (pip download --no-deps {PACKAGE}==2.6.0 -d DIR)",
    )
    parser.add_argument(
        "--out",
        "--out-dir",
        dest="out",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="where the three .onnx files go (default: models)",
    )
    parser.add_argument(
        "--media",
        type=Path,
        default=DEFAULT_MEDIA_DIR,
        help="folder of the check photos (default: ../shared/media)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    shown_args = sys.argv[1:] if argv is None else argv
    command = shlex.join(
        [".venv/bin/python", "-m", "training.face_models.convert_mtcnn", *shown_args]
    )
    try:
        run(args, command)
    except ConversionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace, command: str) -> None:
    wheel = read_wheel(args.wheel)
    print(f"{args.wheel.name}: {PACKAGE} {wheel.version}, sha256 {wheel.sha256}")
    torch_nets = {spec.key: load_net(spec, wheel.weights[spec.key], args.wheel) for spec in NETS}
    reference = {spec.key: torch_runner(spec, torch_nets[spec.key]) for spec in NETS}

    models = {}
    for spec in NETS:
        model = to_onnx(spec, torch_nets[spec.key])
        check_structure(model, spec)
        models[spec.key] = model
    candidate = {key: onnx_runner(model.SerializeToString()) for key, model in models.items()}

    sets, summary = parity_inputs(args.media, reference)
    finished = []
    for spec in NETS:
        diff = compare(spec, sets[spec.key], reference[spec.key], candidate[spec.key])
        shown = ", ".join(f"{name} {value:.3g}" for name, value in diff.items())
        print(f"{spec.output_file}: max |onnx - pytorch| {shown} ({summary[spec.key]})")
        over = {name: value for name, value in diff.items() if not value <= PARITY_LIMIT}
        if over:
            raise ConversionError(
                f"{spec.output_file}: ONNX and PyTorch differ by more than {PARITY_LIMIT:g} in {over}; nothing written"
            )
        add_metadata(models[spec.key], spec, wheel, diff, summary[spec.key], command)
        finished.append((spec, models[spec.key].SerializeToString()))
    for line in compare_cascades(args.media, reference, candidate):
        print(f"cascade on {line}")

    # Write only once all three have passed, so models/ never holds a mixed set.
    for spec, data in finished:
        path = args.out / spec.output_file
        write_atomically(path, data)
        print(f"wrote {path} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")


if __name__ == "__main__":
    sys.exit(main())
