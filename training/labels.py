"""The FER2013 label order, shared by training, model metadata and the product.

The TypeScript classifier reads this list from the ONNX file's metadata, so this is
the only place it is written down.
"""

LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

SPLITS: tuple[str, ...] = ("Training", "PublicTest", "PrivateTest")

# Per-class counts of the canonical FER2013 splits, in LABELS order.
CANONICAL_COUNTS: dict[str, tuple[int, ...]] = {
    "Training": (3995, 436, 4097, 7215, 4830, 3171, 4965),
    "PublicTest": (467, 56, 496, 895, 653, 415, 607),
    "PrivateTest": (491, 55, 528, 879, 594, 416, 626),
}

IMAGE_SIZE = 48
CROP_SIZE = 44
