"""The benchmarks' harness: their shared options, shared measurements and tables.

    python -m bench.robustness --data-dir ../shared/mnist     # any benchmark, from the root

Every benchmark in bench/ is a module with a function that measures and returns its
table (or tables), and a `main()` that reads its options with `parser`, loads what it
needs with the loaders here, and prints with `show`. The options mean the same in
every one of them (OPTIONS): --data-dir, the folder that holds MNIST/raw; --model, the
ONNX model read through the reading core; --python, the interpreter that runs the app,
for those that start it; --device, for those that train; --seed, of what is drawn.

What is measured comes from the library and the reading core: the model runs through
`demo.reading` (its onnxruntime session, its preprocessing), metrics such as ECE come
from `lenet`, and the workloads shared with the tests (drawn digits, scribbles, numbers,
hostile requests) from `tests.support`. Bad options and missing files end in one line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from demo.reading import DigitClassifier, ModelError
from lenet.cli import Parser, die
from lenet.mnist_files import DEFAULT_DATA_DIR, DataError, read_split
from tests.support.paths import DEMO_DIR, MODEL_PATH, REPO

WARM_UP = 50  # calls made before a timing starts: first-call allocations, caches


# Every benchmark's options, by name: each benchmark takes the ones it needs, and an
# option means the same wherever it appears.
OPTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "data_dir": (
        "--data-dir",
        {"type": Path, "default": DEFAULT_DATA_DIR, "help": "folder holding MNIST/raw"},
    ),
    "model": (
        "--model",
        {"type": Path, "default": MODEL_PATH, "help": "the ONNX model to read with"},
    ),
    "python": ("--python", {"default": sys.executable, "help": "interpreter that runs the app"}),
    "app_dir": ("--app-dir", {"type": Path, "default": DEMO_DIR, "help": "demo/ or a copy of it"}),
    "device": ("--device", {"default": "auto", "help": "auto, cpu, cuda or mps"}),
    "seed": ("--seed", {"type": int, "default": 0, "help": "seed of what is drawn"}),
    "checkpoint": (
        "--checkpoint",
        {"type": Path, "help": "run folder or checkpoint (default: fresh weights, as fast)"},
    ),
    "images": ("--images", {"type": int, "default": 10_000, "help": "MNIST test digits"}),
    "numbers": ("--numbers", {"type": int, "default": 1000, "help": "numbers per row"}),
    "per_kind": ("--per-kind", {"type": int, "default": 30, "help": "drawings of each kind"}),
    "requests": ("--requests", {"type": int, "default": 200, "help": "requests per phase"}),
    "epochs": ("--epochs", {"type": int, "default": 10, "help": "epochs of each pipeline"}),
    "rounds": ("--rounds", {"type": int, "default": 7, "help": "turns of every variant"}),
}


def parser(doc: str, *options: str) -> Parser:
    """A benchmark's parser: its description from the first paragraph of `doc`, and the
    OPTIONS it takes, by name. Each option's help shows its default."""
    parser = Parser(description=doc.split("\n\n")[0])
    for name in options:
        flag, settings = OPTIONS[name]
        default = settings.get("default")
        shown = default.relative_to(REPO) if isinstance(default, Path) else default
        suffix = f" (default: {shown})" if default is not None else ""
        parser.add_argument(flag, **{**settings, "help": settings["help"] + suffix})
    return parser


def load_classifier(path: Path) -> DigitClassifier:
    """The model through the reading core, as the demo loads it; one line if it cannot be."""
    try:
        return DigitClassifier.load(path)
    except ModelError as error:
        die(str(error))


def mnist_test(data_dir: Path, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` (default: all) MNIST test images, uint8 white on black, and labels."""
    try:
        images, labels = read_split(data_dir, train=False)
    except DataError as error:
        die(f"{error}; pass --data-dir pointing at a folder that holds MNIST/raw")
    return images[:count], labels[:count]


def timed(call: Callable[[Any], object], inputs: Sequence[Any], rounds: int) -> list[float]:
    """Seconds of each of `rounds` calls of `call`, cycling through `inputs`, after WARM_UP."""
    seconds = []
    for i in range(WARM_UP + rounds):
        started = time.perf_counter()
        call(inputs[i % len(inputs)])
        if i >= WARM_UP:
            seconds.append(time.perf_counter() - started)
    return seconds


def p50_p99_ms(seconds: Iterable[float]) -> tuple[float, float]:
    """The median and 99th percentile of `seconds`, in milliseconds."""
    samples = np.asarray(list(seconds))
    return 1e3 * float(np.median(samples)), 1e3 * float(np.percentile(samples, 99))


def percent(part: float, whole: float, digits: int = 2) -> str:
    """`part` of `whole` as a percentage with `digits` decimals ('-' when `whole` is 0)."""
    return f"{100 * part / whole:.{digits}f}%" if whole else "-"


@dataclass
class Table:
    """A benchmark's result: a title, named columns, rows of formatted cells and notes.

    The first column is left-aligned, the others right-aligned; a cell past the last
    column (a flag such as "over the target") is printed after the row as it is.
    """

    title: str
    columns: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append(cells)

    def render(self) -> str:
        count = len(self.columns)
        cells = [[str(cell) for cell in row] for row in self.rows]
        widths = [
            max([len(self.columns[i])] + [len(row[i]) for row in cells if i < len(row)])
            for i in range(count)
        ]

        def line(row: Sequence[str]) -> str:
            first, *rest = row[:count]
            text = "  ".join(
                [
                    first.ljust(widths[0]),
                    *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=False)),
                ]
            )
            return "  ".join([text, *row[count:]]).rstrip()

        lines = [self.title] if self.title else []
        lines += [line(self.columns), *(line(row) for row in cells), *self.notes]
        return "\n".join(lines)


def show(*tables: Table) -> None:
    """Print each table, a blank line between them."""
    print("\n\n".join(table.render() for table in tables), flush=True)
