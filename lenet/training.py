"""The training loop: batches drawn from tensors, evaluation, resumable runs.

`fit` trains a LeNet-5 under a TrainConfig, evaluates on the test split after
every epoch and writes a crash-safe checkpoint at each epoch's end, with the
optimizer, scheduler and RNG state, so an interrupted run resumes to the same
final weights (on the CPU) as an uninterrupted one. On CUDA each training step is
replayed from a captured CUDA graph (lenet/graph_step.py), unless asked otherwise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from lenet.augment import augment
from lenet.calibration import calibrate
from lenet.checkpoint import CHECKPOINT_NAME, Checkpoint, CheckpointError, save_checkpoint
from lenet.contract import LABELS
from lenet.data import Split
from lenet.drawn import drawn_digits
from lenet.graph_step import StaticStep
from lenet.model import LeNet5, build_model
from lenet.outliers import OUTLIER_SHARE, digit_fragments, outlier_batch
from lenet.recipes import TrainConfig

NUM_CLASSES = len(LABELS)


class TrainingDiverged(RuntimeError):
    """The loss stopped being finite; the last good checkpoint is kept."""


def select_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA, then Apple's MPS, then the CPU; `cuda`/`cpu` are taken as asked."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda was asked for, but no CUDA GPU is available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device mps was asked for, but MPS is not available")
    if name not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown device {name!r}; choose auto, cpu, cuda or mps")
    return torch.device(name)


def use_cuda_graph(requested: bool | None, device: torch.device) -> bool:
    """Whether a run's steps are captured as a CUDA graph: `None` means on CUDA only.

    Raises ValueError if asked for on a device other than CUDA.
    """
    if requested and device.type != "cuda":
        raise ValueError(f"a CUDA graph needs a CUDA device; this run is on {device.type}")
    return device.type == "cuda" if requested is None else requested


def place_model(model: LeNet5, device: torch.device) -> LeNet5:
    """`model` on `device`, in the memory format its training steps run fastest in there.

    On the CPU that is channels-last (NHWC): oneDNN's convolutions and max-pooling run
    faster in it, about a tenth off a step (BENCHMARKS.md section 2). A (N, 1, 28, 28) batch
    has the same bytes in either format, so the data needs no conversion.
    """
    model = model.to(device)
    if device.type == "cpu":
        model = model.to(memory_format=torch.channels_last)
    return model


@torch.inference_mode()
def evaluate(model: torch.nn.Module, split: Split, batch_size: int = 1000) -> dict[str, Any]:
    """Mean loss, accuracy, per-class recall and the confusion matrix (rows: true label)."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=split.images.device)
    confusion = torch.zeros(NUM_CLASSES * NUM_CLASSES, dtype=torch.long, device=split.images.device)
    for start in range(0, len(split), batch_size):
        images = split.images[start : start + batch_size]
        labels = split.labels[start : start + batch_size]
        logits = model(images)
        loss_sum += F.cross_entropy(logits, labels, reduction="sum")
        confusion += torch.bincount(
            labels * NUM_CLASSES + logits.argmax(1), minlength=NUM_CLASSES * NUM_CLASSES
        )
    model.train(was_training)
    confusion = confusion.view(NUM_CLASSES, NUM_CLASSES).cpu()
    per_class = confusion.diag() / confusion.sum(1).clamp(min=1)
    return {
        "loss": loss_sum.item() / len(split),
        "accuracy": confusion.diag().sum().item() / len(split),
        "per_class_recall": [round(r, 6) for r in per_class.tolist()],
        "confusion": confusion.tolist(),
    }


def make_optimizer(
    model: torch.nn.Module, config: TrainConfig, steps_per_epoch: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """The optimizer and (per-step) learning-rate schedule a config asks for.

    The fused kernels (one call updates every parameter) are used on the CPU and CUDA,
    where torch has them (BENCHMARKS.md section 2).
    """
    fused = next(model.parameters()).device.type in ("cpu", "cuda")
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(
            model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
            fused=fused,
        )
    else:
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=fused
        )
    scheduler = None
    if config.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, epochs=config.epochs, steps_per_epoch=steps_per_epoch
        )
    return optimizer, scheduler


def train_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    split: Split,
    config: TrainConfig,
    generator: torch.Generator,
    max_batches: int | None = None,
    progress: str | None = None,
) -> float:
    """One pass over `split` in a shuffled order; returns the mean training loss.

    The loss is accumulated on the device and read once at the end, so a GPU
    is never made to wait for the host inside the loop.
    """
    model.train()
    n = len(split)
    order = torch.randperm(n, generator=generator).to(split.images.device)
    images, labels = split.images[order], split.labels[order]  # one gather; batches are views
    starts = range(0, n, config.batch_size)
    if max_batches is not None:
        starts = starts[:max_batches]
    loss_sum = torch.zeros((), device=images.device)
    seen = 0
    for start in tqdm(starts, desc=progress, leave=False, disable=progress is None, unit="batch"):
        x = images[start : start + config.batch_size]
        y = labels[start : start + config.batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = step_loss(model, x, y, config)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        loss_sum += loss.detach() * len(y)
        seen += len(y)
    return loss_sum.item() / seen


def step_loss(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, config: TrainConfig
) -> torch.Tensor:
    """The training loss on one batch: cross-entropy, plus outlier exposure if configured.

    Outlier exposure (Hendrycks et al. 2019) adds OUTLIER_SHARE as many non-digits to the
    batch and the cross-entropy of their outputs against the uniform distribution, so the
    network learns to spread its probability over shapes that are not digits.
    """
    digits = augment(x) if config.augment else x
    if config.drawn_digits:
        drawn, drawn_labels = drawn_digits(round(len(y) * config.drawn_digits), x.device)
        digits, y = torch.cat([digits, drawn]), torch.cat([y, drawn_labels])
    if not config.outlier_exposure:
        return F.cross_entropy(model(digits), y, label_smoothing=config.label_smoothing)
    count = round(len(y) * OUTLIER_SHARE)
    fragments = round(count * config.fragment_outliers)
    outliers = torch.cat(
        [outlier_batch(count - fragments, x.device), digit_fragments(digits, fragments)]
    )
    logits = model(torch.cat([digits, outliers]))
    loss = F.cross_entropy(logits[: len(y)], y, label_smoothing=config.label_smoothing)
    uniform = -F.log_softmax(logits[len(y) :], 1).mean()
    return loss + config.outlier_exposure * uniform


def split_training(train: Split, config: TrainConfig) -> tuple[Split, Split]:
    """(the images a run trains on, the images it calibrates on), from MNIST's training split.

    The last `config.validation` images are held out; `config.train_subset` then takes the
    first N of the rest. Raises ValueError if there are too few images to hold out.
    """
    train, validation = train.hold_out(config.validation)
    return train.subset(config.train_subset), validation


@dataclass
class RunState:
    """What a run carries from one epoch to the next; `checkpoint()` is what it saves."""

    config: TrainConfig
    model: LeNet5
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    generator: torch.Generator  # the shuffling order, on the CPU
    history: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)  # the last evaluation
    calibration: dict[str, float] | None = None  # once the last epoch is calibrated
    # The step replayed as a CUDA graph, or None for the eager loop; not saved: a resumed
    # run captures its own.
    static_step: StaticStep | None = None

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(
            model_config=self.model.config,
            model=self.model.state_dict(),
            train_config=self.config,
            epoch=len(self.history),
            optimizer=self.optimizer.state_dict(),
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            rng=_rng_state(self.generator),
            history=self.history,
            test=self.result,
            calibration=self.calibration,
        )


def start_run(
    config: TrainConfig,
    device: torch.device,
    steps_per_epoch: int,
    resume: Checkpoint | None = None,
) -> RunState:
    """A fresh run seeded from `config.seed`, or the run `resume` (a checkpoint) left off.

    Raises CheckpointError if the checkpoint's training state does not fit its config.
    """
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = place_model(build_model(config.model_config()), device)
    optimizer, scheduler = make_optimizer(model, config, steps_per_epoch)
    run = RunState(config, model, optimizer, scheduler, generator)
    if resume is None:
        return run
    try:
        model.load_state_dict(resume.model)
        optimizer.load_state_dict(resume.optimizer)
        if scheduler is not None:
            scheduler.load_state_dict(resume.scheduler)
        _set_rng_state(resume.rng, generator)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        reason = " ".join(str(exc).split())
        raise CheckpointError(
            f"the checkpoint's optimizer, schedule or random state does not fit it ({reason})"
        ) from None
    run.history, run.result = list(resume.history), resume.test
    run.calibration = resume.calibration
    return run


def fit(
    config: TrainConfig,
    train: Split,
    validation: Split,
    test: Split,
    run_dir: str | Path,
    resume: Checkpoint | None = None,
    max_batches: int | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    show_progress: bool = True,
    cuda_graph: bool | None = None,
    on_capture: Callable[[float], None] | None = None,
) -> tuple[LeNet5, list[dict[str, Any]], dict[str, Any]]:
    """Train (or resume) a run; returns the model, the per-epoch history and the last evaluation.

    `train` and `validation` are split_training's. After each epoch the test split is
    evaluated, `run_dir/checkpoint.pt` is replaced atomically and `on_epoch(row)` is
    called. A non-finite loss raises TrainingDiverged before that epoch's checkpoint is
    written. After the last epoch the probabilities are calibrated on `validation`
    (lenet/calibration.py); the result's "calibration" holds the fit, and the checkpoint is
    written once more with it. A run resumed after its last epoch is only calibrated, if
    it was not yet.

    `cuda_graph` (default: on CUDA) replays each full batch's step from a captured CUDA
    graph (lenet/graph_step.py); ValueError if asked for off CUDA. After the epoch in
    which the step was captured, `on_capture(seconds)` gets the seconds that the warm-up
    steps and the capture took; they are part of that epoch's training seconds.
    """
    graph = use_cuda_graph(cuda_graph, train.images.device)
    checkpoint_path = Path(run_dir) / CHECKPOINT_NAME
    checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
    steps = math.ceil(len(train) / config.batch_size)
    if max_batches is not None:
        steps = min(steps, max_batches)
    run = start_run(config, train.images.device, steps, resume)
    if graph:
        run.static_step = StaticStep(
            run.model, run.optimizer, train, config, step_loss, capture=True
        )
    reported = False  # the capture's seconds, to on_capture
    for epoch in range(len(run.history) + 1, config.epochs + 1):
        progress = f"epoch {epoch}/{config.epochs}" if show_progress else None
        row = run_epoch(run, train, test, max_batches, progress)
        save_checkpoint(checkpoint_path, run.checkpoint())
        if on_epoch is not None:
            on_epoch(row)
        seconds = run.static_step.capture_seconds if run.static_step is not None else None
        if seconds is not None and not reported:
            reported = True
            if on_capture is not None:
                on_capture(seconds)
    if run.calibration is None:
        run.calibration = calibrate(run.model, validation, test)
        save_checkpoint(checkpoint_path, run.checkpoint())
    return run.model, run.history, {**run.result, "calibration": run.calibration}


def run_epoch(
    run: RunState, train: Split, test: Split, max_batches: int | None, progress: str | None
) -> dict[str, Any]:
    """Train one epoch and evaluate on `test`; append the epoch's row to the history.

    Raises TrainingDiverged, leaving `run` as it was, if the loss is no longer finite.
    """
    epoch, config = len(run.history) + 1, run.config
    started = time.perf_counter()
    if run.static_step is None:
        train_loss = train_epoch(
            run.model,
            run.optimizer,
            run.scheduler,
            train,
            config,
            run.generator,
            max_batches,
            progress,
        )
    else:
        train_loss = run.static_step.train_epoch(
            run.scheduler, run.generator, max_batches, progress
        )
    seconds = time.perf_counter() - started
    result = evaluate(run.model, test, config.test_batch_size)
    if not (math.isfinite(train_loss) and math.isfinite(result["loss"])):
        kept = f"epoch {epoch - 1}'s checkpoint is kept" if epoch > 1 else "no checkpoint"
        raise TrainingDiverged(f"the loss became {train_loss} in epoch {epoch}; stopped ({kept})")
    row = {
        "epoch": epoch,
        "train_loss": train_loss,
        "test_loss": result["loss"],
        "test_accuracy": result["accuracy"],
        "train_seconds": seconds,
    }
    run.history.append(row)
    run.result, run.calibration = result, None  # a calibration is for the last epoch only
    return row


def _rng_state(generator: torch.Generator) -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "sampler": generator.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any], generator: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    generator.set_state(state["sampler"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
