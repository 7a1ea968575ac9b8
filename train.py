"""Train LeNet-5 on MNIST and write a run folder.

    python train.py --data-dir ../shared/mnist        # the seed's recipe: ~98% after 10 epochs
    python train.py --resume runs/seed-20261127-160300  # continue an interrupted run
    python train.py --dry-run                          # a seconds-long smoke run (CI)

The run folder gets checkpoint.pt (rebuilds itself and resumes), history.csv
(one row per epoch), metrics.json, curves.png and confusion.png. Ctrl-C or a
kill leaves the last completed epoch's checkpoint intact.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import time
from pathlib import Path

from lenet.cli import Parser, die, positive_float, positive_int
from lenet.contract import LABELS
from lenet.recipes import RECIPES, TrainConfig, resolve_config

REPO = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = REPO / "data"
DRY_RUN_BATCHES = 10
DRY_RUN_TEST_IMAGES = 1000

# Flags that set a TrainConfig field; their default (None) means "the recipe's value".
HYPERPARAMETER_FLAGS = {
    "batch_size": (positive_int, "input batch size for training"),
    "test_batch_size": (positive_int, "input batch size for testing"),
    "epochs": (positive_int, "number of epochs to train"),
    "lr": (positive_float, "learning rate (the peak rate under a onecycle schedule)"),
    "momentum": (float, "SGD momentum"),
    "optimizer": (str, "sgd or adamw"),
    "weight_decay": (float, "weight decay"),
    "schedule": (str, "constant or onecycle (per-step)"),
    "label_smoothing": (float, "label smoothing of the cross-entropy loss"),
    "conv_dropout": (float, "dropout rate after conv2"),
    "fc_dropout": (float, "dropout rate after fc1"),
    "seed": (int, "random seed"),
    "train_subset": (positive_int, "train on the first N training images only"),
    "validation": (positive_int, "hold out the last N training images to calibrate on"),
    "outlier_exposure": (float, "weight of the loss that makes non-digits come out unsure"),
}


def build_parser() -> Parser:
    parser = Parser(description=__doc__.split("\n\n")[0])
    seed = RECIPES["seed"]
    parser.add_argument(
        "--recipe",
        default=None,
        choices=list(RECIPES),
        help="named set of hyperparameters (default: seed)",
    )
    for name, (kind, text) in HYPERPARAMETER_FLAGS.items():
        default = getattr(seed, name)
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=kind,
            default=None,
            help=f"{text} (seed recipe: {'all' if default is None else default})",
        )
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="random slant, proportions, elastic wobble and pen width (--no-augment)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: auto)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="folder holding MNIST/raw; downloaded there if missing (default: data/ in the repo)",
    )
    parser.add_argument(
        "--no-download",
        action="store_true",
        help="fail instead of downloading MNIST when it is missing",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="run folder (default: runs/<recipe>-<date>-<time> in the repo)",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="RUN",
        help="continue the run in this folder (or checkpoint file)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=f"smoke run: 1 epoch of {DRY_RUN_BATCHES} batches, "
        f"tested on {DRY_RUN_TEST_IMAGES} images",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> tuple[TrainConfig, dict | None]:
    """The run's TrainConfig, and the checkpoint to resume from (if any)."""
    from lenet.checkpoint import load_checkpoint

    overrides = {name: getattr(args, name) for name in [*HYPERPARAMETER_FLAGS, "augment"]}
    if args.dry_run:
        overrides["epochs"] = 1
    if args.resume is None:
        return resolve_config(args.recipe or "seed", overrides), None

    checkpoint = load_checkpoint(args.resume)
    config = TrainConfig(**checkpoint["train_config"])
    changed = [k for k, v in overrides.items() if v is not None and k != "epochs"]
    if args.recipe is not None:
        changed.insert(0, "recipe")
    if changed:
        names = ", ".join("--" + k.replace("_", "-") for k in changed)
        raise ValueError(f"{names} cannot change on --resume; only --epochs may (to train longer)")
    if args.epochs is not None:
        if config.schedule == "onecycle" and args.epochs != config.epochs:
            raise ValueError("a onecycle schedule is fixed to its epochs; --epochs cannot change")
        config = dataclasses.replace(config, epochs=args.epochs)
    if checkpoint["epoch"] >= config.epochs:
        raise ValueError(
            f"the run already has {checkpoint['epoch']} of {config.epochs} epochs; "
            "pass --epochs N to train further"
        )
    return config, checkpoint


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A kill (SIGTERM) stops like Ctrl-C: the last completed epoch's checkpoint stays.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run(args)
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the last completed epoch's checkpoint is intact; "
            "continue with --resume",
            file=sys.stderr,
        )
        return 130


def run(args: argparse.Namespace) -> int:
    import torch

    from lenet.checkpoint import CHECKPOINT_NAME, CheckpointError, resolve_checkpoint_path
    from lenet.data import DataError, load_mnist
    from lenet.model import count_parameters
    from lenet.report import (
        library_versions,
        plot_confusion,
        plot_curves,
        write_history,
        write_metrics,
    )
    from lenet.training import TrainingDiverged, fit, select_device

    started = time.perf_counter()
    try:
        config, checkpoint = config_from_args(args)
        device = select_device(args.device)
        if checkpoint is not None:
            run_dir = args.out or resolve_checkpoint_path(args.resume).parent
        else:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = f"dry-run-{stamp}" if args.dry_run else f"{config.recipe}-{stamp}"
            run_dir = args.out or REPO / "runs" / name
            if (run_dir / CHECKPOINT_NAME).exists():
                raise ValueError(
                    f"{run_dir} already holds a run; continue it with --resume "
                    f"{run_dir} or choose another --out"
                )
        run_dir.mkdir(parents=True, exist_ok=True)
        train, test = load_mnist(args.data_dir, device, download=not args.no_download)
    except (ValueError, CheckpointError, DataError, OSError) as exc:
        die(str(exc))
    # As fit() does; for the counts printed here.
    train = train.hold_out(config.validation)[0].subset(config.train_subset)
    if args.dry_run:
        test = test.subset(DRY_RUN_TEST_IMAGES)

    print(
        f"{config.recipe} recipe on {device}: {len(train):,} training, {config.validation:,} "
        f"held out to calibrate on, {len(test):,} test images -> {run_dir}"
    )
    print("config: " + json.dumps(dataclasses.asdict(config)))
    history_so_far: list[dict] = list(checkpoint["history"]) if checkpoint else []

    def on_epoch(row: dict) -> None:
        history_so_far.append(row)
        write_history(run_dir, history_so_far)
        print(
            f"epoch {row['epoch']:>3}/{config.epochs}  train loss {row['train_loss']:.4f}  "
            f"test loss {row['test_loss']:.4f}  test acc {100 * row['test_accuracy']:.2f}%  "
            f"{row['train_seconds']:.1f} s",
            flush=True,
        )

    try:
        model, history, result = fit(
            config,
            train,
            test,
            run_dir,
            resume=checkpoint,
            max_batches=DRY_RUN_BATCHES if args.dry_run else None,
            on_epoch=on_epoch,
            show_progress=sys.stderr.isatty(),
        )
    except TrainingDiverged as exc:
        die(str(exc))

    title = f"LeNet-5 on MNIST, {config.recipe} recipe"
    plot_curves(run_dir, history, title)
    plot_confusion(
        run_dir,
        result["confusion"],
        f"{title}: {100 * result['accuracy']:.2f}% on {len(test):,} test images",
    )
    write_metrics(
        run_dir,
        {
            "recipe": config.recipe,
            "config": dataclasses.asdict(config),
            "epochs": len(history),
            "test_accuracy": result["accuracy"],
            "test_loss": result["loss"],
            "per_class_recall": dict(zip(LABELS, result["per_class_recall"], strict=True)),
            "confusion": result["confusion"],
            "calibration": result["calibration"],
            "parameters": count_parameters(model),
            "train_seconds": sum(row["train_seconds"] for row in history),
            "wall_seconds_this_invocation": time.perf_counter() - started,
            "device": str(device),
            "torch_threads": torch.get_num_threads(),
            "train_images": len(train),
            "test_images": len(test),
            "dry_run": args.dry_run,
            "versions": library_versions(),
        },
    )
    calibration = result["calibration"]
    print(
        f"calibrated on {config.validation:,} held-out images: temperature "
        f"{calibration['temperature']:.3f}; test ECE {100 * calibration['test_ece_before']:.2f}% "
        f"-> {100 * calibration['test_ece']:.2f}%; not sure below a top probability of "
        f"{calibration['confidence_threshold']:.3f}"
    )
    print(
        f"test accuracy {100 * result['accuracy']:.2f}%  ({len(history)} epochs, "
        f"{sum(r['train_seconds'] for r in history):.1f} s of training); wrote {run_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
