"""Time to 99%, as a ratio to one epoch of the seed recipe timed in the same run.

    python -m bench.time_to_99 --data-dir ../shared/mnist                  # 5 seeds, CPU
    python -m bench.time_to_99 --data-dir ../shared/mnist --device cuda    # graph and eager
    python -m bench.time_to_99 --data-dir ../shared/mnist --set epochs=3 --set lr=0.01

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

On CUDA the recipe trains twice per seed, side by side: with each step replayed from a
captured CUDA graph (train.py's default there; the eager warm-up steps and the capture
are inside the clock, and also shown on their own) and eagerly. `--no-cuda-graph` times
the eager steps only. The yardstick epoch always runs eagerly.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from bench import harness
from lenet.data import Split, load_split
from lenet.recipes import RECIPES, ConfigError, TrainConfig, resolve_config
from lenet.training import (
    fit,
    select_device,
    split_training,
    start_run,
    train_epoch,
    use_cuda_graph,
)

TARGET = 0.99
RATIO_TARGET = 2.3  # seed-recipe epochs (issue 14)
GPU_TARGET_SECONDS = 0.5  # on one GPU, warm-up and capture included (issue 22)


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
    data_dir: Path, test: Split, device: torch.device, config: TrainConfig, cuda_graph: bool
) -> tuple[float | None, int | None, float, float, float | None]:
    """(seconds to TARGET or None, the epoch it was reached in, its accuracy, load seconds,
    the seconds of the CUDA graph's warm-up and capture, or None without a graph)."""
    synchronize(device)
    started = time.perf_counter()
    train, validation = split_training(load_split(data_dir, True, device, download=False), config)
    synchronize(device)
    load_seconds = time.perf_counter() - started
    clock, reached, accuracy = load_seconds, None, 0.0
    captures: list[float] = []  # fit's on_capture: once, after the capturing epoch

    def on_epoch(row: dict) -> None:
        nonlocal clock, reached, accuracy
        if reached is None:
            clock += row["train_seconds"]
            accuracy = row["test_accuracy"]
            if accuracy >= TARGET:
                reached = row["epoch"]

    with tempfile.TemporaryDirectory() as run_dir:
        fit(
            config,
            train,
            validation,
            test,
            run_dir,
            on_epoch=on_epoch,
            show_progress=False,
            cuda_graph=cuda_graph,
            on_capture=captures.append,
        )
    capture = captures[0] if captures else None
    return (clock if reached else None), reached, accuracy, load_seconds, capture


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


def time_to_99(
    data_dir: Path,
    recipe: str,
    changes: dict,
    device: torch.device,
    seeds: list[int],
    cuda_graph: bool = False,
) -> harness.Table:
    """For each seed, the yardstick epoch and the recipe's time to TARGET, and their ratio;
    with `cuda_graph` (CUDA only), the recipe trained with graphs and eagerly, side by side."""
    modes = [("graph", True), ("eager", False)] if cuda_graph else [("eager", False)]
    training_images = load_split(data_dir, True, device, download=False)
    test = load_split(data_dir, False, device, download=False)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    changed = "".join(f", {key}={value}" for key, value in changes.items())
    title = (
        f"{recipe} recipe{changed} on {device} ({name}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, no compile; target {100 * TARGET:.0f}% within "
        f"{RATIO_TARGET} seed-recipe epochs"
        + (f", and within {GPU_TARGET_SECONDS} s with CUDA graphs" if cuda_graph else "")
    )
    columns = ["seed", "seed epoch s", "steps", "time to 99% s", "(of it loading)"]
    columns += ["(of it capture)", "epochs", "accuracy", "ratio"]
    table = harness.Table(title, columns)
    times: dict[str, list[float]] = {mode: [] for mode, _ in modes}  # of the seeds that reached
    ratios: dict[str, list[float]] = {mode: [] for mode, _ in modes}
    for seed in seeds:
        yardstick = seed_epoch_seconds(training_images, device, seed)
        config = resolve_config(recipe, {**changes, "seed": seed})
        for i, (mode, graph) in enumerate(modes):
            seconds, epochs, accuracy, load, capture = time_to_target(
                data_dir, test, device, config, graph
            )
            if seconds is not None:
                times[mode].append(seconds)
                ratios[mode].append(seconds / yardstick)
            table.add(
                seed if i == 0 else "",
                f"{yardstick:.2f}" if i == 0 else "",
                mode,
                "not reached" if seconds is None else f"{seconds:.2f}",
                f"{load:.2f}",
                "-" if capture is None else f"{capture:.2f}",
                "-" if seconds is None else epochs,
                f"{100 * accuracy:.2f}%",
                "-" if seconds is None else f"{ratios[mode][-1]:.2f}",
            )
    for mode, _ in modes:
        met = sum(ratio <= RATIO_TARGET for ratio in ratios[mode])
        summary = f"{mode}: {met} of {len(seeds)} seeds reached {100 * TARGET:.0f}% within "
        summary += f"{RATIO_TARGET}"
        if ratios[mode]:
            summary += (
                f"; ratio median {statistics.median(ratios[mode]):.2f}, worst "
                f"{max(ratios[mode]):.2f} seed-recipe epochs; time median "
                f"{statistics.median(times[mode]):.2f} s, worst {max(times[mode]):.2f} s "
                f"(of the {len(ratios[mode])} that reached it)"
            )
        if mode == "graph":
            fast = sum(t <= GPU_TARGET_SECONDS for t in times[mode])
            summary += f"; {fast} of {len(seeds)} within {GPU_TARGET_SECONDS} s"
        table.notes.append(summary)
    return table


def main() -> None:
    parser = harness.parser(__doc__, "data_dir", "device")
    parser.add_argument(
        "--cuda-graph",
        action=argparse.BooleanOptionalAction,
        help="time the recipe with CUDA graphs, beside eager steps (default: on CUDA)",
    )
    parser.add_argument("--recipe", default="fast", choices=list(RECIPES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="change a setting"
    )
    args = parser.parse_args()
    try:
        changes = dict(parse_setting(text) for text in args.set)
        resolve_config(args.recipe, changes)
        device = select_device(args.device)
    except (ConfigError, ValueError) as exc:
        parser.error(str(exc))
    try:
        graph = use_cuda_graph(args.cuda_graph, device)
    except ValueError as exc:
        parser.error(f"--cuda-graph: {exc}")
    harness.show(time_to_99(args.data_dir, args.recipe, changes, device, args.seeds, graph))


if __name__ == "__main__":
    main()
