"""``python -m training export``: a checkpoint as the ONNX file the TypeScript classifier loads.

The graph (opset 17):

- input ``input``: float32 ``[N, 1, 44, 44]``, raw grey values 0..255 of the center 44x44 of a
  48x48 face crop framed like FER2013 (the network normalises them itself);
- output ``logits``: float32 ``[N, 7]``, unnormalised class scores in ``labels`` order
  (apply softmax for probabilities);
- ``N`` is dynamic. BatchNorm is folded into the convolutions (eval-mode export with constant
  folding), so the file holds about 4 bytes per parameter.

``metadata_props``, every key and value a plain string (JSON where noted):

=============================  ===================================================================
``model``                      architecture and width: ``"vgg_ba_small (width 1.0) FER2013 ..."``
``license``                    ``"Apache-2.0"`` (the project's licence for the weights)
``dataset``                    what the weights were trained on (FER2013 Training, research use)
``labels``                     JSON list of class names in output order (``training.labels.LABELS``)
``input_size``                 ``"44"``: side of the square crop the model reads, in pixels
``image_size``                 ``"48"``: side of the face crop the 44x44 crop is centered in
``crop``                       ``"center 44x44 of a 48x48 face crop framed like FER2013"``
``input_range``                ``"0..255"``: raw grey values, no scaling by the caller
``input_colour``               ``"grey"``: one channel
``input_layout``               ``"NCHW"``
``output``                     ``"logits"``: softmax not applied
``precision``                  ``"fp32"``, or ``"int8 ..."`` for the quantized variant
``parameters``                 parameter count of the PyTorch model
``training_command``           the command that trained the checkpoint (the run's ``.cmd`` file)
``recipe``                     JSON of :class:`training.train.Recipe`
``selected``                   JSON ``{"accuracy", "epoch", "weights"}``: the PublicTest selection
``history``                    JSON list of the per-epoch records of ``history.jsonl``
``source_sha256``              SHA-256 of the checkpoint file
``parity_max_abs``             largest |ONNX - PyTorch| logit difference seen at export (fp32 only)
``accuracy_public_center``     PublicTest accuracy, single center crop, a fraction 0..1
``accuracy_public_ten_crop``   PublicTest accuracy, ten crops (corners + center, mirrored)
``accuracy_private_center``    PrivateTest accuracy, single center crop
``accuracy_private_ten_crop``  PrivateTest accuracy, ten crops
``accuracy_source``            where the four accuracies were measured
=============================  ===================================================================

The accuracies come from ``--metrics`` (``metrics.json`` of ``python -m training evaluate`` on
the same checkpoint) and are absent without it. The int8 variant carries no accuracies and no
``parity_max_abs``: measure it with ``python -m training evaluate --onnx``.
"""

from __future__ import annotations

import io
import json
import shlex
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from . import evaluate, models
from .data import Fer2013
from .labels import CROP_SIZE, IMAGE_SIZE, LABELS

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
CROP_CONVENTION = (
    f"center {CROP_SIZE}x{CROP_SIZE} of a {IMAGE_SIZE}x{IMAGE_SIZE} face crop framed like FER2013"
)
DATASET = "FER2013 Training split (Goodfellow et al. 2013, Kaggle release; research use)"
PARITY_TOLERANCE = 1e-4
PARITY_IMAGES = 256
CALIBRATION_IMAGES = 1024


class ExportError(RuntimeError):
    """The exported graph is not what was promised; nothing was written."""


def training_command(checkpoint: Path, recipe: dict) -> str:
    """The command in ``runs/<name>.cmd`` beside the run folder, else an equivalent one."""
    run_dir = checkpoint.parent
    cmd_file = run_dir.parent / f"{run_dir.name}.cmd"
    if cmd_file.is_file():
        return cmd_file.read_text().strip()
    from .train import Recipe

    args = ["python", "-m", "training", "train", "--run-dir", str(run_dir)]
    for field in fields(Recipe):
        value = recipe[field.name]
        args += [
            "--" + field.name.replace("_", "-"),
            str(value).lower() if isinstance(value, bool) else str(value),
        ]
    return shlex.join(args)


def accuracy_metadata(metrics_path: Path, checkpoint_sha256: str) -> dict[str, str]:
    """The four accuracies of a ``metrics.json`` written for this very checkpoint."""
    try:
        metrics = json.loads(metrics_path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{metrics_path}: no such metrics file") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{metrics_path}: not JSON ({err})") from None
    source = metrics.get("source", {})
    if source.get("sha256") != checkpoint_sha256:
        raise ValueError(
            f"{metrics_path}: measured on {source.get('path', 'an unknown file')} "
            f"(sha256 {str(source.get('sha256'))[:12]}...), not on this checkpoint "
            f"(sha256 {checkpoint_sha256[:12]}...); run `python -m training evaluate --checkpoint` "
            "on it first"
        )
    out = _accuracies(metrics)
    out["accuracy_source"] = (
        f"python -m training evaluate on the PyTorch checkpoint (sha256 {checkpoint_sha256[:12]}...)"
    )
    return out


def _accuracies(metrics: dict) -> dict[str, str]:
    out = {}
    for split, key in (("PublicTest", "public"), ("PrivateTest", "private")):
        for mode in ("center", "ten_crop"):
            out[f"accuracy_{key}_{mode}"] = repr(float(metrics[split][mode]["accuracy"]))
    return out


def to_onnx(model: torch.nn.Module):
    """The eval-mode model as an ``onnx.ModelProto`` with BatchNorm folded and a dynamic batch."""
    import onnx

    model = model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            model,
            (torch.zeros(1, 1, CROP_SIZE, CROP_SIZE),),
            buffer,
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}},
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
        )
    proto = onnx.load_from_string(buffer.getvalue())
    left = sorted({n.op_type for n in proto.graph.node} & {"BatchNormalization", "Dropout"})
    if left:
        raise ExportError(f"the exported graph still holds {', '.join(left)} nodes")
    return proto


def stored_floats(proto) -> int:
    """Number of float values held by the graph's initializers and constants."""
    from onnx import numpy_helper

    count = sum(numpy_helper.to_array(t).size for t in proto.graph.initializer)
    for node in proto.graph.node:
        if node.op_type == "Constant":
            count += sum(
                numpy_helper.to_array(a.t).size for a in node.attribute if a.name == "value"
            )
    return int(count)


def set_metadata(proto, metadata: dict[str, str]) -> None:
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


def _session(model_bytes: bytes):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def parity_max_abs(model: torch.nn.Module, model_bytes: bytes, images: np.ndarray) -> float:
    """Largest |ONNX - PyTorch| logit over center crops and mirrored crops of ``images``.

    The ONNX model runs once on the whole batch and once on the first face alone, so a batch
    dimension that is not really dynamic fails here.
    """
    crops = evaluate.center_crop(torch.from_numpy(images))
    crops = torch.cat([crops, crops.flip(-1)])
    with torch.inference_mode():
        expected = model.eval()(crops).numpy()
    session = _session(model_bytes)
    got = session.run(None, {INPUT_NAME: crops.numpy()})[0]
    single = session.run(None, {INPUT_NAME: crops[:1].numpy()})[0]
    if got.shape != expected.shape or single.shape != (1, len(LABELS)):
        raise ExportError(
            f"ONNX output shapes {got.shape} and {single.shape} differ from PyTorch's {expected.shape}"
        )
    return float(max(np.abs(got - expected).max(), np.abs(single - expected[:1]).max()))


def export(
    checkpoint: Path,
    out: Path,
    data: Fer2013,
    metrics: Path | None = None,
    int8: bool = False,
    tolerance: float = PARITY_TOLERANCE,
    log: Callable[[str], None] = print,
) -> dict:
    """Export ``checkpoint`` to ``out``, and to ``<out stem>-int8.onnx`` with ``int8``.

    The fp32 file is checked against PyTorch on real PublicTest faces before it is renamed into
    place: a largest logit difference above ``tolerance`` raises :class:`ExportError` and writes
    nothing. Returns a summary with the paths, sizes and checks.
    """
    from .train import load_checkpoint

    model, state = load_checkpoint(checkpoint)
    sha = evaluate.file_sha256(checkpoint)
    recipe = state["recipe"]
    metadata = {
        "model": f"{recipe['arch']} (width {recipe['width']}) FER2013 expression classifier",
        "license": "Apache-2.0",
        "dataset": DATASET,
        "labels": json.dumps(list(LABELS)),
        "input_size": str(CROP_SIZE),
        "image_size": str(IMAGE_SIZE),
        "crop": CROP_CONVENTION,
        "input_range": "0..255",
        "input_colour": "grey",
        "input_layout": "NCHW",
        "output": "logits",
        "precision": "fp32",
        "parameters": str(models.parameter_count(model)),
        "training_command": training_command(checkpoint, state["recipe"]),
        "recipe": json.dumps(state["recipe"]),
        "selected": json.dumps(state.get("selected")),
        "source_sha256": sha,
    }
    history = checkpoint.parent / "history.jsonl"
    if history.is_file():
        records = [json.loads(line) for line in history.read_text().splitlines() if line.strip()]
        metadata["history"] = json.dumps(records)
    if metrics is not None:
        metadata |= accuracy_metadata(metrics, sha)

    proto = to_onnx(model)
    parity_images = data["PublicTest"].images[:PARITY_IMAGES]
    if len(parity_images) == 0:
        raise ExportError("the dataset has no PublicTest images to check the export on")
    difference = parity_max_abs(model, proto.SerializeToString(), parity_images)
    if not difference <= tolerance:
        raise ExportError(
            f"{out}: ONNX logits differ from PyTorch by up to {difference:.3g} (limit {tolerance:g}) "
            f"on {2 * len(parity_images)} PublicTest crops; nothing written"
        )
    metadata["parity_max_abs"] = f"{difference:.3g}"
    set_metadata(proto, metadata)
    import onnx

    onnx.checker.check_model(proto)
    model_bytes = proto.SerializeToString()
    evaluate.write_atomic(out, model_bytes)
    params = models.parameter_count(model)
    summary = {
        "path": str(out),
        "bytes": len(model_bytes),
        "parameters": params,
        "stored_floats": stored_floats(proto),
        "bytes_per_parameter": len(model_bytes) / params,
        "parity_max_abs": difference,
    }
    log(
        f"wrote {out}: {len(model_bytes) / 2**20:.2f} MiB ({summary['bytes_per_parameter']:.3f} bytes "
        f"per parameter, {params} parameters); ONNX vs PyTorch max |logit difference| {difference:.2g}"
    )
    if int8:
        summary["int8"] = export_int8(
            proto, out.with_name(f"{out.stem}-int8.onnx"), data, metadata, log
        )
    return summary


class _CalibrationReader:
    """Center crops of Training faces, a batch at a time, for static quantization."""

    def __init__(self, images: np.ndarray, batch_size: int = 64):
        crops = evaluate.center_crop(torch.from_numpy(images)).numpy()
        self.batches = iter([crops[i : i + batch_size] for i in range(0, len(crops), batch_size)])

    def get_next(self):
        batch = next(self.batches, None)
        return None if batch is None else {INPUT_NAME: batch}


def export_int8(proto, out: Path, data: Fer2013, metadata: dict[str, str], log=print) -> dict:
    """Static QDQ int8 copy of the fp32 ``proto``, calibrated on Training center crops."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    training = data["Training"]
    rng = np.random.default_rng(0)
    pick = rng.choice(len(training), size=min(CALIBRATION_IMAGES, len(training)), replace=False)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.stem}.") as tmp:
        fp32_path, int8_path = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        prepared = Path(tmp) / "prepared.onnx"
        onnx.save(proto, fp32_path)
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(int8_path),
            _CalibrationReader(training.images[np.sort(pick)]),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            calibrate_method=CalibrationMethod.MinMax,
        )
        quantized = onnx.load(int8_path)
    precision = (
        f"int8 (static QDQ, per-channel int8 weights, uint8 activations, MinMax calibration on "
        f"{len(pick)} Training center crops)"
    )
    meta = {k: v for k, v in metadata.items() if not k.startswith(("accuracy_", "parity_"))}
    meta["precision"] = precision
    set_metadata(quantized, meta)
    model_bytes = quantized.SerializeToString()

    # A sanity check only; the accuracies come from `python -m training evaluate --onnx`.
    crops = evaluate.center_crop(torch.from_numpy(data["PublicTest"].images[:PARITY_IMAGES]))
    reference = _session(proto.SerializeToString()).run(None, {INPUT_NAME: crops.numpy()})[0]
    got = _session(model_bytes).run(None, {INPUT_NAME: crops.numpy()})[0]
    agreement = float((got.argmax(1) == reference.argmax(1)).mean())
    evaluate.write_atomic(out, model_bytes)
    log(
        f"wrote {out}: {len(model_bytes) / 2**20:.2f} MiB; top-1 agreement with fp32 on "
        f"{len(crops)} PublicTest center crops {100 * agreement:.1f}%"
    )
    return {"path": str(out), "bytes": len(model_bytes), "agreement_with_fp32": agreement}
