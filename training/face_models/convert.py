"""Converts MediaPipe's short-range face detector and face mesh from TFLite to ONNX.

Both models come out of ``@mediapipe/face_mesh`` in ``node_modules``: its packed-assets blob holds
the ``.tflite`` files and its loader script says where each one lies (see :mod:`.packed_assets`).
Each model is converted with tf2onnx, keeping the NHWC input the TFLite model declares, then run
side by side with ``tf.lite.Interpreter`` on real photos from ``../shared/media``; the largest
absolute difference of every output is printed and stored in the ONNX file's metadata. Only when
every difference is within tolerance is the model written, atomically, to ``models/``.

Run from the repository root (TensorFlow and tf2onnx are only in ``.venv-convert``)::

    .venv-convert/bin/python -m training.face_models.convert

Outputs (names as the TypeScript runners find them, by shape):

- ``face-detector.onnx``: input ``input`` [1, 128, 128, 3] RGB in -1..1; outputs ``regressors``
  [1, 896, 16] (box centre offset, size and six keypoints per anchor, in input pixels) and
  ``classificators`` [1, 896, 1] (one face logit per anchor).
- ``face-landmarks.onnx``: input ``input`` [1, 192, 192, 3] RGB in 0..1; outputs ``landmarks``
  [1, 1, 1, 1404] (468 x, y, z in crop pixels) and ``face_presence`` [1, 1, 1, 1] (a logit).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .packed_assets import PackedAssetsError, parse_loader, read_packed_file

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PACKAGE_DIR = REPO_ROOT / "node_modules" / "@mediapipe" / "face_mesh"
DEFAULT_MEDIA_DIR = REPO_ROOT.parent / "shared" / "media"
DEFAULT_OUT_DIR = REPO_ROOT / "models"
DEFAULT_OPSET = 13

LOADER_SCRIPT = "face_mesh_solution_packed_assets_loader.js"
DATA_BLOB = "face_mesh_solution_packed_assets.data"

# Photos the conversion is checked on: whole frames for the detector, faces cropped from them
# for the mesh (found by the TFLite detector, or taken from dlib's boxes in the XML files).
CHECK_FRAMES = (
    "obama-720p.jpg",
    "two_people.jpg",
    "dlib-faces/2008_002506.jpg",
    "dlib-faces/2009_004587.jpg",
    "dlib-faces/2008_001322.jpg",
    "dlib-faces/dogs.jpg",
)
DLIB_BOX_FILES = (
    "dlib-faces/testing_with_face_landmarks.xml",
    "dlib-faces/training_with_face_landmarks.xml",
)
DLIB_CHECK_IMAGES = ("2008_002506.jpg", "2009_004587.jpg", "2008_001322.jpg", "2008_001009.jpg")

# The mesh crop is the face box enlarged by MediaPipe's factor (see src/core/landmarks/roi.ts).
MESH_ROI_SCALE = 1.5
# A detector crop around a dlib box, so that the face fills about 40 % of the 128 px input.
DETECTOR_CROP_SCALE = 2.5

# ONNX and TFLite agree when |ONNX - TFLite| <= ATOL + RTOL * |TFLite| for every output value
# (numpy.allclose's rule). ATOL is in the outputs' own units, input pixels or logits: 1e-3 px
# moves nothing visible and 1e-3 in a logit moves a score by under 2.5e-4. RTOL covers the
# huge values (|logit| up to ~3e4) the detector gives anchors over flat black (letterbox bars), where one
# float32 rounding step is already ~2e-3. Re-ordered float32 sums stay well inside; a wrong op,
# layout or weight does not.
ATOL = 1e-3
RTOL = 1e-5


@dataclass(frozen=True)
class ModelSpec:
    """One model to convert: where it comes from, how it is fed, what it must output."""

    output_file: str
    source_basename: str
    title: str
    input_size: int
    # The values RGB 0 and 255 become at the model's input.
    input_range: tuple[float, float]
    # TFLite tensor name -> ONNX name; names not listed are kept.
    rename: dict[str, str]
    # ONNX output name -> shape the runners expect.
    outputs: dict[str, tuple[int, ...]]
    outputs_doc: str


DETECTOR = ModelSpec(
    output_file="face-detector.onnx",
    source_basename="face_detection_short_range.tflite",
    title="MediaPipe short-range face detector (BlazeFace)",
    input_size=128,
    input_range=(-1.0, 1.0),
    rename={},
    outputs={"regressors": (1, 896, 16), "classificators": (1, 896, 1)},
    outputs_doc=(
        "regressors [1, 896, 16]: per SSD anchor, box centre offset x, y and size w, h, then six "
        "keypoints (subject's right eye, left eye, nose tip, mouth, right ear tragion, left ear "
        "tragion) as x, y offsets, all in input pixels relative to the anchor centre; "
        "classificators [1, 896, 1]: per anchor a face logit (sigmoid gives the score)"
    ),
)

MESH = ModelSpec(
    output_file="face-landmarks.onnx",
    source_basename="face_landmark.tflite",
    title="MediaPipe face mesh (468 landmarks)",
    input_size=192,
    input_range=(0.0, 1.0),
    rename={"input_1": "input", "conv2d_21": "landmarks", "conv2d_31": "face_presence"},
    outputs={"landmarks": (1, 1, 1, 1404), "face_presence": (1, 1, 1, 1)},
    outputs_doc=(
        "landmarks [1, 1, 1, 1404]: 468 points as x, y, z in pixels of the 192 x 192 crop (z "
        "relative to the face centre, same scale as x, larger is farther); face_presence "
        "[1, 1, 1, 1]: a logit that the crop shows a face (sigmoid gives the probability)"
    ),
)

MODELS = (DETECTOR, MESH)


class ConversionError(RuntimeError):
    """The conversion cannot go on; the message says what failed and where."""


@dataclass
class CheckInput:
    """One preprocessed model input and where it came from."""

    label: str
    tensor: np.ndarray  # float32 [1, size, size, 3]


@dataclass
class CheckResult:
    """Per output, over all check inputs: the largest |ONNX - TFLite|, the largest share of the
    tolerance used (|ONNX - TFLite| / (ATOL + RTOL |TFLite|), at most 1 to pass) and the largest
    |TFLite|."""

    max_abs_diff: dict[str, float]
    tolerance_used: dict[str, float]
    max_abs_value: dict[str, float]
    inputs: list[str]


# -- preprocessing --------------------------------------------------------------------------


def to_tensor(image: Image.Image, value_range: tuple[float, float]) -> np.ndarray:
    """An RGB image as a float32 [1, H, W, 3] tensor with 0..255 mapped onto ``value_range``."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    low, high = value_range
    return (rgb * ((high - low) / 255.0) + low)[np.newaxis]


def letterbox(image: Image.Image, size: int) -> tuple[Image.Image, float, float, float]:
    """The image scaled to fit a black ``size`` square, centred; returns it with the
    square-to-source map (scale, x offset, y offset): source = square * scale + offset."""
    scale = max(image.width, image.height) / size
    width = max(1, round(image.width / scale))
    height = max(1, round(image.height / scale))
    square = Image.new("RGB", (size, size))
    left = (size - width) // 2
    top = (size - height) // 2
    square.paste(
        image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR), (left, top)
    )
    return square, scale, -left * scale, -top * scale


def square_crop(
    image: Image.Image, box: tuple[float, float, float, float], scale: float, size: int
) -> Image.Image:
    """The square of side ``scale`` x the box's longer side, centred on the box (x, y, w, h),
    resized to ``size``; parts outside the image are black."""
    x, y, w, h = box
    side = max(w, h) * scale
    cx = x + w / 2
    cy = y + h / 2
    region = (
        round(cx - side / 2),
        round(cy - side / 2),
        round(cx + side / 2),
        round(cy + side / 2),
    )
    return image.convert("RGB").crop(region).resize((size, size), Image.Resampling.BILINEAR)


def read_dlib_boxes(media_dir: Path) -> dict[str, list[tuple[float, float, float, float]]]:
    """Face boxes (x, y, w, h) per image file name from dlib's landmark XML files."""
    image_tag = re.compile(r"<image file='([^']+)'[^>]*>(.*?)</image>", re.DOTALL)
    box_tag = re.compile(r"<box top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)'")
    boxes: dict[str, list[tuple[float, float, float, float]]] = {}
    for name in DLIB_BOX_FILES:
        text = read_media(media_dir, name).decode("latin-1")
        for file, body in image_tag.findall(text):
            for top, left, width, height in box_tag.findall(body):
                boxes.setdefault(file, []).append(
                    (float(left), float(top), float(width), float(height))
                )
    return boxes


def read_media(media_dir: Path, name: str) -> bytes:
    path = media_dir / name
    try:
        return path.read_bytes()
    except OSError as err:
        raise ConversionError(
            f"{path}: cannot read check media ({err.strerror}); pass --media"
        ) from err


def open_image(media_dir: Path, name: str) -> Image.Image:
    path = media_dir / name
    try:
        image = Image.open(path)
        image.load()
    except (OSError, ValueError) as err:
        raise ConversionError(f"{path}: cannot read check image ({err}); pass --media") from err
    return image.convert("RGB")


# -- a minimal detector decode, to find faces for the mesh checks -----------------------------


def detector_anchors(size: int) -> np.ndarray:
    """Anchor centres (normalised) of the short-range detector, in output order: a 16 x 16 grid
    with 2 anchors a cell, then an 8 x 8 grid with 6 (as src/core/detector/anchors.ts)."""
    centres = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = size // stride
        for y in range(cells):
            for x in range(cells):
                centres += [((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell
    return np.asarray(centres, dtype=np.float64)


def detect_faces(
    regressors: np.ndarray,
    logits: np.ndarray,
    size: int,
    min_score: float = 0.5,
    iou_limit: float = 0.3,
) -> list[tuple[float, float, float, float]]:
    """Boxes (x, y, w, h in input pixels) of confident anchors after greedy suppression."""
    anchors = detector_anchors(size)
    reg = regressors.reshape(-1, 16).astype(np.float64)
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100, 100)))
    if len(anchors) != len(reg):
        raise ConversionError(f"detector: expected {len(anchors)} anchors, got {len(reg)} outputs")
    cx = reg[:, 0] + anchors[:, 0] * size
    cy = reg[:, 1] + anchors[:, 1] * size
    boxes = np.stack([cx - reg[:, 2] / 2, cy - reg[:, 3] / 2, reg[:, 2], reg[:, 3]], axis=1)
    kept: list[np.ndarray] = []
    for i in np.argsort(-scores):
        if scores[i] < min_score:
            break
        if all(_iou(boxes[i], k) <= iou_limit for k in kept):
            kept.append(boxes[i])
    return [tuple(float(v) for v in b) for b in kept]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


# -- check inputs ---------------------------------------------------------------------------


def detector_inputs(media_dir: Path, boxes: dict[str, list]) -> Iterator[CheckInput]:
    """Whole frames letterboxed to 128 px, then dlib faces cropped with room around them."""
    size = DETECTOR.input_size
    for name in CHECK_FRAMES:
        square, _, _, _ = letterbox(open_image(media_dir, name), size)
        yield CheckInput(f"{name} (letterboxed)", to_tensor(square, DETECTOR.input_range))
    for name in DLIB_CHECK_IMAGES:
        image = open_image(media_dir, f"dlib-faces/{name}")
        for k, box in enumerate(boxes.get(name, [])):
            crop = square_crop(image, box, DETECTOR_CROP_SCALE, size)
            yield CheckInput(f"dlib-faces/{name} face {k}", to_tensor(crop, DETECTOR.input_range))


def mesh_inputs(
    media_dir: Path,
    boxes: dict[str, list],
    run_detector: Callable[[np.ndarray], dict[str, np.ndarray]],
) -> Iterator[CheckInput]:
    """Faces cropped to 192 px: found by the TFLite detector in the first two frames, and from
    dlib's boxes in the dlib images."""
    size = MESH.input_size
    for name in CHECK_FRAMES[:2]:
        image = open_image(media_dir, name)
        square, scale, dx, dy = letterbox(image, DETECTOR.input_size)
        out = run_detector(to_tensor(square, DETECTOR.input_range))
        faces = detect_faces(out["regressors"], out["classificators"], DETECTOR.input_size)
        if not faces:
            raise ConversionError(
                f"{media_dir / name}: the TFLite detector found no face to check the mesh on"
            )
        for k, (x, y, w, h) in enumerate(faces):
            box = (x * scale + dx, y * scale + dy, w * scale, h * scale)
            crop = square_crop(image, box, MESH_ROI_SCALE, size)
            yield CheckInput(f"{name} face {k}", to_tensor(crop, MESH.input_range))
    for name in DLIB_CHECK_IMAGES:
        image = open_image(media_dir, f"dlib-faces/{name}")
        for k, box in enumerate(boxes.get(name, [])):
            crop = square_crop(image, box, MESH_ROI_SCALE, size)
            yield CheckInput(f"dlib-faces/{name} face {k}", to_tensor(crop, MESH.input_range))


# -- runners --------------------------------------------------------------------------------


def tflite_runner(model: bytes) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Runs a TFLite model with TensorFlow's interpreter; outputs keyed by TFLite tensor name."""
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
        interpreter = tf.lite.Interpreter(model_content=model)
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    output_details = interpreter.get_output_details()

    def run(tensor: np.ndarray) -> dict[str, np.ndarray]:
        interpreter.set_tensor(input_detail["index"], tensor)
        interpreter.invoke()
        return {d["name"]: interpreter.get_tensor(d["index"]).copy() for d in output_details}

    return run


def onnx_runner(model: bytes) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    names = [o.name for o in session.get_outputs()]

    def run(tensor: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(names, session.run(names, {input_name: tensor})))

    return run


# -- conversion -----------------------------------------------------------------------------


def convert(tflite: bytes, spec: ModelSpec, opset: int):
    """The tf2onnx conversion of ``tflite`` with the spec's renames applied; an onnx.ModelProto."""
    import tf2onnx

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / spec.source_basename
        path.write_bytes(tflite)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
            try:
                model, _ = tf2onnx.convert.from_tflite(str(path), opset=opset)
            except Exception as err:  # tf2onnx raises bare Exceptions of many kinds
                raise ConversionError(
                    f"{spec.source_basename}: tf2onnx failed at opset {opset}: {err}"
                ) from err
    rename_values(model, spec.rename)
    canonicalise_names(model)
    model.graph.name = Path(spec.output_file).stem
    return model


def rename_values(model, renames: dict[str, str]) -> None:
    """Renames graph inputs, outputs and every node reference to them."""
    graph = model.graph
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        value.name = renames.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]


def canonicalise_names(model) -> None:
    """Renames every node, intermediate tensor and initializer by its place in the graph.

    tf2onnx's output is not reproducible as it stands: the tensors it adds are numbered
    (``pad_const__96``) by a counter whose order follows Python's per-process string hashing, and
    when it merges two identical TFLite ops (the mesh has two equal max-pools) which name survives
    varies too. Node ``i`` becomes ``<op>_<i>`` with outputs named after it, initializers become
    ``const_<k>`` in order of first use (and are stored in that order); the graph's inputs and
    outputs keep their names. The same TFLite file then always gives the same bytes.
    """
    graph = model.graph
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    names: dict[str, str] = {}
    initializers = {t.name for t in graph.initializer}
    first_use: dict[str, tuple[int, int]] = {}

    for index, node in enumerate(graph.node):
        for position, name in enumerate(node.input):
            first_use.setdefault(name, (index, position))
            if name in initializers and name not in names:
                names[name] = f"const_{sum(1 for n in names if n in initializers)}"
        node.name = f"{node.op_type}_{index}"
        for k, name in enumerate(node.output):
            if name not in keep:
                names[name] = node.name if len(node.output) == 1 else f"{node.name}:{k}"

    for node in graph.node:
        node.input[:] = [names.get(n, n) for n in node.input]
        node.output[:] = [names.get(n, n) for n in node.output]
    for value in graph.value_info:
        value.name = names.get(value.name, value.name)
    ordered = sorted(graph.initializer, key=lambda t: first_use.get(t.name, (len(graph.node), 0)))
    for tensor in ordered:
        tensor.name = names.get(tensor.name, tensor.name)
    del graph.initializer[:]
    graph.initializer.extend(ordered)


def check_structure(model, spec: ModelSpec) -> None:
    """Raises ConversionError unless the ONNX model has the input and outputs the runners expect."""
    import onnx

    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as err:
        raise ConversionError(f"{spec.source_basename}: the ONNX model is invalid: {err}") from err
    float32 = onnx.TensorProto.FLOAT

    def describe(values) -> dict[str, tuple[int, tuple]]:
        return {
            v.name: (
                v.type.tensor_type.elem_type,
                tuple(d.dim_value for d in v.type.tensor_type.shape.dim),
            )
            for v in values
        }

    inputs = describe(model.graph.input)
    outputs = describe(model.graph.output)
    want_input = (float32, (1, spec.input_size, spec.input_size, 3))
    if list(inputs.values()) != [want_input]:
        raise ConversionError(
            f"{spec.source_basename}: expected one float32 input [1, {spec.input_size}, {spec.input_size}, 3], got {inputs}"
        )
    want_outputs = {name: (float32, shape) for name, shape in spec.outputs.items()}
    if outputs != want_outputs:
        raise ConversionError(
            f"{spec.source_basename}: expected outputs {want_outputs}, got {outputs}"
        )


def compare(
    spec: ModelSpec,
    inputs: list[CheckInput],
    reference: Callable[[np.ndarray], dict[str, np.ndarray]],
    candidate: Callable[[np.ndarray], dict[str, np.ndarray]],
) -> CheckResult:
    """How far the ONNX model's outputs are from TFLite's on every check input, per output."""
    diff = {name: 0.0 for name in spec.outputs}
    used = {name: 0.0 for name in spec.outputs}
    peak = {name: 0.0 for name in spec.outputs}
    for item in inputs:
        want = {spec.rename.get(k, k): v for k, v in reference(item.tensor).items()}
        got = candidate(item.tensor)
        for name in spec.outputs:
            if want[name].shape != got[name].shape or got[name].dtype != np.float32:
                raise ConversionError(
                    f"{spec.output_file}: output {name} on {item.label}: expected float32 "
                    f"{want[name].shape}, got {got[name].dtype} {got[name].shape}"
                )
            error = np.abs(got[name].astype(np.float64) - want[name])
            diff[name] = max(diff[name], float(error.max()))
            share = error / (ATOL + RTOL * np.abs(want[name].astype(np.float64)))
            used[name] = max(used[name], float(share.max()))
            peak[name] = max(peak[name], float(np.abs(want[name]).max()))
    return CheckResult(diff, used, peak, [item.label for item in inputs])


def add_metadata(
    model, spec: ModelSpec, source: dict[str, str], check: CheckResult, command: str, converter: str
) -> None:
    """Stores provenance, licence, input format and the check's numbers in ``metadata_props``."""
    low, high = spec.input_range
    props = {
        "model": spec.title,
        "source_package": source["package"],
        "source_package_version": source["version"],
        "source_file": source["file"],
        "source_container": DATA_BLOB,
        "source_sha256": source["sha256"],
        "license": "Apache-2.0",
        "copyright": "Copyright Google LLC (The MediaPipe Authors)",
        "input_size": f"{spec.input_size}x{spec.input_size}",
        "input_layout": "NHWC",
        "input_colour": "RGB",
        "input_range": json.dumps([low, high]),
        "outputs": spec.outputs_doc,
        "converter": converter,
        "conversion_command": command,
        "check_max_abs_diff_vs_tflite": _rounded(check.max_abs_diff),
        "check_tolerance": f"|onnx - tflite| <= {ATOL:g} + {RTOL:g} * |tflite|",
        "check_inputs": json.dumps(check.inputs),
    }
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key = key
        entry.value = value
    model.doc_string = (
        f"{spec.title}, converted from {source['file']} of {source['package']} {source['version']}"
    )


def _rounded(values: dict[str, float]) -> str:
    return json.dumps({k: float(f"{v:.3g}") for k, v in values.items()})


def write_atomically(path: Path, data: bytes) -> None:
    """Writes ``data`` to a temporary file beside ``path``, then renames it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# -- command line ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.face_models.convert",
        description="Convert MediaPipe's face detector and face mesh from the npm package to ONNX.",
    )
    parser.add_argument(
        "--package-dir",
        type=Path,
        default=DEFAULT_PACKAGE_DIR,
        help="the @mediapipe/face_mesh package folder (default: node_modules/@mediapipe/face_mesh)",
    )
    parser.add_argument(
        "--media",
        type=Path,
        default=DEFAULT_MEDIA_DIR,
        help="folder of the check photos (default: ../shared/media)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="where the .onnx files go (default: models)",
    )
    parser.add_argument(
        "--opset",
        type=int,
        default=DEFAULT_OPSET,
        help=f"ONNX opset, 13..17 (default: {DEFAULT_OPSET})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 13 <= args.opset <= 17:
        parser.error(f"--opset: expected 13..17, got {args.opset}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    shown_args = sys.argv[1:] if argv is None else argv
    command = shlex.join(
        [".venv-convert/bin/python", "-m", "training.face_models.convert", *shown_args]
    )
    try:
        run(args, command)
    except (ConversionError, PackedAssetsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace, command: str) -> None:
    import tensorflow as tf
    import tf2onnx

    package_dir: Path = args.package_dir
    loader_path = package_dir / LOADER_SCRIPT
    data_path = package_dir / DATA_BLOB
    try:
        loader_text = loader_path.read_text(encoding="utf-8")
        package = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConversionError(
            f"{package_dir}: cannot read the package ({err}); run npm ci or pass --package-dir"
        ) from err
    assets = parse_loader(loader_text, str(loader_path))
    converter = f"tf2onnx {tf2onnx.__version__} (tensorflow {tf.__version__}), opset {args.opset}"
    boxes = read_dlib_boxes(args.media)

    tflite = {
        spec.source_basename: read_packed_file(data_path, assets, spec.source_basename)
        for spec in MODELS
    }
    detector_reference = tflite_runner(tflite[DETECTOR.source_basename])
    check_sets = {
        DETECTOR.output_file: list(detector_inputs(args.media, boxes)),
        MESH.output_file: list(mesh_inputs(args.media, boxes, detector_reference)),
    }

    finished = []
    for spec in MODELS:
        source_bytes = tflite[spec.source_basename]
        source = {
            "package": package.get("name", "@mediapipe/face_mesh"),
            "version": package.get("version", "unknown"),
            "file": assets.find(spec.source_basename).filename,
            "sha256": hashlib.sha256(source_bytes).hexdigest(),
        }
        print(
            f"{spec.output_file}: converting {source['file']} ({len(source_bytes)} bytes, sha256 {source['sha256']})"
        )
        model = convert(source_bytes, spec, args.opset)
        check_structure(model, spec)
        inputs = check_sets[spec.output_file]
        check = compare(
            spec, inputs, tflite_runner(source_bytes), onnx_runner(model.SerializeToString())
        )
        print(f"  checked on {len(inputs)} inputs from {args.media}")
        failures = []
        for name, diff in check.max_abs_diff.items():
            used = check.tolerance_used[name]
            print(
                f"  {name}: max abs diff {diff:.3g} (largest |value| {check.max_abs_value[name]:.4g}), "
                f"{100 * used:.3g} % of the tolerance {ATOL:g} + {RTOL:g} |value| used"
            )
            if not used <= 1.0:
                failures.append(f"{name} differs by up to {used:.3g} times the tolerance")
        if failures:
            raise ConversionError(
                f"{spec.output_file}: ONNX and TFLite disagree: {'; '.join(failures)}; nothing written"
            )
        add_metadata(model, spec, source, check, command, converter)
        finished.append((spec, model.SerializeToString()))

    # Write only once both models have passed, so models/ never holds a half-finished pair.
    for spec, data in finished:
        path = args.out_dir / spec.output_file
        write_atomically(path, data)
        print(f"wrote {path} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")


if __name__ == "__main__":
    sys.exit(main())
