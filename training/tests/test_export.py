"""Export: graph contract, metadata, BatchNorm folding, fp16-stored weights, parity with PyTorch
and atomic output."""

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
    summary = export.export(checkpoint, out, small.data, weights="fp32", log=lambda _: None)

    proto = onnx.load(out)
    ops = {node.op_type for node in proto.graph.node}
    assert "BatchNormalization" not in ops and "Conv" in ops and "Cast" not in ops
    assert {t.data_type for t in proto.graph.initializer} == {onnx.TensorProto.FLOAT}
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
    assert meta["precision"] == "fp32"
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


def test_fp16_stored_export_halves_the_file_and_matches_the_rounded_pytorch_model(small, tmp_path):
    checkpoint = tiny_checkpoint(tmp_path / "run" / "best.pt", width=0.25)
    fp32 = export.export(
        checkpoint, tmp_path / "fp32.onnx", small.data, weights="fp32", log=lambda _: None
    )
    out = tmp_path / "expression.onnx"
    summary = export.export(checkpoint, out, small.data, log=lambda _: None)
    assert summary["weights"] == "fp16" and summary["bytes"] == out.stat().st_size
    assert summary["bytes"] < 0.52 * fp32["bytes"]

    # Every weight but the two normalisation scalars is float16, cast back to float32 first.
    proto = onnx.load(out)
    halves = {t.name for t in proto.graph.initializer if t.data_type == onnx.TensorProto.FLOAT16}
    singles = [t for t in proto.graph.initializer if t.data_type == onnx.TensorProto.FLOAT]
    assert sorted(t.name for t in singles) == ["pixel_mean", "pixel_scale"]
    assert all(list(t.dims) == [] for t in singles)
    casts = [n for n in proto.graph.node if n.op_type == "Cast"]
    assert [n.op_type for n in proto.graph.node[: len(casts)]] == ["Cast"] * len(casts)
    assert {n.input[0] for n in casts} == halves and len(casts) == len(halves)
    assert all(n.attribute[0].i == onnx.TensorProto.FLOAT for n in casts)
    assert export.stored_floats(proto) == fp32["stored_floats"]
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["precision"].startswith("fp32 compute, fp16-stored weights")

    # The contract is the fp32 file's: float32 in, float32 logits out, the same names.
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (value,) = session.get_inputs()
    assert (value.name, value.type) == ("input", "tensor(float)")
    assert [(o.name, o.type) for o in session.get_outputs()] == [("logits", "tensor(float)")]

    # On faces the export did not check, at any batch size, it is the BatchNorm-fused model with
    # its weights rounded to float16, and much closer to that than to the fp32 model.
    model, _ = load_checkpoint(checkpoint)
    reference = export.fp16_rounded_reference(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in reference.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()), "model unchanged"
    crops = evaluate.center_crop(torch.from_numpy(small.data["PrivateTest"].images))
    with torch.inference_mode():
        rounded, exact = reference(crops).numpy(), model(crops).numpy()
    for batch in (1, 5, len(crops)):
        got = session.run(None, {"input": crops[:batch].numpy()})[0]
        np.testing.assert_allclose(got, rounded[:batch], atol=export.PARITY_TOLERANCE, rtol=0)
    got = session.run(None, {"input": crops.numpy()})[0]
    assert np.abs(got - exact).max() > 10 * np.abs(got - rounded).max()
    assert summary["parity_max_abs"] <= export.PARITY_TOLERANCE
    assert float(meta["parity_max_abs"]) == pytest.approx(summary["parity_max_abs"], rel=1e-2)
    assert summary["fp16_vs_fp32_max_abs"] > summary["parity_max_abs"]


def test_onnx_runtime_folds_the_fp16_casts_when_it_loads_the_file(small, tmp_path):
    checkpoint = tiny_checkpoint(tmp_path / "run" / "best.pt")
    out = tmp_path / "expression.onnx"
    export.export(checkpoint, out, small.data, log=lambda _: None)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(str(out), options, providers=["CPUExecutionProvider"])
    optimized = onnx.load(tmp_path / "optimized.onnx")
    assert "Cast" not in {n.op_type for n in optimized.graph.node}
    assert {t.data_type for t in optimized.graph.initializer} == {onnx.TensorProto.FLOAT}


def test_fp16_storage_refuses_weights_beyond_the_float16_range():
    model = models.build("vgg_ba_small", 0.125)
    with torch.no_grad():
        model.classifier.weight[0, 0] = 1e5
    with pytest.raises(export.ExportError, match=r"classifier\.weight .*float16's range"):
        export.fp16_stored(export.to_onnx(model))


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


def test_export_takes_accuracies_from_evaluate_onnx_only_for_the_same_graph(
    small, tmp_path, capsys
):
    from training import report

    from .conftest import write_csv

    checkpoint = tiny_checkpoint(tmp_path / "run" / "best.pt")
    out = tmp_path / "expression.onnx"
    first = export.export(checkpoint, out, small.data, log=lambda _: None)
    classifier, info = report.load_source(None, out)
    assert info["source"]["graph_sha256"] == first["graph_sha256"]
    assert info["source"]["checkpoint_sha256"] == evaluate.file_sha256(checkpoint)
    results = evaluate.evaluate_splits(classifier, small.data)
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"source": info["source"], **results}))

    # Exporting again writes the same graph, now with the accuracies measured on it.
    second = export.export(checkpoint, out, small.data, metrics=metrics, log=lambda _: None)
    assert second["graph_sha256"] == first["graph_sha256"]
    meta = {p.key: p.value for p in onnx.load(out).metadata_props}
    assert float(meta["accuracy_private_center"]) == results["PrivateTest"]["center"]["accuracy"]
    assert float(meta["accuracy_public_ten_crop"]) == results["PublicTest"]["ten_crop"]["accuracy"]
    assert meta["accuracy_source"].startswith("python -m training evaluate --onnx on this graph")

    # The fp32 graph is another graph: refused, and nothing is written.
    data = write_csv(small, tmp_path / "fer.csv")
    fp32 = tmp_path / "fp32.onnx"
    code = cli.main(["export", "--checkpoint", str(checkpoint), "--out", str(fp32),
                     "--weights", "fp32", "--metrics", str(metrics), "--data", str(data),
                     "--allow-partial"])  # fmt: skip
    assert code == 1
    assert "is not the one being written" in capsys.readouterr().err
    assert not fp32.exists()


def test_int8_export_is_a_quarter_of_the_size_and_keeps_the_contract(small, tmp_path):
    checkpoint = tiny_checkpoint(tmp_path / "run" / "best.pt", width=0.25)
    out = tmp_path / "expression.onnx"
    summary = export.export(
        checkpoint, out, small.data, int8=True, weights="fp32", log=lambda _: None
    )
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
