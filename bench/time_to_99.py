"""Time to 99%: seconds per epoch and training seconds until 99% test accuracy.

    python bench/time_to_99.py --data-dir ../shared/mnist                  # fast recipe, CPU
    python bench/time_to_99.py --data-dir ../shared/mnist --device cuda    # on a GPU

Trains a recipe (default: fast) through train.py's path, evaluating on the
10,000 test images after every epoch, and prints each epoch's training seconds
(evaluation excluded) and the cumulative training time at which test accuracy
first reaches 99%. The same script runs on the CPU and on a GPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lenet.data import load_mnist  # noqa: E402
from lenet.mnist_files import DEFAULT_DATA_DIR  # noqa: E402
from lenet.recipes import RECIPES, resolve_config  # noqa: E402
from lenet.training import fit, select_device, split_training  # noqa: E402

TARGET = 0.99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: data/ in the repo"
    )
    parser.add_argument("--recipe", default="fast", choices=list(RECIPES))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    device = select_device(args.device)
    config = resolve_config(args.recipe, {"seed": args.seed})
    train, test = load_mnist(args.data_dir, device, download=False)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(
        f"{args.recipe} recipe on {device} ({name}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    elapsed = 0.0
    reached = None

    def on_epoch(row: dict) -> None:
        nonlocal elapsed, reached
        elapsed += row["train_seconds"]
        if reached is None and row["test_accuracy"] >= TARGET:
            reached = (row["epoch"], elapsed)
        print(
            f"epoch {row['epoch']:>2}: {row['train_seconds']:6.2f} s, test accuracy "
            f"{100 * row['test_accuracy']:.2f}%, {elapsed:6.2f} s of training so far"
        )

    with tempfile.TemporaryDirectory() as run_dir:
        train, validation = split_training(train, config)
        fit(config, train, validation, test, run_dir, on_epoch=on_epoch, show_progress=False)
    if reached is None:
        print(f"did not reach {100 * TARGET:.0f}% in {config.epochs} epochs ({elapsed:.2f} s)")
    else:
        print(
            f"reached {100 * TARGET:.0f}% after epoch {reached[0]}: {reached[1]:.2f} s of "
            f"training ({elapsed / config.epochs:.2f} s per epoch)"
        )


if __name__ == "__main__":
    main()
