"""Checkpoints that rebuild themselves, written crash-safely, loaded only when whole.

    checkpoint = load_checkpoint("runs/best-seed1")   # a Checkpoint, checked
    model = checkpoint.network()                       # LeNet-5, calibrated, in eval mode

On disk a checkpoint is a plain dict of tensors and primitives, so it loads with
`torch.load(..., weights_only=True)`: model config and weights, the training config,
optimizer/scheduler/RNG state (so a run resumes exactly), the per-epoch history, the
last evaluation on the test split and, once the run has finished, the calibration
fitted on its held-out validation images. In memory it is a `Checkpoint`, whose named
fields are the only way the rest of the code reads it: this module is the one place
that knows the dict's keys. `load_checkpoint` is the one way in, and checks everything.
"""

from __future__ import annotations

import dataclasses
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from lenet.contract import LABELS
from lenet.files import atomic_write
from lenet.model import LeNet5, build_model
from lenet.recipes import ConfigError, ModelConfig, TrainConfig, config_from_dict

FORMAT = "lenet5-mnist-checkpoint"
# Version 2 keeps the calibration beside the test evaluation; version 1 (still read)
# kept it inside it, under test["calibration"], though it is fitted on validation images.
VERSION = 2
READABLE_VERSIONS = (1, 2)
CHECKPOINT_NAME = "checkpoint.pt"
# The columns of each epoch's history row.
HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "test_accuracy", "train_seconds")


@dataclass
class Checkpoint:
    """A training run as saved after an epoch: enough to rebuild the model or resume the run."""

    model_config: ModelConfig
    model: dict[str, torch.Tensor]  # the plain LeNet5's state_dict
    train_config: TrainConfig
    epoch: int  # epochs trained, 1 ..  train_config.epochs
    optimizer: dict[str, Any]  # optimizer, scheduler (None without one) and RNG state
    scheduler: dict[str, Any] | None
    rng: dict[str, Any]
    history: list[dict[str, float]]  # one row of HISTORY_KEYS per epoch
    # The last evaluation on the test split: loss, accuracy, per_class_recall, confusion.
    test: dict[str, Any]
    # Temperature, "not sure" threshold and their figures, fitted on the validation split
    # after the last epoch (lenet/calibration.py); None until then.
    calibration: dict[str, float] | None = None

    @property
    def finished(self) -> bool:
        """Whether the run trained its last epoch and was calibrated: ready for export."""
        return self.calibration is not None

    def network(self, calibrated: bool = True) -> LeNet5:
        """The trained model, in eval mode.

        `calibrated` divides the last layer by the fitted temperature, so the softmax of
        its logits is calibrated; this is the model that export.py writes to ONNX.
        """
        model = build_model(self.model_config)
        model.load_state_dict(self.model)
        if calibrated:
            if self.calibration is None:
                raise CheckpointError("the run has not been calibrated (it did not finish)")
            temperature = self.calibration["temperature"]
            with torch.no_grad():
                model.fc3.weight.div_(temperature)
                model.fc3.bias.div_(temperature)
        return model.eval()

    def to_dict(self) -> dict[str, Any]:
        """The dict saved on disk (without the format tag)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        configs = {"model_config": self.model_config, "train_config": self.train_config}
        return {**fields, **{key: dataclasses.asdict(value) for key, value in configs.items()}}


CONTENTS = tuple(f.name for f in dataclasses.fields(Checkpoint))


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt or not one of ours (a bad value, as JSONDecodeError
    is)."""


def save_checkpoint(path: str | Path, checkpoint: Checkpoint) -> None:
    """Save `checkpoint` (tagged with our format) crash-safely to `path`.

    Serialized in memory first, so that only the write itself can fail (WriteError).
    """
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **checkpoint.to_dict()}, buffer)
    atomic_write(path, buffer.getvalue())


def resolve_checkpoint_path(path: str | Path) -> Path:
    """Accept a checkpoint file or a run folder that holds one."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    return path


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load a checkpoint (file or run folder) onto the CPU, with weights_only=True, and check
    everything in it; raise CheckpointError, in one line, on anything train.py does not write."""
    path = resolve_checkpoint_path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # unpickling errors come in many types
        raise CheckpointError(
            f"{path} is not a readable checkpoint (corrupt, truncated or not written by train.py)"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a LeNet-5 MNIST checkpoint written by train.py")
    if data.get("version") not in READABLE_VERSIONS:
        raise CheckpointError(
            f"{path} has checkpoint version {data.get('version')}, expected {VERSION}"
        )
    if data["version"] == 1 and isinstance(data.get("test"), dict):
        data["calibration"] = data["test"].pop("calibration", None)
    try:
        return check_contents(data)
    except ValueError as exc:
        raise CheckpointError(f"{path} is a LeNet-5 MNIST checkpoint, but {exc}") from None


def check_contents(checkpoint: dict[str, Any]) -> Checkpoint:
    """The Checkpoint a saved dict holds; ValueError naming the first thing in it that
    train.py would not write."""
    missing = [key for key in CONTENTS if key not in checkpoint]
    if missing:
        raise ValueError(f"its {missing[0]} is missing")
    config = _config(TrainConfig, checkpoint, "train_config")
    model_config = _config(ModelConfig, checkpoint, "model_config")
    if model_config != config.model_config():
        raise ValueError("its model_config does not match the dropout rates in its train_config")
    _check_weights(checkpoint, model_config)
    _check_progress(checkpoint, config)
    if not isinstance(checkpoint["optimizer"], dict) or not isinstance(checkpoint["rng"], dict):
        raise ValueError("its optimizer or random number generator state is not a dict")
    if (checkpoint["scheduler"] is not None) != (config.schedule == "onecycle"):
        raise ValueError(f"its scheduler state does not match its {config.schedule} schedule")
    fields = {key: checkpoint[key] for key in CONTENTS}
    return Checkpoint(**{**fields, "model_config": model_config, "train_config": config})


def _config(kind: type, checkpoint: dict[str, Any], key: str) -> Any:
    try:
        return config_from_dict(kind, checkpoint[key])
    except ConfigError as exc:
        raise ValueError(f"its {key} is not valid: {exc}") from None


def _check_weights(checkpoint: dict[str, Any], config: ModelConfig) -> None:
    try:
        build_model(config).load_state_dict(checkpoint["model"])
    except (RuntimeError, TypeError, ValueError, AttributeError) as exc:
        reason = " ".join(str(exc).split())  # load_state_dict's message spans lines
        raise ValueError(f"its weights do not fit LeNet-5: {reason}") from None
    if not all(torch.isfinite(tensor).all() for tensor in checkpoint["model"].values()):
        raise ValueError("its weights are not all finite")


def _check_progress(checkpoint: dict[str, Any], config: TrainConfig) -> None:
    """The epoch, the history up to it, the last evaluation, and the calibration, if any."""
    epoch, history, test = checkpoint["epoch"], checkpoint["history"], checkpoint["test"]
    if not (_is_int(epoch) and 1 <= epoch <= config.epochs):
        raise ValueError(f"its epoch must be an integer from 1 to {config.epochs}, got {epoch!r}")
    rows_ok = isinstance(history, list) and all(
        isinstance(row, dict)
        and set(row) == set(HISTORY_KEYS)
        and all(map(_is_number, row.values()))
        for row in history
    )
    if not rows_ok or [row["epoch"] for row in history] != list(range(1, epoch + 1)):
        raise ValueError(
            f"its history must hold one row of numbers for each of epochs 1 to {epoch}"
        )
    classes = len(LABELS)
    test_ok = (
        isinstance(test, dict)
        and _is_number(test.get("loss"))
        and _is_number(test.get("accuracy"))
        and 0 <= test["accuracy"] <= 1
        and _numbers(test.get("per_class_recall"), classes)
        and isinstance(test.get("confusion"), list)
        and all(_numbers(row, classes) for row in test["confusion"])
    )
    if not test_ok:
        raise ValueError("its test evaluation is not a loss, an accuracy, recalls and a confusion")
    calibration = checkpoint["calibration"]
    if calibration is not None and not (
        isinstance(calibration, dict)
        and all(map(_is_number, calibration.values()))
        and calibration.get("temperature", 0) > 0
        and 0 <= calibration.get("confidence_threshold", -1) <= 1
    ):
        raise ValueError("its calibration is not a positive temperature, a threshold and figures")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _numbers(values: Any, count: int) -> bool:
    return isinstance(values, list) and len(values) == count and all(map(_is_number, values))
