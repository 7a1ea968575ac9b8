"""Training configurations: the seed's hyperparameters and named recipes.

A recipe is a complete TrainConfig; command-line flags override single fields.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run (saved in every checkpoint)."""

    recipe: str = "seed"
    batch_size: int = 64
    test_batch_size: int = 1000
    epochs: int = 10
    lr: float = 0.01
    momentum: float = 0.5
    optimizer: str = "sgd"  # "sgd" or "adamw"
    weight_decay: float = 0.0
    schedule: str = "constant"  # "constant" or "onecycle"
    label_smoothing: float = 0.0
    augment: bool = False  # random rotation/scale/translation, batched on the device
    conv_dropout: float = 0.5
    fc_dropout: float = 0.5
    seed: int = 1
    train_subset: int | None = None  # train on the first N images only (quick experiments)
    # The last N training images are never trained on: they fit the temperature that
    # calibrates the probabilities and the demo's "not sure" threshold (lenet/calibration.py).
    validation: int = 5000
    # Weight of the loss that pulls the output on non-digits toward uniform (lenet/outliers.py).
    outlier_exposure: float = 0.0

    def validate(self) -> None:
        """Raise ValueError with a one-line message for values that cannot train."""
        for name in ("batch_size", "test_batch_size", "epochs"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"--{name.replace('_', '-')} must be a positive integer, got {value}"
                )
        if not self.lr > 0:  # also rejects NaN
            raise ValueError(f"--lr must be positive, got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"--momentum must be in [0, 1), got {self.momentum}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose from {OPTIMIZERS}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose from {SCHEDULES}")
        for name in ("conv_dropout", "fc_dropout", "label_smoothing"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1)")
        if self.train_subset is not None and self.train_subset <= 0:
            raise ValueError("--train-subset must be a positive integer")
        if self.weight_decay < 0:
            raise ValueError("--weight-decay must not be negative")
        if not isinstance(self.validation, int) or self.validation < MIN_VALIDATION:
            raise ValueError(
                f"--validation must be at least {MIN_VALIDATION} images, to calibrate on"
            )
        if not 0 <= self.outlier_exposure < float("inf"):
            raise ValueError("--outlier-exposure must be a non-negative number")


OPTIMIZERS = ("sgd", "adamw")
MIN_VALIDATION = 1000  # fewer held-out images make the 1% "not sure" quantile too noisy
SCHEDULES = ("constant", "onecycle")

RECIPES: dict[str, TrainConfig] = {
    # The seed: pytorch/examples-style SGD, about 98% after 10 epochs.
    "seed": TrainConfig(),
    # For the demo: the same network, less dropout (augmentation regularizes instead),
    # batched style augmentation (lenet/augment.py), outlier exposure so scribbles get
    # spread-out probabilities, AdamW under a one-cycle schedule, and no label smoothing,
    # whose capped confidences calibration would have to undo. Figures in the README.
    "best": TrainConfig(
        recipe="best",
        batch_size=128,
        epochs=20,
        lr=0.004,
        optimizer="adamw",
        weight_decay=0.05,
        schedule="onecycle",
        augment=True,
        conv_dropout=0.0,
        fc_dropout=0.2,
        outlier_exposure=0.5,
    ),
    # 99% in as little CPU time as possible: 4 epochs, no augmentation, little dropout.
    "fast": TrainConfig(
        recipe="fast",
        batch_size=128,
        epochs=4,
        lr=0.005,
        optimizer="adamw",
        weight_decay=0.01,
        schedule="onecycle",
        conv_dropout=0.0,
        fc_dropout=0.1,
    ),
}


def resolve_config(recipe: str, overrides: dict[str, Any]) -> TrainConfig:
    """The named recipe with every non-None override applied, validated."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
    names = {f.name for f in fields(TrainConfig)}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
    config = replace(RECIPES[recipe], **{k: v for k, v in overrides.items() if v is not None})
    config.validate()
    return config
