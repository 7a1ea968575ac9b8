"""MNIST as whole tensors: loaded once, batches drawn by index.

The seed pipeline runs `ToTensor()` + `Normalize` per sample through a
DataLoader, which dominates the cost of training a network this small. Here
the dataset is decoded once into a uint8 tensor, moved to the training device,
scaled to [0, 1] floats (the model normalizes inside forward), and batches
are slices of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from lenet.mnist_files import DataError, raw_folder, read_split, split_files


@dataclass
class Split:
    """One MNIST split on a device: images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def hold_out(self, n: int) -> tuple[Split, Split]:
        """(all but the last n examples, the last n examples)."""
        if not 0 < n < len(self):
            raise ValueError(f"cannot hold out {n:,} of {len(self):,} images")
        return Split(self.images[:-n], self.labels[:-n]), Split(self.images[-n:], self.labels[-n:])

    def subset(self, n: int | None) -> Split:
        """The first n examples (all of them when n is None)."""
        if n is None or n >= len(self):
            return self
        return Split(self.images[:n], self.labels[:n])


def load_split(
    root: str | Path, train: bool, device: torch.device | str = "cpu", download: bool = True
) -> Split:
    """Load one MNIST split from `root` (torchvision's layout), downloading it if allowed.

    Raises DataError, in one line, when the files are missing and cannot be downloaded,
    or are damaged (empty, truncated, not idx files).
    """
    name = "training" if train else "test"
    if not all(path.is_file() for path in split_files(root, train)):
        if not download:
            raise DataError(f"MNIST {name} set not found under {raw_folder(root)}")
        _download(root, train, name)
    images, labels = read_split(root, train)
    images = torch.from_numpy(images.copy()).to(device).unsqueeze(1).float().div_(255.0)
    return Split(images, torch.from_numpy(labels.astype("int64")).to(device))  # (N, 1, 28, 28)


def _download(root: str | Path, train: bool, name: str) -> None:
    """torchvision's download of one split into root/MNIST/raw."""
    from torchvision.datasets import MNIST  # deferred: torchvision is slow to import

    try:
        MNIST(root=str(Path(root).expanduser()), train=train, download=True)
    except Exception as exc:  # network errors come in many types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"MNIST {name} set not found under {raw_folder(root)} and the download failed "
            f"({reason})"
        ) from None


def load_mnist(
    root: str | Path, device: torch.device | str = "cpu", download: bool = True
) -> tuple[Split, Split]:
    """The training and test splits, as tensors on `device`."""
    return (
        load_split(root, train=True, device=device, download=download),
        load_split(root, train=False, device=device, download=download),
    )
