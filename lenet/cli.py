"""Command-line plumbing shared by train.py and export.py: one-line errors, flag names.

The library's errors name settings and files, never flags; the scripts name their flags.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from lenet.mnist_files import DEFAULT_DATA_DIR

# What to do about a DataError (MNIST missing or damaged), in the words of the command line.
DATA_DIR_HINT = "pass --data-dir pointing at a folder that holds MNIST/raw"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump, no traceback)."""

    def error(self, message: str) -> NoReturn:
        die(f"{message} (see {self.prog} --help)", status=2)


def die(message: str, status: int = 1) -> NoReturn:
    """Print `prog: error: message` on one line to stderr and exit."""
    print(f"{Path(sys.argv[0]).name}: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def flag(setting: str) -> str:
    """The flag that sets a setting: `lr` is --lr, `batch_size` is --batch-size."""
    return "--" + setting.replace("_", "-")


def add_data_options(parser: argparse.ArgumentParser, use: str) -> None:
    """--data-dir and --no-download, whose help says what MNIST is for (`use`)."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"folder holding MNIST/raw, {use}; downloaded there if missing (default: data/)",
    )
    parser.add_argument(
        "--no-download", action="store_true", help="fail instead of downloading a missing MNIST"
    )
