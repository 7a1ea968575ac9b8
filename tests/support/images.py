"""MNIST as numpy, measures of a digit image, and the shipped model with other metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from lenet.mnist_files import read_split

from .paths import MODEL_PATH

# MNIST's own geometry, stated independently of the model's metadata so tests can
# check the demo against it.
MNIST_SIZE = 28
MNIST_BOX = 20


def mnist_test_set(mnist_dir: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` MNIST test images (uint8, white on black) and their labels."""
    images, labels = read_split(mnist_dir, train=False)
    return images[:count], labels[:count]


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted centre of a 2-D image."""
    rows, cols = np.indices(image.shape)
    mass = image.sum()
    return float((rows * image).sum() / mass), float((cols * image).sum() / mass)


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    """(height, width) of the bounding box of the non-zero pixels."""
    rows, cols = np.nonzero(image)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def model_with_metadata(path: Path, changes: dict[str, str | None]) -> Path:
    """demo/model.onnx with metadata entries replaced (or removed, for None), saved to `path`."""
    model = onnx.load(str(MODEL_PATH))
    props = {p.key: p.value for p in model.metadata_props}
    props.update(changes)
    del model.metadata_props[:]
    for key, value in props.items():
        if value is not None:
            model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))
    return path
