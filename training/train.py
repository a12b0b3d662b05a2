"""Training loop with the two recipes, exponential weight averaging and resumable checkpoints."""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import evaluate, models
from .data import Fer2013
from .labels import CROP_SIZE, IMAGE_SIZE


@dataclass
class Recipe:
    """Every setting of a training run; written into the run folder and each checkpoint."""

    arch: str = "vgg_ba_small"
    width: float = 1.0
    epochs: int = 50
    batch_size: int = 128
    optimizer: str = "sgd"  # plain SGD with momentum ("sgd") or with Nesterov momentum ("nesterov")
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "onecycle"  # "onecycle", or "step": lr x step_gamma every step_every epochs from step_start
    step_start: int = 40
    step_every: int = 5
    step_gamma: float = 0.9
    grad_clip: float = 0.0  # clip each gradient element to [-grad_clip, grad_clip]; 0 = off
    label_smoothing: float = 0.0
    dropout: float = 0.0
    jitter_degrees: float = 0.0  # random rotation, scale and shift before the 44x44 crop
    jitter_scale: float = 0.0
    jitter_shift: float = 0.0
    ema_decay: float = 0.0  # exponential moving average of the weights per step; 0 = off
    bf16: bool = False  # bf16 autocast: faster only on CPUs with native bf16 (AVX512-BF16, AMX)
    seed: int = 0


RECIPES: dict[str, Recipe] = {
    # The published recipe: 250 epochs, SGD 0.9, L2 5e-4, batch 128, lr 0.01 x0.9 every 5 epochs
    # from epoch 40, gradient clipping, random 44-crops and flips.
    "paper": Recipe(
        epochs=250, optimizer="sgd", lr=0.01, schedule="step", grad_clip=0.1, dropout=0.5
    ),
    # A schedule that fits a 2-core AVX2 CPU: half widths (a quarter of the parameters), one-cycle
    # learning rate, label smoothing, affine jitter and averaged weights.
    "fast": Recipe(
        optimizer="nesterov",
        lr=0.1,
        schedule="onecycle",
        label_smoothing=0.1,
        width=0.5,
        epochs=60,
        dropout=0.1,
        jitter_degrees=10.0,
        jitter_scale=0.08,
        jitter_shift=0.04,
        ema_decay=0.999,
    ),
}


def learning_rate(recipe: Recipe, epoch: float) -> float:
    """Learning rate at a fractional epoch (0-based)."""
    if recipe.schedule == "step":
        if epoch < recipe.step_start:
            return recipe.lr
        steps = int((epoch - recipe.step_start) // recipe.step_every) + 1
        return recipe.lr * recipe.step_gamma**steps
    if recipe.schedule == "onecycle":
        warm = 0.25 * recipe.epochs
        start, end = recipe.lr / 25, recipe.lr / 1e4
        if epoch < warm:
            return start + (recipe.lr - start) * (1 - math.cos(math.pi * epoch / warm)) / 2
        t = (epoch - warm) / (recipe.epochs - warm)
        return end + (recipe.lr - end) * (1 + math.cos(math.pi * min(t, 1.0))) / 2
    raise ValueError(f"unknown schedule {recipe.schedule!r}; choose 'step' or 'onecycle'")


def augment(batch: torch.Tensor, recipe: Recipe, generator: torch.Generator) -> torch.Tensor:
    """uint8 [N, 48, 48] -> float [N, 1, 44, 44]: random crop, flip and affine jitter in one resample."""
    n = batch.shape[0]
    x = batch[:, None].float()

    def uniform(scale: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * scale

    angle = uniform(math.radians(recipe.jitter_degrees))
    scale = 1 + uniform(recipe.jitter_scale)
    # A 44-pixel crop of a 48-pixel image sits at most 2 pixels off center.
    margin = (IMAGE_SIZE - CROP_SIZE) / IMAGE_SIZE
    shift_x = uniform(margin + 2 * recipe.jitter_shift)
    shift_y = uniform(margin + 2 * recipe.jitter_shift)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)

    # theta maps output coordinates in [-1, 1] to input coordinates in [-1, 1].
    size = CROP_SIZE / IMAGE_SIZE / scale
    cos, sin = torch.cos(angle) * size, torch.sin(angle) * size
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, shift_x], 1), torch.stack([sin * flip, cos, shift_y], 1)], 1
    )
    grid = F.affine_grid(theta, [n, 1, CROP_SIZE, CROP_SIZE], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def save_atomic(obj: object, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    with torch.no_grad():
        for e, p in zip(ema.state_dict().values(), model.state_dict().values()):
            if e.is_floating_point():
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
            else:
                e.copy_(p)


def train(data: Fer2013, recipe: Recipe, run_dir: Path, log=print) -> dict:
    """Train on Training, select on PublicTest; resume from ``run_dir/last.pt`` when it exists.

    Writes ``last.pt`` (everything needed to resume) and ``best.pt`` (weights of the epoch with
    the best PublicTest center-crop accuracy, raw or averaged) after every epoch, both atomically,
    and appends one JSON line per epoch to ``history.jsonl``. PrivateTest is never looked at here.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "recipe.json").write_text(json.dumps(asdict(recipe), indent=2) + "\n")
    torch.manual_seed(recipe.seed)
    model = models.build(recipe.arch, recipe.width, recipe.dropout).to(memory_format=torch.channels_last)
    ema = copy.deepcopy(model) if recipe.ema_decay > 0 else None
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=recipe.lr,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay,
        nesterov=recipe.optimizer == "nesterov",
    )
    generator = torch.Generator().manual_seed(recipe.seed)
    start_epoch, best = 0, {"accuracy": -1.0}

    last = run_dir / "last.pt"
    if last.exists():
        state = torch.load(last, weights_only=False)
        if state["recipe"] != asdict(recipe):
            raise ValueError(
                f"{last} was written with another recipe; use a new --run-dir or the same settings"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        generator.set_state(state["generator"])
        if "torch_rng" in state:  # absent in checkpoints written before it was saved
            torch.set_rng_state(state["torch_rng"])
        start_epoch, best = state["epoch"] + 1, state["best"]
        log(f"resuming {run_dir} at epoch {start_epoch + 1}/{recipe.epochs}")

    train_split, val_split = data["Training"], data["PublicTest"]
    images = torch.from_numpy(train_split.images)
    labels = torch.from_numpy(train_split.labels)
    steps_per_epoch = math.ceil(len(labels) / recipe.batch_size)
    criterion = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)

    for epoch in range(start_epoch, recipe.epochs):
        model.train()
        started = time.time()
        order = torch.randperm(len(labels), generator=generator)
        loss_sum, correct = 0.0, 0
        for step in range(steps_per_epoch):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(recipe, epoch + step / steps_per_epoch)
            index = order[step * recipe.batch_size : (step + 1) * recipe.batch_size]
            x = augment(images[index], recipe, generator).contiguous(memory_format=torch.channels_last)
            y = labels[index]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=recipe.bf16):
                logits = model(x)
            loss = criterion(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if recipe.grad_clip > 0:
                nn.utils.clip_grad_value_(model.parameters(), recipe.grad_clip)
            optimizer.step()
            if ema is not None:
                _update_ema(ema, model, recipe.ema_decay)
            loss_sum += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum())

        record = {
            "epoch": epoch + 1,
            "lr": learning_rate(recipe, epoch + 1),
            "train_loss": loss_sum / len(labels),
            "train_accuracy": correct / len(labels),
            "seconds": round(time.time() - started, 1),
        }
        candidates = {"raw": model} | ({"ema": ema} if ema is not None else {})
        for name, net in candidates.items():
            net.eval()
            probs = evaluate.predict_probabilities(net, val_split.images)
            accuracy = float((probs.argmax(1) == val_split.labels).mean())
            record[f"public_{name}"] = accuracy
            if accuracy > best["accuracy"]:
                best = {"accuracy": accuracy, "epoch": epoch + 1, "weights": name}
                save_atomic(
                    {"recipe": asdict(recipe), "model": net.state_dict(), "selected": best},
                    run_dir / "best.pt",
                )
        state = {
            "recipe": asdict(recipe),
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "ema": ema.state_dict() if ema is not None else None,
            "generator": generator.get_state(),
            # Dropout draws from torch's global generator; saving it makes a resumed run identical.
            "torch_rng": torch.get_rng_state(),
            "best": best,
        }
        save_atomic(state, last)
        with open(run_dir / "history.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        log(
            f"epoch {epoch + 1:3d}/{recipe.epochs} lr {record['lr']:.4f} "
            f"loss {record['train_loss']:.4f} train {record['train_accuracy']:.4f} "
            + " ".join(f"public[{k}] {record[f'public_{k}']:.4f}" for k in candidates)
            + f" best {best['accuracy']:.4f}@{best['epoch']} {record['seconds']}s"
        )
    return best


def load_checkpoint(path: Path) -> tuple[nn.Module, dict]:
    """Model (eval mode, fp32) and recipe from ``best.pt`` or ``last.pt``."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    state = torch.load(path, weights_only=False)
    recipe = state["recipe"]
    model = models.build(recipe["arch"], recipe["width"], recipe["dropout"])
    model.load_state_dict(state["model"])
    return model.eval(), state


def seconds_per_epoch_estimate(history: list[dict]) -> float:
    return float(np.median([h["seconds"] for h in history])) if history else float("nan")
