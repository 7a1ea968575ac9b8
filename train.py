"""Train LeNet-5 on MNIST and write a run folder.

    python train.py --data-dir ../shared/mnist        # the seed's recipe: ~98% after 10 epochs
    python train.py --resume runs/seed-20261127-160300  # continue an interrupted run
    python train.py --dry-run                          # a seconds-long smoke run (CI)

The run folder gets checkpoint.pt (rebuilds itself and resumes), history.csv
(one row per epoch), metrics.json, curves.png and confusion.png. Ctrl-C or a
kill leaves the last completed epoch's checkpoint intact. On CUDA each training
step is replayed from a captured CUDA graph (lenet/graph_step.py); --no-cuda-graph
runs the steps eagerly.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lenet.cli import DATA_DIR_HINT, Parser, add_data_options, die, flag
from lenet.recipes import OPTIMIZERS, RECIPES, SCHEDULES, ConfigError, TrainConfig, resolve_config

if TYPE_CHECKING:  # torch loads only once the flags are checked
    from lenet.checkpoint import Checkpoint

REPO = Path(__file__).resolve().parent
DRY_RUN_BATCHES = 10
DRY_RUN_TEST_IMAGES = 1000
# Every TrainConfig field but the recipe's name has a flag of its own (see add_hyperparameters).
HYPERPARAMETERS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name != "recipe")


def build_parser() -> Parser:
    parser = Parser(description=__doc__.split("\n\n")[0])
    add_hyperparameters(parser)
    add_run_options(parser)
    return parser


def add_hyperparameters(parser: argparse.ArgumentParser) -> None:
    """--recipe, and a flag for each hyperparameter; unset, it keeps the recipe's value."""
    group = parser.add_argument_group("hyperparameters (each overrides the recipe's value)")
    group.add_argument(
        "--recipe", choices=list(RECIPES), help="named set of hyperparameters (default: seed)"
    )
    flags = [
        group.add_argument("--batch-size", type=int, help="input batch size for training"),
        group.add_argument("--test-batch-size", type=int, help="input batch size for testing"),
        group.add_argument("--epochs", type=int, help="number of epochs to train"),
        group.add_argument("--lr", type=float, help="learning rate (the peak under onecycle)"),
        group.add_argument("--momentum", type=float, help="SGD momentum"),
        group.add_argument("--optimizer", choices=OPTIMIZERS, help="optimizer"),
        group.add_argument("--weight-decay", type=float, help="weight decay"),
        group.add_argument(
            "--schedule", choices=SCHEDULES, help="learning-rate schedule (onecycle: per batch)"
        ),
        group.add_argument("--label-smoothing", type=float, help="label smoothing of the loss"),
        group.add_argument(
            "--augment",
            action=argparse.BooleanOptionalAction,
            help="random slant, proportions, elastic wobble and pen width",
        ),
        group.add_argument("--conv-dropout", type=float, help="dropout rate after conv2"),
        group.add_argument("--fc-dropout", type=float, help="dropout rate after fc1"),
        group.add_argument("--seed", type=int, help="random seed"),
        group.add_argument(
            "--train-subset", type=int, metavar="N", help="train on the first N images only"
        ),
        group.add_argument(
            "--validation", type=int, metavar="N", help="hold out the last N images to calibrate"
        ),
        group.add_argument(
            "--outlier-exposure", type=float, help="weight of the loss that makes non-digits unsure"
        ),
        group.add_argument(
            "--drawn-digits",
            type=float,
            metavar="SHARE",
            help="digits drawn as pen strokes added to each batch, per MNIST digit",
        ),
        group.add_argument(
            "--fragment-outliers",
            type=float,
            metavar="SHARE",
            help="share of the outliers cut from the batch's digits (pairs, parts)",
        ),
    ]
    seed = RECIPES["seed"]
    for action in flags:  # the default shown is read from the seed recipe, not retyped
        default = getattr(seed, action.dest)
        action.help += f" (seed recipe: {'all' if default is None else default})"


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Where the data and the run folder are, resuming, and the dry run."""
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: auto)")
    parser.add_argument(
        "--cuda-graph",
        action=argparse.BooleanOptionalAction,
        help="replay each training step from a captured CUDA graph; --no-cuda-graph runs the "
        "steps eagerly (default: on when training on CUDA)",
    )
    add_data_options(parser, "to train and test on")
    parser.add_argument(
        "--out", type=Path, help="run folder (default: runs/<recipe>-<date>-<time> in the repo)"
    )
    parser.add_argument(
        "--resume", type=Path, metavar="RUN", help="continue the run in this folder (or file)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=f"smoke run: 1 epoch of {DRY_RUN_BATCHES} batches, "
        f"tested on {DRY_RUN_TEST_IMAGES} images",
    )


def plan_run(args: argparse.Namespace) -> tuple[TrainConfig, Checkpoint | None, Path]:
    """The run's config, the checkpoint it resumes (or None) and its folder; writes nothing."""
    if args.resume is not None:
        return plan_resume(args)
    overrides = {name: getattr(args, name) for name in HYPERPARAMETERS}
    if args.dry_run:
        overrides["epochs"] = 1
    config = resolve_config(args.recipe or "seed", overrides)  # before torch is imported

    from lenet.checkpoint import CHECKPOINT_NAME

    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"dry-run-{stamp}" if args.dry_run else f"{config.recipe}-{stamp}"
    run_dir = args.out or REPO / "runs" / name
    if (run_dir / CHECKPOINT_NAME).exists():
        raise ValueError(
            f"{run_dir} already holds a run; continue it with --resume "
            f"{run_dir} or choose another --out"
        )
    return config, None, run_dir


def plan_resume(args: argparse.Namespace) -> tuple[TrainConfig, Checkpoint, Path]:
    """A run to continue: one cut short, or a finished one whose report is missing."""
    from lenet.checkpoint import load_checkpoint, resolve_checkpoint_path
    from lenet.report import report_is_complete

    checkpoint = load_checkpoint(args.resume)
    config = resumed_config(args, checkpoint)
    run_dir = args.out or resolve_checkpoint_path(args.resume).parent
    finished = checkpoint.finished and checkpoint.epoch >= config.epochs
    if finished and report_is_complete(run_dir):
        raise ValueError(
            f"the run already has {checkpoint.epoch} of {config.epochs} epochs; "
            "pass --epochs N to train further"
        )
    return config, checkpoint, run_dir


def resumed_config(args: argparse.Namespace, checkpoint: Checkpoint) -> TrainConfig:
    """The checkpoint's own config; only --epochs may change it (to train longer)."""
    config = checkpoint.train_config
    changed = [name for name in HYPERPARAMETERS if getattr(args, name) is not None]
    changed = (["recipe"] if args.recipe is not None else []) + [
        n for n in changed if n != "epochs"
    ]
    if changed:
        names = ", ".join(flag(name) for name in changed)
        raise ValueError(f"{names} cannot change on --resume; only --epochs may (to train longer)")
    if args.epochs is None:
        return config
    if config.schedule == "onecycle" and args.epochs != config.epochs:
        raise ValueError("a onecycle schedule is fixed to its epochs; --epochs cannot change")
    return dataclasses.replace(config, epochs=args.epochs)


def load_data(args: argparse.Namespace, config: TrainConfig, device) -> tuple:
    """(the images trained on, those calibrated on, the test images) on `device`."""
    from lenet.data import load_mnist
    from lenet.training import split_training

    train, test = load_mnist(args.data_dir, device, download=not args.no_download)
    try:
        train, validation = split_training(train, config)
    except ValueError as exc:
        raise ValueError(f"{flag('validation')}: {exc}") from None
    if args.dry_run:
        test = test.subset(DRY_RUN_TEST_IMAGES)
    return train, validation, test


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A kill (SIGTERM) stops like Ctrl-C: the last completed epoch's checkpoint stays.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run(args)
    except ConfigError as exc:  # a flag's value that cannot train
        parser.error(f"argument {flag(exc.name)}: {exc.reason}")
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the last completed epoch's checkpoint is intact; "
            "continue with --resume",
            file=sys.stderr,
        )
        return 130


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    config, checkpoint, run_dir, device, graph, (train, validation, test) = prepare(args)
    steps = ", each step a CUDA graph" if graph else ""
    print(
        f"{config.recipe} recipe on {device}{steps}: {len(train):,} training, "
        f"{len(validation):,} held out to calibrate on, {len(test):,} test images -> {run_dir}"
    )
    print("config: " + json.dumps(dataclasses.asdict(config)))
    splits = (train, validation, test)
    metrics = train_and_report(args, config, checkpoint, run_dir, device, graph, splits, started)
    calibration = metrics["calibration"]
    print(
        f"calibrated on {len(validation):,} held-out images: temperature "
        f"{calibration['temperature']:.3f}; test ECE {100 * calibration['test_ece_before']:.2f}% "
        f"-> {100 * calibration['test_ece']:.2f}%; not sure below a top probability of "
        f"{calibration['confidence_threshold']:.3f}"
    )
    print(
        f"test accuracy {100 * metrics['test_accuracy']:.2f}%  ({metrics['epochs']} epochs, "
        f"{metrics['train_seconds']:.1f} s of training); wrote {run_dir}"
    )
    return 0


def prepare(args: argparse.Namespace):
    """Everything checked before an epoch is spent: the config, the checkpoint, the device
    (and whether its steps are CUDA graphs), a writable run folder and MNIST. Bad input
    ends here with one line (a ConfigError is left to main, which names its flag)."""
    from lenet.files import check_writable
    from lenet.mnist_files import DataError

    try:
        config, checkpoint, run_dir = plan_run(args)  # a bad flag fails here, before torch loads
        from lenet.training import select_device, use_cuda_graph

        device = select_device(args.device)
        try:
            graph = use_cuda_graph(args.cuda_graph, device)
        except ValueError as exc:
            raise ValueError(f"{flag('cuda_graph')}: {exc}") from None
        check_writable(run_dir)
        return config, checkpoint, run_dir, device, graph, load_data(args, config, device)
    except ConfigError:
        raise
    except DataError as exc:
        die(f"{exc}; {DATA_DIR_HINT}")
    except (ValueError, OSError) as exc:  # a CheckpointError is a ValueError
        die(str(exc))


def train_and_report(
    args: argparse.Namespace,
    config: TrainConfig,
    checkpoint: Checkpoint | None,
    run_dir: Path,
    device,
    graph: bool,
    splits: tuple,
    started: float,
) -> dict:
    """Train (or finish) the run, print a line per epoch, write its report; its metrics.

    A failure ends here with one line that says what is kept: a diverged loss, a
    checkpoint whose training state does not fit, or a file that cannot be written.
    """
    from lenet.checkpoint import CheckpointError
    from lenet.files import WriteError
    from lenet.model import count_parameters
    from lenet.report import run_metrics, write_report
    from lenet.training import TrainingDiverged, fit

    train, validation, test = splits
    saved: list[dict] = list(checkpoint.history) if checkpoint else []  # epochs in checkpoint
    try:
        model, history, result = fit(
            config,
            train,
            validation,
            test,
            run_dir,
            resume=checkpoint,
            max_batches=DRY_RUN_BATCHES if args.dry_run else None,
            on_epoch=epoch_logger(config, run_dir, saved),
            show_progress=sys.stderr.isatty(),
            cuda_graph=graph,
            on_capture=log_capture,
        )
        metrics = run_metrics(
            config,
            history,
            result,
            parameters=count_parameters(model),
            wall_seconds=time.perf_counter() - started,
            device=device,
            train_images=len(train),
            test_images=len(test),
            dry_run=args.dry_run,
        )
        write_report(run_dir, history, metrics)
    except TrainingDiverged as exc:
        die(f"{exc}; try a smaller {flag('lr')}")
    except CheckpointError as exc:
        die(str(exc))
    except WriteError as exc:
        kept = (
            f"epoch {len(saved)}'s checkpoint is intact: continue with --resume {run_dir} "
            "once it can be written"
            if saved
            else "no epoch was saved"
        )
        die(f"{exc}; {kept}")
    return metrics


def epoch_logger(config: TrainConfig, run_dir: Path, saved: list[dict]):
    """fit()'s on_epoch: after each epoch's checkpoint, history.csv and one printed line.

    `saved` is the history the checkpoint holds so far; each epoch's row joins it.
    """
    from lenet.report import write_history

    def on_epoch(row: dict) -> None:
        saved.append(row)
        write_history(run_dir, saved)
        print(
            f"epoch {row['epoch']:>3}/{config.epochs}  train loss {row['train_loss']:.4f}  "
            f"test loss {row['test_loss']:.4f}  test acc {100 * row['test_accuracy']:.2f}%  "
            f"{row['train_seconds']:.1f} s",
            flush=True,
        )

    return on_epoch


def log_capture(seconds: float) -> None:
    """fit()'s on_capture: one line, after the epoch that paid for the CUDA graph's capture."""
    from lenet.graph_step import WARMUP_STEPS

    print(
        f"CUDA graph: {WARMUP_STEPS} eager warm-up steps and the capture took {seconds:.2f} s "
        "(counted in the epoch above)",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
