"""The network's configuration, a training run's, and the named recipes.

`ModelConfig` is what rebuilds the network (saved next to its weights); `TrainConfig` is
one training run's hyperparameters (saved in every checkpoint). A recipe is a complete
TrainConfig; callers override single fields. Both check themselves when they are made,
so no invalid one exists anywhere. Plain data: the command line reads them without
importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar, get_args, get_type_hints

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("constant", "onecycle")
MIN_VALIDATION = 1000  # fewer held-out images make the 1% "not sure" quantile too noisy
# torch.manual_seed takes any integer that fits in 64 bits, signed or not.
SEED_RANGE = (-(2**63), 2**64 - 1)


class ConfigError(ValueError):
    """A setting that cannot be used; `name` is the setting (a field name), `reason` why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} {reason}")
        self.name, self.reason = name, reason


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network; saved next to its weights."""

    conv_dropout: float = 0.5  # the seed's rates
    fc_dropout: float = 0.5

    def __post_init__(self) -> None:
        check_types(self)
        for name in ("conv_dropout", "fc_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(name, f"must be in [0, 1), got {getattr(self, name)}")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run (saved in every checkpoint)."""

    recipe: str = "seed"
    batch_size: int = 64
    test_batch_size: int = 1000
    epochs: int = 10
    lr: float = 0.01
    momentum: float = 0.5
    optimizer: str = "sgd"  # one of OPTIMIZERS
    weight_decay: float = 0.0
    schedule: str = "constant"  # one of SCHEDULES
    label_smoothing: float = 0.0
    augment: bool = False  # random rotation/scale/translation, batched on the device
    conv_dropout: float = ModelConfig.conv_dropout
    fc_dropout: float = ModelConfig.fc_dropout
    seed: int = 1
    train_subset: int | None = None  # train on the first N images only (quick experiments)
    # The last N training images are never trained on: they fit the temperature that
    # calibrates the probabilities and the demo's "not sure" threshold (lenet/calibration.py).
    validation: int = 5000
    # Weight of the loss that pulls the output on non-digits toward uniform (lenet/outliers.py).
    outlier_exposure: float = 0.0
    # Digits drawn as pen strokes (lenet/drawn.py) added to each batch, per MNIST digit.
    drawn_digits: float = 0.0
    # Share of the outliers that are pieces of the batch's digits: two joined, or part of
    # one (lenet/outliers.py), so that the demo can tell a whole digit from a bad cut.
    fragment_outliers: float = 0.0

    def __post_init__(self) -> None:
        """Raise ConfigError, naming the field, for a value that cannot train."""
        check_types(self)
        for name in ("batch_size", "test_batch_size", "epochs"):
            if getattr(self, name) <= 0:
                raise ConfigError(name, f"must be a positive integer, got {getattr(self, name)}")
        if self.train_subset is not None and self.train_subset <= 0:
            raise ConfigError(
                "train_subset", f"must be a positive integer, got {self.train_subset}"
            )
        if not 0 < self.lr < float("inf"):  # also rejects NaN
            raise ConfigError("lr", f"must be a positive number, got {self.lr}")
        for name in ("weight_decay", "outlier_exposure", "drawn_digits"):
            if not 0 <= getattr(self, name) < float("inf"):
                raise ConfigError(name, f"must be a non-negative number, got {getattr(self, name)}")
        for name in ("momentum", "label_smoothing", "fragment_outliers"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(name, f"must be in [0, 1), got {getattr(self, name)}")
        for name, allowed in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES)):
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    name, f"must be one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                )
        if not SEED_RANGE[0] <= self.seed <= SEED_RANGE[1]:
            raise ConfigError("seed", f"must fit in 64 bits, got {self.seed}")
        if self.validation < MIN_VALIDATION:
            raise ConfigError(
                "validation", f"must be at least {MIN_VALIDATION} images, to calibrate on"
            )
        self.model_config()  # ModelConfig checks the dropout rates

    def model_config(self) -> ModelConfig:
        """The network this run trains."""
        return ModelConfig(self.conv_dropout, self.fc_dropout)


Config = TypeVar("Config", ModelConfig, TrainConfig)
TYPE_WORDS = {
    int: "an integer",
    float: "a number",
    str: "a string",
    bool: "true or false",
    type(None): "None",
}


def check_types(config: ModelConfig | TrainConfig) -> None:
    """Raise ConfigError unless every field holds its declared type (an int may be a float)."""
    for name, hint in get_type_hints(type(config)).items():
        value, allowed = getattr(config, name), get_args(hint) or (hint,)
        if isinstance(value, bool):  # a bool is an int to isinstance
            fits = bool in allowed
        else:
            fits = isinstance(value, allowed) or (float in allowed and isinstance(value, int))
        if not fits:
            expected = " or ".join(TYPE_WORDS.get(t, t.__name__) for t in allowed)
            raise ConfigError(name, f"must be {expected}, got {value!r}")


def config_from_dict(kind: type[Config], data: Any) -> Config:
    """A config from its dict form (as checkpoints hold it): every field, and nothing else."""
    if not isinstance(data, dict):
        raise ConfigError(kind.__name__, f"must be a dict, got {type(data).__name__}")
    names = {f.name for f in fields(kind)}
    unknown, missing = sorted(map(str, set(data) - names)), sorted(names - set(data))
    if unknown:
        raise ConfigError(unknown[0], "is not a setting")
    if missing:
        raise ConfigError(missing[0], "is missing")
    return kind(**data)


RECIPES: dict[str, TrainConfig] = {
    # The seed: pytorch/examples-style SGD, about 98% after 10 epochs.
    "seed": TrainConfig(),
    # For the demo: the same network, less dropout (augmentation regularizes instead),
    # batched style augmentation (lenet/augment.py), digits drawn as pen strokes in the
    # forms MNIST's writers seldom used (lenet/drawn.py, as many as MNIST digits in each
    # batch), outlier exposure so scribbles and pieces of digits get spread-out
    # probabilities, AdamW under a one-cycle schedule, and no label smoothing, whose capped
    # confidences calibration would have to undo. Figures in BENCHMARKS.md section 12.
    "best": TrainConfig(
        recipe="best",
        batch_size=128,
        epochs=30,
        lr=0.004,
        optimizer="adamw",
        weight_decay=0.05,
        schedule="onecycle",
        augment=True,
        conv_dropout=0.0,
        fc_dropout=0.2,
        outlier_exposure=0.5,
        drawn_digits=1.0,
        fragment_outliers=0.3,
    ),
    # 99% in as little CPU time as possible: 2 epochs at a high peak rate, no dropout, no
    # augmentation; label smoothing steadies the short run (BENCHMARKS.md section 2).
    "fast": TrainConfig(
        recipe="fast",
        batch_size=96,
        epochs=2,
        lr=0.012,
        optimizer="adamw",
        weight_decay=0.01,
        schedule="onecycle",
        label_smoothing=0.1,
        conv_dropout=0.0,
        fc_dropout=0.0,
    ),
}


def resolve_config(recipe: str, overrides: dict[str, Any]) -> TrainConfig:
    """The named recipe with every non-None override applied (ConfigError if invalid)."""
    if recipe not in RECIPES:
        raise ConfigError("recipe", f"must be one of {', '.join(RECIPES)}, got {recipe!r}")
    unknown = sorted(set(overrides) - {f.name for f in fields(TrainConfig)})
    if unknown:
        raise ConfigError(unknown[0], "is not a training setting")
    return replace(RECIPES[recipe], **{k: v for k, v in overrides.items() if v is not None})
