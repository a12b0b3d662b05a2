"""``python -m training evaluate``: every reported number and figure from one model file.

The model is a checkpoint or an exported ONNX file.

Writes into the output folder, each file atomically:

- ``metrics.json``: accuracy, per-class recall and confusion matrix on PublicTest and PrivateTest,
  each with a single center crop and with ten crops, plus where the numbers came from;
- ``confusion-PublicTest.png`` and ``confusion-PrivateTest.png``;
- ``training-curve.png`` when a training history is found: ``history.jsonl`` beside the
  checkpoint, or the ``history`` entry of an ONNX file's metadata.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from . import evaluate, plots
from .data import Fer2013
from .labels import LABELS

METRICS_FILE = "metrics.json"


def _read_history(path: Path) -> list[dict]:
    history = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            history.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}, line {number}: not JSON ({err})") from None
    return history


def load_source(checkpoint: Path | None, onnx: Path | None) -> tuple[evaluate.Classifier, dict]:
    """The classifier and what is known of it: ``source``, ``recipe``, ``selected``, ``history``."""
    if (checkpoint is None) == (onnx is None):
        raise ValueError("give exactly one of --checkpoint and --onnx")
    if checkpoint is not None:
        from .train import load_checkpoint

        model, state = load_checkpoint(checkpoint)
        history_file = checkpoint.parent / "history.jsonl"
        info = {
            "source": {
                "kind": "checkpoint",
                "path": str(checkpoint),
                "sha256": evaluate.file_sha256(checkpoint),
            },
            "recipe": state["recipe"],
            "selected": state.get("selected"),
            "history": _read_history(history_file) if history_file.is_file() else [],
        }
        return model, info
    import onnx as onnx_lib

    from .export import graph_sha256

    classifier = evaluate.OnnxClassifier(onnx)
    meta = classifier.metadata
    labels = json.loads(meta.get("labels", "null"))
    if labels != list(LABELS):
        raise ValueError(f"{onnx}: metadata labels {labels} differ from {list(LABELS)}")
    info = {
        "source": {
            "kind": "onnx",
            "path": str(onnx),
            "sha256": evaluate.file_sha256(onnx),
            "bytes": onnx.stat().st_size,
            "precision": meta.get("precision", "unknown"),
            # What `export --metrics` checks: the same graph, whatever metadata it carries.
            "graph_sha256": graph_sha256(onnx_lib.load(onnx)),
            "checkpoint_sha256": meta.get("source_sha256"),
        },
        "recipe": json.loads(meta["recipe"]) if "recipe" in meta else None,
        "selected": json.loads(meta["selected"]) if "selected" in meta else None,
        "history": json.loads(meta["history"]) if "history" in meta else [],
    }
    return classifier, info


def run(
    classify: evaluate.Classifier,
    info: dict,
    data: Fer2013,
    data_path: Path,
    out_dir: Path,
    log: Callable[[str], None] = lambda line: print(line, flush=True),
) -> dict:
    """Evaluate, write metrics and figures into ``out_dir``, and return the metrics."""
    results = {}
    for split in ("PublicTest", "PrivateTest"):
        log(f"{split}: classifying {len(data[split])} faces, ten crops each")
        results |= evaluate.evaluate_splits(classify, data, (split,))
    metrics = {
        "source": info["source"],
        "protocol": evaluate.PROTOCOL,
        "data": {"path": str(data_path), "counts": {s: len(data[s]) for s in data.splits}},
        "labels": list(LABELS),
        "recipe": info["recipe"],
        "selected": info["selected"],
        **results,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    evaluate.write_json_atomic(out_dir / METRICS_FILE, metrics)
    for split, by_mode in results.items():
        plots.confusion_figure(split, by_mode, out_dir / f"confusion-{split}.png")
    if info["history"]:
        selected = (info["selected"] or {}).get("epoch")
        plots.training_curve_figure(info["history"], out_dir / "training-curve.png", selected)
    for split, by_mode in results.items():
        log(
            f"{split}: center {100 * by_mode['center']['accuracy']:.2f}% "
            f"ten-crop {100 * by_mode['ten_crop']['accuracy']:.2f}% "
            f"({by_mode['center']['count']} images)"
        )
    log(f"wrote {out_dir}")
    return metrics
