"""What a training run leaves in its folder besides the checkpoint: history.csv, the
figures and metrics.json, written last, so that a run whose metrics.json exists has its
whole report."""

from __future__ import annotations

import csv
import io
import json
import platform
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from lenet.contract import LABELS
from lenet.files import atomic_write
from lenet.recipes import TrainConfig

HISTORY_NAME = "history.csv"
METRICS_NAME = "metrics.json"
CURVES_NAME = "curves.png"
CONFUSION_NAME = "confusion.png"
REPORT_NAMES = (HISTORY_NAME, CURVES_NAME, CONFUSION_NAME, METRICS_NAME)  # in writing order


def run_metrics(
    config: TrainConfig,
    history: list[dict[str, Any]],
    result: dict[str, Any],
    *,
    parameters: int,
    wall_seconds: float,
    device: torch.device,
    train_images: int,
    test_images: int,
    dry_run: bool,
) -> dict[str, Any]:
    """metrics.json's contents: the final evaluation and calibration, and how the run went."""
    return {
        "recipe": config.recipe,
        "config": asdict(config),
        "epochs": len(history),
        "test_accuracy": result["accuracy"],
        "test_loss": result["loss"],
        "per_class_recall": dict(zip(LABELS, result["per_class_recall"], strict=True)),
        "confusion": result["confusion"],
        "calibration": result["calibration"],
        "parameters": parameters,
        "train_seconds": sum(row["train_seconds"] for row in history),
        "wall_seconds_this_invocation": wall_seconds,
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "train_images": train_images,
        "test_images": test_images,
        "dry_run": dry_run,
        "versions": library_versions(),
    }


def write_report(run_dir: Path, history: list[dict[str, Any]], metrics: dict[str, Any]) -> None:
    """Every file of REPORT_NAMES, metrics.json last (WriteError if one cannot be written)."""
    title = f"LeNet-5 on MNIST, {metrics['recipe']} recipe"
    write_history(run_dir, history)
    plot_curves(run_dir, history, title)
    accuracy = f"{100 * metrics['test_accuracy']:.2f}% on {metrics['test_images']:,} test images"
    plot_confusion(run_dir, metrics["confusion"], f"{title}: {accuracy}")
    write_metrics(run_dir, metrics)


def report_is_complete(run_dir: Path) -> bool:
    """Whether `run_dir` holds every report file (a run stopped before its end does not)."""
    return all((run_dir / name).is_file() for name in REPORT_NAMES)


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shaped a result."""
    import numpy
    import torchvision  # deferred: slow to import, and only its version is read

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": numpy.__version__,
    }


def write_history(run_dir: Path, history: list[dict[str, Any]]) -> None:
    """Per-epoch metrics as CSV, one row per epoch."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(history[0]))
    writer.writeheader()
    writer.writerows(history)
    atomic_write(run_dir / HISTORY_NAME, buffer.getvalue().encode())


def write_metrics(run_dir: Path, metrics: dict[str, Any]) -> None:
    """metrics.json: final accuracy, per-class recall, parameter count, timings, versions."""
    text = json.dumps(metrics, indent=2) + "\n"
    atomic_write(run_dir / METRICS_NAME, text.encode())


def plot_curves(run_dir: Path, history: list[dict[str, Any]], title: str) -> None:
    """Test loss and test accuracy per epoch (the seed report's Fig. 2)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [row["test_loss"] for row in history], "o-", label="test")
    ax_loss.plot(epochs, [row["train_loss"] for row in history], "s--", alpha=0.6, label="train")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [100 * row["test_accuracy"] for row in history], "o-", color="C2")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
    final = 100 * history[-1]["test_accuracy"]
    ax_acc.annotate(
        f"{final:.2f}%",
        (epochs[-1], final),
        textcoords="offset points",
        xytext=(-10, -15),
        ha="right",
    )
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        if len(epochs) <= 20:  # one tick per epoch while they fit
            ax.set_xticks(epochs)
    fig.suptitle(title)
    fig.tight_layout()
    _save_figure(fig, run_dir / CURVES_NAME)
    plt.close(fig)


def plot_confusion(run_dir: Path, confusion: list[list[int]], title: str) -> None:
    """The test-set confusion matrix, counts in each cell (rows: true label)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    matrix = np.array(confusion)
    fig, ax = plt.subplots(figsize=(6.5, 6))
    # Log colour scale: the diagonal (~1000) would otherwise hide the errors (~1-10).
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            color = "white" if i == j else "black"
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8, color=color)
    ax.set(
        xticks=range(len(LABELS)),
        yticks=range(len(LABELS)),
        xticklabels=LABELS,
        yticklabels=LABELS,
        xlabel="predicted",
        ylabel="true",
        title=title,
    )
    fig.tight_layout()
    _save_figure(fig, run_dir / CONFUSION_NAME)
    plt.close(fig)


def _save_figure(fig: Any, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write(path, buffer.getvalue())
