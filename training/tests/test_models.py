"""Architectures: output shapes, parameter counts and sizes beside the published ones."""

from __future__ import annotations

import pytest
import torch

from training import cli, models
from training.labels import CROP_SIZE, LABELS


def _expected_parameters(config: list[int | str]) -> int:
    """3x3 convolutions without bias, BatchNorm scale and shift, one dense layer to 7 classes."""
    count, channels = 0, 1
    for item in config:
        if item == "M":
            continue
        count += 9 * channels * int(item) + 2 * int(item)
        channels = int(item)
    return count + channels * len(LABELS) + len(LABELS)


@pytest.mark.parametrize("arch", list(models.CONFIGS))
def test_every_architecture_maps_44x44_grey_faces_to_seven_logits(arch):
    model = models.build(arch).eval()
    assert models.parameter_count(model) == _expected_parameters(models.CONFIGS[arch])
    with torch.inference_mode():
        logits = model(torch.rand(2, 1, CROP_SIZE, CROP_SIZE) * 255)
    assert logits.shape == (2, len(LABELS))
    assert torch.isfinite(logits).all()


def test_vgg_ba_small_has_the_published_size():
    model = models.build("vgg_ba_small")
    assert models.parameter_count(model) == pytest.approx(6.27e6, abs=0.01e6)
    assert models.fp32_size_mib(model) == pytest.approx(23.98, rel=0.01)
    assert models.saved_size_mib(model) == pytest.approx(23.98, rel=0.01)


@pytest.mark.parametrize("arch", ["vgg11", "vgg13", "vgg19"])
def test_the_other_vggs_match_their_published_sizes(arch):
    assert models.saved_size_mib(models.build(arch)) == pytest.approx(
        models.PUBLISHED_SIZE_MB[arch], rel=0.01
    )


def test_width_scales_every_convolution():
    half = models.build("vgg_ba_small", width=0.5)
    convs = [m.out_channels for m in half.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs == [32, 64, 128, 256, 256, 256]


def test_an_unknown_architecture_lists_the_known_ones():
    with pytest.raises(
        ValueError, match="unknown architecture 'vgg12'; choose one of vgg_ba_small, vgg11"
    ):
        models.build("vgg12")


def test_sizes_command_prints_every_architecture_beside_the_paper(capsys):
    assert cli.main(["sizes"]) == 0
    out = capsys.readouterr().out
    assert "vgg_ba_small     6,275,015     23.95      23.96     23.98" in out
    for arch, published in models.PUBLISHED_SIZE_MB.items():
        assert any(
            line.startswith(arch) and f"{published:.2f}" in line for line in out.splitlines()
        )
