"""``python -m training export``: a checkpoint as the ONNX file the TypeScript classifier loads.

The graph (opset 17):

- input ``input``: float32 ``[N, 1, 44, 44]``, raw grey values 0..255 of the center 44x44 of a
  48x48 face crop framed like FER2013 (the network normalises them itself);
- output ``logits``: float32 ``[N, 7]``, unnormalised class scores in ``labels`` order
  (apply softmax for probabilities);
- ``N`` is dynamic. BatchNorm is folded into the convolutions (eval-mode export with constant
  folding).

Weights (``--weights``, default ``fp16``): with ``fp16`` every float32 initializer of more than
one value (the folded convolution weights and biases, the dense layer's) is stored as float16
and turned back into float32 by a ``Cast(to=FLOAT)`` node at the start of the graph, so the
file holds about 2 bytes per parameter while every operator still computes in float32; the two
normalisation scalars stay float32. ONNX Runtime folds the casts into constants when it creates
the session, so inference costs what the fp32 file's does. ``fp32`` stores every weight as
float32, about 4 bytes per parameter.

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
``precision``                  ``"fp32 compute, fp16-stored weights ..."`` (the default),
                               ``"fp32"`` (``--weights fp32``) or ``"int8 ..."`` (the quantized
                               variant)
``parameters``                 parameter count of the PyTorch model
``training_command``           the command that trained the checkpoint (the run's ``.cmd`` file)
``recipe``                     JSON of :class:`training.train.Recipe`
``selected``                   JSON ``{"accuracy", "epoch", "weights"}``: the PublicTest selection
``history``                    JSON list of the per-epoch records of ``history.jsonl``
``source_sha256``              SHA-256 of the checkpoint file
``parity_max_abs``             largest |ONNX - PyTorch| logit difference seen at export; for
                               fp16-stored weights the PyTorch side is the same network with
                               BatchNorm fused into the convolutions and every weight rounded
                               to float16 and back (not in the int8 variant)
``accuracy_public_center``     PublicTest accuracy, single center crop, a fraction 0..1
``accuracy_public_ten_crop``   PublicTest accuracy, ten crops (corners + center, mirrored)
``accuracy_private_center``    PrivateTest accuracy, single center crop
``accuracy_private_ten_crop``  PrivateTest accuracy, ten crops
``accuracy_source``            where the four accuracies were measured
=============================  ===================================================================

The accuracies come from ``--metrics`` and are absent without it: the ``metrics.json`` of
``python -m training evaluate`` either on the same checkpoint (checked by its SHA-256; with
fp16-stored weights those are the fp32 weights' accuracies), or on an ONNX file with the very
graph being written (checked by ``graph_sha256``, the SHA-256 of the serialized graph, which
holds the nodes and weights but not the metadata). The second way measures the shipped weights
themselves: export, ``evaluate --onnx`` the file, then export again with that ``metrics.json``.
The int8 variant carries no accuracies and no ``parity_max_abs``: measure it with
``python -m training evaluate --onnx``.
"""

from __future__ import annotations

import copy
import hashlib
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
WEIGHTS = ("fp16", "fp32")
FP16_PRECISION = "fp32 compute, fp16-stored weights (cast to float32 when the session loads)"
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


def accuracy_metadata(
    metrics_path: Path, checkpoint_sha256: str, graph_sha: str | None = None
) -> dict[str, str]:
    """The four accuracies of a ``metrics.json`` measured on this checkpoint or this graph.

    ``graph_sha`` is :func:`graph_sha256` of the graph being written; a ``metrics.json`` of
    ``evaluate --onnx`` is accepted only when its ``source.graph_sha256`` equals it.
    """
    try:
        metrics = json.loads(metrics_path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{metrics_path}: no such metrics file") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{metrics_path}: not JSON ({err})") from None
    source = metrics.get("source", {})
    if source.get("kind") == "onnx":
        measured = source.get("graph_sha256")
        if graph_sha is None or measured != graph_sha:
            raise ValueError(
                f"{metrics_path}: measured on {source.get('path', 'an ONNX file')} whose graph "
                f"(sha256 {str(measured)[:12]}...) is not the one being written "
                f"(sha256 {str(graph_sha)[:12]}...); export with the same checkpoint and "
                "--weights, run `python -m training evaluate --onnx` on that file, then export "
                "again with its metrics"
            )
        out = _accuracies(metrics)
        out["accuracy_source"] = (
            f"python -m training evaluate --onnx on this graph (graph sha256 {graph_sha[:12]}..., "
            f"weights of the checkpoint with sha256 {checkpoint_sha256[:12]}...)"
        )
        return out
    if source.get("sha256") != checkpoint_sha256:
        raise ValueError(
            f"{metrics_path}: measured on {source.get('path', 'an unknown file')} "
            f"(sha256 {str(source.get('sha256'))[:12]}...), not on this checkpoint "
            f"(sha256 {checkpoint_sha256[:12]}...); run `python -m training evaluate --checkpoint` "
            "on it first"
        )
    out = _accuracies(metrics)
    out["accuracy_source"] = (
        "python -m training evaluate on the PyTorch checkpoint "
        f"(sha256 {checkpoint_sha256[:12]}..., fp32 weights)"
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


def graph_sha256(proto) -> str:
    """SHA-256 of the serialized graph: nodes, initializers, inputs and outputs, no metadata."""
    return hashlib.sha256(proto.graph.SerializeToString()).hexdigest()


def _stored_as_fp16(values: np.ndarray) -> bool:
    """Whether a float32 weight is stored as float16: all but single values (the normalisation)."""
    return values.dtype == np.float32 and values.size > 1


def fp16_stored(proto):
    """A copy of ``proto`` that stores its float32 weights as float16 and computes in float32.

    Every initializer for which :func:`_stored_as_fp16` holds is replaced by a float16 one named
    ``<name>_fp16`` and a ``Cast(to=FLOAT)`` node, placed at the start of the graph, that
    outputs ``<name>``; the consumers, the input and the output are unchanged.
    """
    import onnx
    from onnx import helper, numpy_helper

    out = copy.deepcopy(proto)
    graph = out.graph
    kept, casts = [], []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        if not _stored_as_fp16(values):
            kept.append(tensor)
            continue
        with np.errstate(over="ignore"):  # an overflow becomes inf, refused just below
            half = values.astype(np.float16)
        if not np.isfinite(half).all():
            raise ExportError(
                f"initializer {tensor.name} holds values up to {np.abs(values).max():.3g}, beyond "
                "float16's range (65504); export it with --weights fp32"
            )
        stored = f"{tensor.name}_fp16"
        kept.append(numpy_helper.from_array(half, stored))
        casts.append(
            helper.make_node(
                "Cast",
                [stored],
                [tensor.name],
                name=f"Cast_{tensor.name}",
                to=onnx.TensorProto.FLOAT,
            )
        )
    nodes = casts + list(graph.node)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.node[:]
    graph.node.extend(nodes)
    return out


def fp16_rounded_reference(model: torch.nn.Module) -> torch.nn.Module:
    """The PyTorch twin of an fp16-stored export: BatchNorm fused, weights rounded to float16.

    Each Conv2d followed by a BatchNorm2d in a ``Sequential`` becomes one convolution
    (``torch.nn.utils.fusion.fuse_conv_bn_eval``, eval mode) and the BatchNorm an identity;
    then every parameter of more than one value is rounded to float16 and back, as
    :func:`fp16_stored` rounds the folded ONNX weights. ``model`` itself is left unchanged.
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    fused = copy.deepcopy(model).eval()
    for sequential in [m for m in fused.modules() if isinstance(m, torch.nn.Sequential)]:
        for i in range(len(sequential) - 1):
            conv, bn = sequential[i], sequential[i + 1]
            if isinstance(conv, torch.nn.Conv2d) and isinstance(bn, torch.nn.BatchNorm2d):
                sequential[i] = fuse_conv_bn_eval(conv, bn)
                sequential[i + 1] = torch.nn.Identity()
    left = [m for m in fused.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    if left:
        raise ExportError(f"{len(left)} BatchNorm layers do not follow a convolution")
    with torch.no_grad():
        for parameter in fused.parameters():
            if parameter.numel() > 1:
                parameter.copy_(parameter.half().float())
    return fused


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
    weights: str = "fp16",
) -> dict:
    """Export ``checkpoint`` to ``out``, and to ``<out stem>-int8.onnx`` with ``int8``.

    ``weights`` is ``"fp16"`` (float16-stored weights, float32 compute; see the module
    docstring) or ``"fp32"``. Before anything is renamed into place, on 2 x ``PARITY_IMAGES``
    real PublicTest crops and on a batch of one, the float32 graph is checked against the
    PyTorch model and, with ``"fp16"``, the fp16-stored graph against
    :func:`fp16_rounded_reference`: a largest logit difference above ``tolerance`` raises
    :class:`ExportError` and writes nothing. The int8 variant is quantized from the float32
    graph either way. Returns a summary with the paths, sizes and checks; with ``"fp16"`` it also
    holds ``fp16_vs_fp32_max_abs``, the largest logit change the rounding itself causes.
    """
    from .train import load_checkpoint

    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}")
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
        "precision": FP16_PRECISION if weights == "fp16" else "fp32",
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
    proto = to_onnx(model)
    parity_images = data["PublicTest"].images[:PARITY_IMAGES]
    if len(parity_images) == 0:
        raise ExportError("the dataset has no PublicTest images to check the export on")
    crops = f"{2 * len(parity_images)} PublicTest crops"
    difference = fp32_difference = parity_max_abs(model, proto.SerializeToString(), parity_images)
    if not difference <= tolerance:
        raise ExportError(
            f"{out}: ONNX logits differ from PyTorch by up to {difference:.3g} (limit {tolerance:g}) "
            f"on {crops}; nothing written"
        )
    shipped, rounding = proto, None
    if weights == "fp16":
        shipped = fp16_stored(proto)
        shipped_bytes = shipped.SerializeToString()
        difference = parity_max_abs(fp16_rounded_reference(model), shipped_bytes, parity_images)
        if not difference <= tolerance:
            raise ExportError(
                f"{out}: fp16-stored ONNX logits differ from the fp16-rounded PyTorch model by up "
                f"to {difference:.3g} (limit {tolerance:g}) on {crops}; nothing written"
            )
        rounding = parity_max_abs(model, shipped_bytes, parity_images)
    if metrics is not None:
        metadata |= accuracy_metadata(metrics, sha, graph_sha256(shipped))
    metadata["parity_max_abs"] = f"{difference:.3g}"
    set_metadata(shipped, metadata)
    import onnx

    onnx.checker.check_model(shipped)
    model_bytes = shipped.SerializeToString()
    evaluate.write_atomic(out, model_bytes)
    params = models.parameter_count(model)
    summary = {
        "path": str(out),
        "bytes": len(model_bytes),
        "weights": weights,
        "graph_sha256": graph_sha256(shipped),
        "parameters": params,
        "stored_floats": stored_floats(shipped),
        "bytes_per_parameter": len(model_bytes) / params,
        "parity_max_abs": difference,
        "fp32_graph_parity_max_abs": fp32_difference,
    }
    checks = f"ONNX vs PyTorch max |logit difference| {difference:.2g}"
    if rounding is not None:
        summary["fp16_vs_fp32_max_abs"] = rounding
        checks = (
            f"fp16-stored ONNX vs fp16-rounded PyTorch max |logit difference| {difference:.2g} "
            f"(fp32 graph vs PyTorch {fp32_difference:.2g}); the fp16 storage moves the logits of "
            f"the fp32 model by up to {rounding:.2g}"
        )
    log(
        f"wrote {out}: {len(model_bytes):,} bytes, {len(model_bytes) / 2**20:.2f} MiB "
        f"({summary['bytes_per_parameter']:.3f} bytes per parameter, {params} parameters, "
        f"{weights} weights); {checks}"
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
    """Static QDQ int8 copy of the fp32 ``proto``, calibrated on Training center crops.

    ``metadata`` is the main file's; its accuracies and parity are left out.
    """
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
