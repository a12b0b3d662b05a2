"""Export: graph contract, metadata, BatchNorm folding, parity with PyTorch and atomic output."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from training import cli, evaluate, export, models
from training.labels import CROP_SIZE, LABELS
from training.train import load_checkpoint

from .conftest import tiny_checkpoint


def test_export_writes_a_folded_dynamic_batch_graph_with_its_metadata(small, tmp_path):
    checkpoint = tiny_checkpoint(tmp_path / "run-a" / "best.pt")
    (tmp_path / "run-a.cmd").write_text("python -m training train --run-dir run-a --width 0.125\n")
    out = tmp_path / "models" / "expression.onnx"
    summary = export.export(checkpoint, out, small.data, log=lambda _: None)

    proto = onnx.load(out)
    ops = {node.op_type for node in proto.graph.node}
    assert "BatchNormalization" not in ops and "Conv" in ops
    model, _ = load_checkpoint(checkpoint)
    bn_channels = sum(
        m.num_features for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)
    )
    # Folding trades BatchNorm's scale and shift for one bias per channel; +2 normalisation scalars.
    assert export.stored_floats(proto) == models.parameter_count(model) - bn_channels + 2
    assert summary["bytes"] == out.stat().st_size

    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["labels"]) == list(LABELS)
    assert (meta["input_size"], meta["image_size"], meta["input_range"]) == ("44", "48", "0..255")
    assert meta["crop"] == "center 44x44 of a 48x48 face crop framed like FER2013"
    assert meta["training_command"] == "python -m training train --run-dir run-a --width 0.125"
    assert json.loads(meta["recipe"])["width"] == 0.125
    assert "accuracy_private_center" not in meta, "no accuracies without --metrics"
    assert all(isinstance(v, str) for v in meta.values())

    # ONNX and PyTorch agree on faces the export did not check, at any batch size.
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (value,) = session.get_inputs()
    assert value.name == "input" and value.shape[1:] == [1, CROP_SIZE, CROP_SIZE]
    assert session.get_outputs()[0].shape[1:] == [len(LABELS)]
    crops = evaluate.center_crop(torch.from_numpy(small.data["PrivateTest"].images))
    with torch.inference_mode():
        expected = model(crops).numpy()
    for batch in (1, 5, len(crops)):
        got = session.run(None, {"input": crops[:batch].numpy()})[0]
        np.testing.assert_allclose(got, expected[:batch], atol=1e-4, rtol=0)


def test_export_writes_nothing_when_parity_fails(small, tmp_path):
    checkpoint = tiny_checkpoint(tmp_path / "run" / "best.pt")
    out = tmp_path / "models" / "expression.onnx"
    out.parent.mkdir()
    with pytest.raises(
        export.ExportError, match=r"expression\.onnx: ONNX logits differ from PyTorch"
    ):
        export.export(checkpoint, out, small.data, tolerance=-1.0, log=lambda _: None)
    assert list(out.parent.iterdir()) == []


def test_export_takes_accuracies_only_from_metrics_of_the_same_checkpoint(small, tmp_path):
    first = tiny_checkpoint(tmp_path / "one" / "best.pt", seed=1)
    second = tiny_checkpoint(tmp_path / "two" / "best.pt", seed=2)
    model, _ = load_checkpoint(first)
    results = evaluate.evaluate_splits(model, small.data)
    metrics = tmp_path / "metrics.json"
    metrics.write_text(
        json.dumps(
            {"source": {"path": str(first), "sha256": evaluate.file_sha256(first)}, **results}
        )
    )

    out = tmp_path / "expression.onnx"
    export.export(first, out, small.data, metrics=metrics, log=lambda _: None)
    meta = {p.key: p.value for p in onnx.load(out).metadata_props}
    assert float(meta["accuracy_private_center"]) == results["PrivateTest"]["center"]["accuracy"]
    assert float(meta["accuracy_public_ten_crop"]) == results["PublicTest"]["ten_crop"]["accuracy"]
    with pytest.raises(ValueError, match="not on this checkpoint"):
        export.export(
            second, tmp_path / "other.onnx", small.data, metrics=metrics, log=lambda _: None
        )
    assert not (tmp_path / "other.onnx").exists()


def test_int8_export_is_a_quarter_of_the_size_and_keeps_the_contract(small, tmp_path):
    checkpoint = tiny_checkpoint(tmp_path / "run" / "best.pt", width=0.25)
    out = tmp_path / "expression.onnx"
    summary = export.export(checkpoint, out, small.data, int8=True, log=lambda _: None)
    int8 = tmp_path / "expression-int8.onnx"
    assert summary["int8"]["path"] == str(int8)
    assert int8.stat().st_size < 0.3 * out.stat().st_size
    classifier = evaluate.OnnxClassifier(int8)
    assert classifier.metadata["precision"].startswith("int8")
    assert json.loads(classifier.metadata["labels"]) == list(LABELS)
    crops = evaluate.center_crop(torch.from_numpy(small.data["PublicTest"].images))
    assert classifier(crops).shape == (len(crops), len(LABELS))


def test_export_command_reports_a_missing_checkpoint(small, tmp_path, capsys):
    from .conftest import write_csv

    data = write_csv(small, tmp_path / "fer.csv")
    code = cli.main(["export", "--checkpoint", str(tmp_path / "gone.pt"), "--out", str(tmp_path / "x.onnx"),
                     "--data", str(data), "--allow-partial"])  # fmt: skip
    assert code == 1
    assert "gone.pt: no such checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()
