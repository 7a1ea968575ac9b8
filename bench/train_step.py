"""What one training step costs, per image, under each way of running it, side by side.

    python -m bench.train_step --data-dir ../shared/mnist              # CPU variants
    python -m bench.train_step --data-dir ../shared/mnist --compile    # and torch.compile

The levers of issue 14 on the `fast` recipe's step (its batch size, dropout, AdamW and
label smoothing), on real MNIST batches: memory format (NCHW or channels-last),
the optimizer's kernel (foreach or fused), bfloat16 autocast, the batch size and the
number of threads. The variants take turns, round after round, so the machine's
drifts hit all alike; the table gives each one's median microseconds per image and its
ratio to the first row: the seed recipe's step (batch 64, SGD, dropout 0.5) as train.py
runs it, the yardstick of bench/time_to_99.py. The rows "as train.py runs it" are made
by train.py's own `place_model` and `make_optimizer`. `--compile` adds torch.compile's variant
and prints its one-off compile time, with inductor's on-disk caches off, as on a first
run.
"""

from __future__ import annotations

import statistics
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch

from bench import harness
from lenet.data import load_split
from lenet.model import build_model
from lenet.recipes import RECIPES
from lenet.training import make_optimizer, place_model, step_loss

IMAGES_PER_TURN = 12_800


@dataclass(frozen=True)
class Variant:
    """A way of running a recipe's step; None means as train.py runs it."""

    name: str
    recipe: str = "fast"
    batch: int | None = None  # None: the recipe's
    nchw: bool = False  # True: the plain memory format instead of place_model's
    # The optimizer's implementation instead of make_optimizer's: "loop" (torch's
    # default on the CPU, parameter by parameter), "foreach" or "fused"
    optimizer: str | None = None
    bf16: bool = False
    threads: int | None = None  # None: torch's default
    compiled: bool = False


VARIANTS = [
    Variant("seed recipe's step in train.py (the yardstick)", recipe="seed"),
    Variant("  as the seed runs it: NCHW, plain SGD", recipe="seed", nchw=True, optimizer="loop"),
    Variant("fast, NCHW, AdamW (torch's default)", nchw=True, optimizer="loop"),
    Variant("fast, NCHW, foreach AdamW", nchw=True, optimizer="foreach"),
    Variant("fast, NCHW, fused AdamW", nchw=True, optimizer="fused"),
    Variant("fast, channels-last, fused AdamW (train.py)"),
    Variant("  the same, 1 thread", threads=1),
    Variant("  the same, bfloat16 autocast", bf16=True),
    Variant("  the same, batch 64", batch=64),
    Variant("  the same, batch 128", batch=128),
    Variant("  the same, batch 256", batch=256),
    Variant("  the same, batch 512", batch=512),
    Variant("  the same, batch 1024", batch=1024),
]


class Stepper:
    """One variant's model and optimizer, stepping through the training images."""

    def __init__(self, variant: Variant, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.variant, self.images, self.labels, self.position = variant, images, labels, 0
        self.config = RECIPES[variant.recipe]
        self.batch = variant.batch or self.config.batch_size
        torch.manual_seed(1)
        model = build_model(self.config.model_config())
        model = model if variant.nchw else place_model(model, torch.device("cpu"))
        if variant.optimizer is None:
            self.optimizer, _ = make_optimizer(model, self.config, steps_per_epoch=1)
        else:
            implementation = {
                "fused": variant.optimizer == "fused" or None,
                "foreach": variant.optimizer == "foreach" or None,
            }
            if self.config.optimizer == "sgd":
                self.optimizer = torch.optim.SGD(
                    model.parameters(), self.config.lr, self.config.momentum, **implementation
                )
            else:
                self.optimizer = torch.optim.AdamW(
                    model.parameters(),
                    self.config.lr,
                    weight_decay=self.config.weight_decay,
                    **implementation,
                )
        self.model = model
        self.compile_seconds = None
        if variant.compiled:
            self.model = torch.compile(model)
            started = time.perf_counter()
            self.run(self.batch)
            self.compile_seconds = time.perf_counter() - started

    def run(self, n_images: int) -> float:
        """Microseconds per image over about n_images images."""
        threads = torch.get_num_threads()
        if self.variant.threads:
            torch.set_num_threads(self.variant.threads)
        batch, steps = self.batch, max(1, n_images // self.batch)
        autocast = torch.autocast("cpu", torch.bfloat16) if self.variant.bf16 else nullcontext()
        started = time.perf_counter()
        for _ in range(steps):
            if self.position + batch > len(self.labels):
                self.position = 0
            x = self.images[self.position : self.position + batch]
            y = self.labels[self.position : self.position + batch]
            self.position += batch
            self.optimizer.zero_grad(set_to_none=True)
            with autocast:  # train.py's loss on this batch: cross-entropy, label smoothing
                loss = step_loss(self.model, x, y, self.config)
            loss.backward()
            self.optimizer.step()
        seconds = time.perf_counter() - started
        torch.set_num_threads(threads)
        return seconds / (steps * batch) * 1e6


def train_step(data_dir: Path, rounds: int, compile_too: bool) -> harness.Table:
    """Each variant's median microseconds per image over `rounds` turns, and its ratio."""
    train = load_split(data_dir, True, "cpu", download=False)
    if compile_too:
        from torch._inductor import config as inductor

        inductor.force_disable_caches = True  # a first run's compile
    variants = VARIANTS + ([Variant("  the same, torch.compile", compiled=True)] * compile_too)
    title = f"torch {torch.__version__}, {torch.get_num_threads()} threads, {rounds} rounds"
    steppers = [Stepper(v, train.images, train.labels) for v in variants]
    for stepper in steppers:
        stepper.run(2048)  # warm-up: first-call allocations, oneDNN's kernel choice
    times: list[list[float]] = [[] for _ in steppers]
    for _ in range(rounds):
        for stepper, row in zip(steppers, times, strict=True):
            row.append(stepper.run(IMAGES_PER_TURN))
    base = statistics.median(times[0])
    columns = ["variant", "us/image", "vs seed step", "s per 55,000-image epoch"]
    table = harness.Table(title, columns)
    for stepper, row in zip(steppers, times, strict=True):
        median = statistics.median(row)
        compiled = stepper.compile_seconds
        note = [] if compiled is None else [f"(compiling took {compiled:.1f} s)"]
        table.add(
            stepper.variant.name,
            f"{median:.1f}",
            f"{median / base:.2f}",
            f"{median * 55_000 / 1e6:.2f}",
            *note,
        )
    return table


def main() -> None:
    parser = harness.parser(__doc__, "data_dir", "rounds")
    parser.add_argument("--compile", action="store_true", help="add torch.compile's variant")
    args = parser.parse_args()
    harness.show(train_step(args.data_dir, args.rounds, args.compile))


if __name__ == "__main__":
    main()
