"""Time to 99%, as a ratio to one epoch of the seed recipe timed in the same run.

    python bench/time_to_99.py --data-dir ../shared/mnist                  # 5 seeds, CPU
    python bench/time_to_99.py --data-dir ../shared/mnist --device cuda    # on a GPU
    python bench/time_to_99.py --data-dir ../shared/mnist --set epochs=3 --set lr=0.01

For each seed: one epoch of the `seed` recipe (batch 64, SGD) is timed, the
yardstick of how fast the machine is just then; the recipe (default: fast) then
trains through train.py's path, with the 10,000 test images evaluated after every
epoch. Its time to 99% is the loading of the training images onto the device plus
the training seconds of every epoch up to the first at or over 99%. The clock
counts every training step (shuffling, batches, forward, backward, optimizer) and
leaves out the test evaluations, the checkpoints and the calibration after the
last epoch. Nothing is compiled. The ratio time / yardstick is what compares
across machines: absolute times on a shared VM vary by half from one minute to
the next. `--set NAME=VALUE` changes one of the recipe's settings (a TrainConfig
field, the value in JSON), to measure a variant the same way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lenet.data import Split, load_split  # noqa: E402
from lenet.mnist_files import DEFAULT_DATA_DIR  # noqa: E402
from lenet.recipes import RECIPES, ConfigError, TrainConfig, resolve_config  # noqa: E402
from lenet.training import fit, select_device, split_training, start_run, train_epoch  # noqa: E402

TARGET = 0.99
RATIO_TARGET = 2.3  # seed-recipe epochs (issue 14)


def seed_epoch_seconds(images: Split, device: torch.device, seed: int) -> float:
    """Seconds of one epoch of the seed recipe, as train.py trains it, from fresh weights."""
    config = resolve_config("seed", {"seed": seed})
    train, _ = split_training(images, config)
    run = start_run(config, device, steps_per_epoch=1)
    synchronize(device)
    started = time.perf_counter()
    train_epoch(run.model, run.optimizer, run.scheduler, train, config, run.generator)
    synchronize(device)
    return time.perf_counter() - started


def time_to_target(
    data_dir: Path, test: Split, device: torch.device, config: TrainConfig
) -> tuple[float | None, int | None, float, float]:
    """(seconds to TARGET or None, the epoch it was reached in, its accuracy, load seconds)."""
    synchronize(device)
    started = time.perf_counter()
    train, validation = split_training(load_split(data_dir, True, device, download=False), config)
    synchronize(device)
    load_seconds = time.perf_counter() - started
    clock, reached, accuracy = load_seconds, None, 0.0

    def on_epoch(row: dict) -> None:
        nonlocal clock, reached, accuracy
        if reached is None:
            clock += row["train_seconds"]
            accuracy = row["test_accuracy"]
            if accuracy >= TARGET:
                reached = row["epoch"]

    with tempfile.TemporaryDirectory() as run_dir:
        fit(config, train, validation, test, run_dir, on_epoch=on_epoch, show_progress=False)
    return (clock if reached else None), reached, accuracy, load_seconds


def parse_setting(text: str) -> tuple[str, object]:
    """("lr", 0.01) from "lr=0.01"; ValueError if it is not NAME=VALUE with a JSON value."""
    name, equals, value = text.partition("=")
    if not equals:
        raise ValueError(f"--set {text!r}: expected NAME=VALUE")
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError:
        raise ValueError(f"--set {text!r}: expected NAME=VALUE, the value in JSON") from None


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: data/ in the repo"
    )
    parser.add_argument("--recipe", default="fast", choices=list(RECIPES))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="change a setting"
    )
    args = parser.parse_args()
    try:
        changes = dict(parse_setting(text) for text in args.set)
        resolve_config(args.recipe, changes)
    except (ConfigError, ValueError) as exc:
        parser.error(str(exc))

    device = select_device(args.device)
    training_images = load_split(args.data_dir, True, device, download=False)
    test = load_split(args.data_dir, False, device, download=False)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    changed = "".join(f", {key}={value}" for key, value in changes.items())
    print(
        f"{args.recipe} recipe{changed} on {device} ({name}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, no compile; target {100 * TARGET:.0f}% within "
        f"{RATIO_TARGET} seed-recipe epochs"
    )
    print("seed   seed epoch s   time to 99% s   (of it loading)   epochs   accuracy   ratio")
    ratios = []  # of the seeds that reached TARGET
    for seed in args.seeds:
        yardstick = seed_epoch_seconds(training_images, device, seed)
        config = resolve_config(args.recipe, {**changes, "seed": seed})
        seconds, epochs, accuracy, load = time_to_target(args.data_dir, test, device, config)
        if seconds is None:
            reached = (
                f"{'not reached':>13}   {load:15.2f}   {'-':>6}   {100 * accuracy:7.2f}%   {'-':>5}"
            )
        else:
            ratios.append(seconds / yardstick)
            reached = (
                f"{seconds:13.2f}   {load:15.2f}   {epochs:>6}   {100 * accuracy:7.2f}%   "
                f"{ratios[-1]:5.2f}"
            )
        print(f"{seed:>4}   {yardstick:12.2f}   {reached}", flush=True)
    met = sum(ratio <= RATIO_TARGET for ratio in ratios)
    summary = f"{met} of {len(args.seeds)} seeds reached {100 * TARGET:.0f}% within {RATIO_TARGET}"
    if ratios:
        summary += (
            f"; ratio median {statistics.median(ratios):.2f}, worst {max(ratios):.2f} "
            f"seed-recipe epochs (of the {len(ratios)} that reached it)"
        )
    print(summary)


if __name__ == "__main__":
    main()
