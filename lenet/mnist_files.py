"""MNIST's raw files: the default folder, the file names, and the idx format, read with numpy.

Training (lenet/data.py), the benchmarks and the tests all read MNIST through here, and
a file that is empty, truncated or not an idx file at all is refused with a DataError
that names it. numpy alone: scripts that run without torch can use it too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lenet.contract import IMAGE_SIZE, LABELS

# train.py downloads MNIST here when --data-dir does not say otherwise: in the repository,
# not in the current folder.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SPLIT_PREFIX = {True: "train", False: "t10k"}  # train=True/False, as torchvision names them
# An idx header: two zero bytes, the element type, the number of dimensions, then one
# big-endian uint32 per dimension. MNIST's files hold unsigned bytes.
UNSIGNED_BYTE = 0x08
MAGIC_BYTES = 4
DIM_BYTES = 4


class DataError(RuntimeError):
    """MNIST is missing, could not be downloaded, or a file of it is damaged."""


def raw_folder(data_dir: str | Path) -> Path:
    """Where torchvision's layout keeps the idx files under a data folder."""
    return Path(data_dir).expanduser() / "MNIST" / "raw"


def split_files(data_dir: str | Path, train: bool) -> tuple[Path, Path]:
    """(images file, labels file) of the training (train=True) or test split."""
    raw, prefix = raw_folder(data_dir), SPLIT_PREFIX[train]
    return raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"


def read_idx(path: str | Path) -> np.ndarray:
    """An idx file of unsigned bytes as a uint8 array of the shape its header gives.

    Raises DataError, naming the file and what is wrong with it, for anything else.
    """
    data = Path(path).read_bytes()

    def refuse(reason: str) -> DataError:
        return DataError(f"{path} is not an MNIST idx file: {reason}")

    if len(data) < MAGIC_BYTES:
        raise refuse("it is empty" if not data else f"it holds only {len(data)} bytes")
    if data[:2] != b"\0\0" or data[2] != UNSIGNED_BYTE or not 1 <= data[3] <= 3:
        raise refuse("its header is not that of an idx file of unsigned bytes")
    header = MAGIC_BYTES + DIM_BYTES * data[3]
    if len(data) < header:
        raise refuse("its header is cut short")
    shape = tuple(
        int.from_bytes(data[i : i + DIM_BYTES], "big")
        for i in range(MAGIC_BYTES, header, DIM_BYTES)
    )
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise refuse(
            f"its header promises {expected:,} bytes of shape {shape}, the file holds "
            f"{len(data):,} (truncated or padded)"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def read_split(data_dir: str | Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), white on black; labels uint8 (N,)) of one MNIST split."""
    images_file, labels_file = split_files(data_dir, train)
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(f"{images_file} holds {images.shape} pixels, not 28x28 images")
    if labels.ndim != 1 or len(labels) != len(images) or labels.max(initial=0) >= len(LABELS):
        raise DataError(f"{labels_file} does not hold one digit 0-9 per image of {images_file}")
    return images, labels
