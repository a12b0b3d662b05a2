"""VGG variants for 1-channel 44x44 faces, as in the published method.

Every convolution is followed by BatchNorm and ReLU; an average pool sits right before
the single dense layer. The network takes raw grey values 0..255 and normalises them
itself, so the exported ONNX file needs no preprocessing constants on the caller's side.
"""

from __future__ import annotations

import io

import torch
from torch import nn

from .labels import LABELS

# "M" is a 2x2 max pool. VGG BA SMALL is VGG11 with one 256 and one 512 convolution removed;
# that gives 6.27 M parameters, matching the published 23.98 MB.
# fmt: off
CONFIGS: dict[str, list[int | str]] = {
    "vgg_ba_small": [64, "M", 128, "M", 256, "M", 512, 512, "M", 512, "M"],
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}
# fmt: on

# Published fp32 sizes in MiB: they match torch.save(state_dict) / 2**20 (see ``sizes``) within
# 0.1%, except VGG16's, which is 3.5% above the standard 13-convolution layout.
PUBLISHED_SIZE_MB = {
    "vgg_ba_small": 23.98,
    "vgg11": 35.25,
    "vgg13": 35.96,
    "vgg16": 58.24,
    "vgg19": 76.52,
}

# Mean and standard deviation of FER2013 Training pixels, as fractions of 255.
PIXEL_MEAN = 0.5077
PIXEL_STD = 0.2551


class Vgg(nn.Module):
    def __init__(self, config: list[int | str], width: float = 1.0, dropout: float = 0.0):
        super().__init__()
        self.register_buffer("pixel_mean", torch.tensor(PIXEL_MEAN * 255.0))
        self.register_buffer("pixel_scale", torch.tensor(1.0 / (PIXEL_STD * 255.0)))
        layers: list[nn.Module] = []
        channels = 1
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
                continue
            out = max(8, int(round(int(item) * width)))
            layers += [
                nn.Conv2d(channels, out, 3, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
            ]
            channels = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels, len(LABELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: float [N, 1, 44, 44] raw grey values 0..255; returns [N, 7] logits."""
        x = (x - self.pixel_mean) * self.pixel_scale
        x = self.pool(self.features(x)).flatten(1)
        return self.classifier(self.dropout(x))


def build(arch: str, width: float = 1.0, dropout: float = 0.0) -> Vgg:
    if arch not in CONFIGS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(CONFIGS)}")
    return Vgg(CONFIGS[arch], width=width, dropout=dropout)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def fp32_size_mib(model: nn.Module) -> float:
    """Size of the parameters and buffers stored as fp32, in MiB."""
    tensors = list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]
    return sum(t.numel() for t in tensors) * 4 / 2**20


def saved_size_mib(model: nn.Module) -> float:
    """Size of ``torch.save(model.state_dict())`` in MiB: what the published sizes measure."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes / 2**20


def size_table() -> list[dict]:
    """Parameters and fp32 sizes of every architecture at published widths, beside the paper's."""
    rows = []
    for arch in CONFIGS:
        model = build(arch)
        saved = saved_size_mib(model)
        published = PUBLISHED_SIZE_MB[arch]
        rows.append(
            {
                "arch": arch,
                "parameters": parameter_count(model),
                "fp32_mib": fp32_size_mib(model),
                "saved_mib": saved,
                "published_mb": published,
                "difference": saved / published - 1,
            }
        )
    return rows
