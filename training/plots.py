"""Confusion-matrix and training-curve figures (PNG) for an evaluation report."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .evaluate import write_atomic
from .labels import LABELS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, metadata={"Software": None})
    _pyplot().close(fig)
    write_atomic(path, buffer.getvalue())


def confusion_figure(split: str, results: dict[str, dict], path: Path) -> None:
    """One panel per crop mode (``{"center": summary, "ten_crop": summary}``), rows the true class.

    Colour is the row-normalised share (the recall on the diagonal); each cell prints its count.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(6.2 * len(results), 5.6), squeeze=False)
    for ax, (mode, summary) in zip(axes[0], results.items()):
        counts = np.array(summary["confusion_matrix"])
        shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(LABELS)):
            for j in range(len(LABELS)):
                colour = "white" if shares[i, j] > 0.6 else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=colour, fontsize=8)
        ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right")
        ax.set_yticks(range(len(LABELS)), LABELS)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        crop = "ten crops" if mode == "ten_crop" else "center crop"
        ax.set_title(f"{split}, {crop}: accuracy {100 * summary['accuracy']:.2f}%")
    fig.tight_layout()
    _save(fig, path)


def training_curve_figure(
    history: list[dict], path: Path, selected_epoch: int | None = None
) -> None:
    """Loss, accuracies and learning rate per epoch from ``history.jsonl`` records."""
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (loss_ax, acc_ax, lr_ax) = plt.subplots(3, 1, figsize=(7.5, 8.5), sharex=True)
    loss_ax.plot(epochs, [h["train_loss"] for h in history], label="Training loss")
    loss_ax.set_ylabel("loss")
    acc_ax.plot(epochs, [100 * h["train_accuracy"] for h in history], label="Training (augmented)")
    for key, name in (
        ("public_raw", "PublicTest, raw weights"),
        ("public_ema", "PublicTest, averaged"),
    ):
        if any(key in h for h in history):
            acc_ax.plot(epochs, [100 * h.get(key, np.nan) for h in history], label=name)
    acc_ax.set_ylabel("center-crop accuracy (%)")
    lr_ax.plot(epochs, [h["lr"] for h in history])
    lr_ax.set_ylabel("learning rate (end of epoch)")
    lr_ax.set_xlabel("epoch")
    lr_ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in (loss_ax, acc_ax):
        ax.legend(loc="best", fontsize=8)
    for ax in (loss_ax, acc_ax, lr_ax):
        ax.grid(alpha=0.3)
        if selected_epoch is not None:
            ax.axvline(selected_epoch, color="grey", linestyle="--", linewidth=1)
    acc_ax.set_title(
        "dashed line: checkpoint chosen on PublicTest" if selected_epoch is not None else ""
    )
    fig.tight_layout()
    _save(fig, path)
