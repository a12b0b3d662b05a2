"""Training: a step lowers the loss, the schedules, and a killed run resumes to the same result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch import nn

from training import cli, models
from training.labels import CROP_SIZE
from training.train import Recipe, augment, learning_rate, train

from .conftest import make_dataset, write_csv

REPO = Path(__file__).resolve().parents[2]


def test_one_sgd_step_lowers_the_loss_on_a_tiny_batch():
    torch.manual_seed(0)
    model = models.build("vgg_ba_small", width=0.125).train()
    x = torch.rand(16, 1, CROP_SIZE, CROP_SIZE) * 255
    y = torch.arange(16) % 7
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    before = criterion(model(x), y)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = criterion(model(x), y)
    assert after.item() < before.item() - 0.01


def test_onecycle_warms_up_to_the_peak_then_anneals():
    recipe = Recipe(lr=0.1, epochs=40, schedule="onecycle")
    assert learning_rate(recipe, 0) == pytest.approx(0.1 / 25)
    assert learning_rate(recipe, 10) == pytest.approx(0.1)
    assert learning_rate(recipe, 40) == pytest.approx(0.1 / 1e4)
    assert learning_rate(recipe, 5) < learning_rate(recipe, 9) < 0.1


def test_step_schedule_holds_then_decays_every_step():
    recipe = Recipe(lr=0.01, schedule="step", step_start=40, step_every=5, step_gamma=0.9)
    assert learning_rate(recipe, 39.9) == 0.01
    assert learning_rate(recipe, 40) == pytest.approx(0.009)
    assert learning_rate(recipe, 45) == pytest.approx(0.0081)


def test_augment_crops_44_pixels_reproducibly_from_the_generator():
    images = torch.from_numpy(
        make_dataset({"Training": 1, "PublicTest": 0, "PrivateTest": 0}).data["Training"].images
    )
    recipe = Recipe(jitter_degrees=10, jitter_scale=0.08, jitter_shift=0.04)
    a = augment(images, recipe, torch.Generator().manual_seed(3))
    b = augment(images, recipe, torch.Generator().manual_seed(3))
    assert a.shape == (len(images), 1, CROP_SIZE, CROP_SIZE)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    # Bilinear resampling mixes input pixels, so every output lies within the input's range.
    assert float(a.min()) >= float(images.min()) - 1e-3
    assert float(a.max()) <= float(images.max()) + 1e-3
    assert not torch.equal(a, augment(images, recipe, torch.Generator().manual_seed(4)))


# Dropout on: its masks come from torch's global generator, which last.pt saves, so a resumed
# run must match an uninterrupted one bit for bit.
RESUME_RECIPE = Recipe(width=0.125, epochs=3, batch_size=32, lr=0.05, ema_decay=0.9, dropout=0.3)
RESUME_RECIPE = replace(RESUME_RECIPE, jitter_degrees=5.0, jitter_scale=0.05, label_smoothing=0.1)


def _train_command(data: Path, run_dir: Path) -> list[str]:
    args = [sys.executable, "-m", "training", "train", "--data", str(data), "--allow-partial"]
    args += ["--recipe", "fast", "--run-dir", str(run_dir)]
    for name in ("width", "epochs", "batch_size", "lr", "ema_decay", "dropout", "jitter_degrees"):
        args += ["--" + name.replace("_", "-"), str(getattr(RESUME_RECIPE, name))]
    return args + ["--jitter-scale", "0.05", "--jitter-shift", "0.0", "--label-smoothing", "0.1"]


def _comparable(run_dir: Path) -> tuple[dict, list[dict]]:
    state = torch.load(run_dir / "last.pt", weights_only=False)
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    for record in history:
        record.pop("seconds")
    return state, history


def test_a_killed_run_resumes_and_ends_as_if_never_stopped(tmp_path):
    data = write_csv(
        make_dataset({"Training": 12, "PublicTest": 2, "PrivateTest": 1}), tmp_path / "fer.csv"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    # The uninterrupted run goes in-process, on one thread like the subprocesses.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert cli.main(_train_command(data, tmp_path / "whole")[3:]) == 0
    finally:
        torch.set_num_threads(threads)

    # Kill -9 as soon as the first epoch is on disk.
    cut = tmp_path / "cut"
    process = subprocess.Popen(
        _train_command(data, cut), cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    deadline = time.time() + 120
    history = cut / "history.jsonl"
    while not (history.is_file() and history.read_text().endswith("\n")) and time.time() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    done = len((cut / "history.jsonl").read_text().splitlines())
    assert 1 <= done < RESUME_RECIPE.epochs

    resumed = subprocess.run(
        _train_command(data, cut), cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert f"resuming {cut} at epoch {done + 1}/{RESUME_RECIPE.epochs}" in resumed.stdout
    (whole_state, whole_history), (cut_state, cut_history) = (
        _comparable(tmp_path / "whole"),
        _comparable(cut),
    )
    assert cut_history == whole_history
    assert cut_state["best"] == whole_state["best"]
    for part in ("model", "ema"):
        for key, value in whole_state[part].items():
            torch.testing.assert_close(
                cut_state[part][key], value, rtol=0, atol=0, msg=f"{part}.{key}"
            )


def test_resuming_with_another_recipe_is_refused(tmp_path):
    data = make_dataset({"Training": 2, "PublicTest": 1, "PrivateTest": 1}).data
    recipe = Recipe(width=0.125, epochs=1, batch_size=16)
    train(data, recipe, tmp_path, log=lambda _: None)
    with pytest.raises(ValueError, match="last.pt was written with another recipe"):
        train(data, replace(recipe, epochs=2), tmp_path, log=lambda _: None)


def test_training_never_reads_private_test(tmp_path):
    fixture = make_dataset({"Training": 2, "PublicTest": 1, "PrivateTest": 1})
    fixture.data.splits.pop("PrivateTest")
    best = train(
        fixture.data, Recipe(width=0.125, epochs=1, batch_size=16), tmp_path, log=lambda _: None
    )
    assert best["epoch"] == 1
