"""Export a trained LeNet-5 to one self-describing ONNX file and prove it matches torch.

    python export.py                                   # latest run's checkpoint -> demo/model.onnx
    python export.py --checkpoint runs/best-seed1 --int8
    python export.py --verify demo/model.onnx          # re-check an existing file

The parity check runs onnxruntime (graph optimizations fully on and fully off)
against torch on the 10,000 MNIST test images at batch sizes 1, 2, 7, 64,
1000 and 10000. It must agree on every prediction with max |logit diff| <= 1e-4,
or nothing is written and the exit status is 1. The work is
`lenet.onnx_export.export_and_verify`; this script finds the files and reports.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lenet.cli import DATA_DIR_HINT, Parser, add_data_options, die

REPO = Path(__file__).resolve().parent
DEFAULT_OUT = REPO / "demo" / "model.onnx"
RUNS = REPO / "runs"


def build_parser() -> Parser:
    parser = Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="RUN",
        help="run folder or checkpoint file (default: the newest under runs/)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="ONNX file to write (default: %(default)s)"
    )
    add_data_options(parser, "for the parity check")
    parser.add_argument(
        "--int8", action="store_true", help="also write a static-quantized int8 (QDQ) model"
    )
    parser.add_argument(
        "--verify", type=Path, metavar="MODEL", help="check an existing ONNX file instead"
    )
    return parser


def export(args: argparse.Namespace) -> None:
    from lenet import onnx_export as ox
    from lenet.contract import signature
    from lenet.data import load_split
    from lenet.files import atomic_write, sha256_file

    checkpoint, path = ox.finished_checkpoint(args.checkpoint or ox.newest_checkpoint(RUNS))
    out: Path = args.out
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise OSError(f"cannot write {out}: {out.parent} is not a writable folder")
    calibration = checkpoint.calibration
    print(
        f"exporting {path} ({checkpoint.train_config.recipe} recipe, epoch {checkpoint.epoch}, "
        f"test accuracy {100 * checkpoint.test['accuracy']:.2f}%)"
    )
    print(
        f"calibration: temperature {calibration['temperature']:.3f} folded into the last layer; "
        f"test ECE {100 * calibration['test_ece_before']:.2f}% -> "
        f"{100 * calibration['test_ece']:.2f}%; not sure below "
        f"{100 * calibration['confidence_threshold']:.1f}%"
    )
    test = load_split(args.data_dir, train=False, download=not args.no_download)
    try:
        exported = ox.export_and_verify(
            checkpoint, sha256_file(path), test.images.numpy(), test.labels.numpy()
        )
    except ox.ParityError as error:
        print(error.report.table())
        die(f"{error}; {out} was not written")
    print(exported.parity.table())
    atomic_write(out, exported.model)
    print(
        f"wrote {out} ({len(exported.model) / 1024:.0f} KiB, opset {ox.OPSET}, inputs "
        f"{signature()}); parity passed"
    )
    if args.int8:  # its accuracy and speed against fp32 are bench/inference.py's to measure
        train = load_split(args.data_dir, train=True, download=not args.no_download)
        int8 = ox.quantize_int8(exported.model, train.images[: ox.INT8_CALIBRATION_IMAGES].numpy())
        atomic_write(out.with_suffix(".int8.onnx"), int8)
        print(
            f"wrote {out.with_suffix('.int8.onnx')} ({len(int8) / 1024:.0f} KiB vs "
            f"{len(exported.model) / 1024:.0f} KiB fp32)"
        )


def verify(args: argparse.Namespace) -> None:
    from lenet import onnx_export as ox
    from lenet.data import load_split

    path: Path = args.verify
    metadata = ox.check_file(path)
    print(f"{path}: checker passed, contract matches, no Dropout, dynamic batch axis")
    test = load_split(args.data_dir, train=False, download=not args.no_download)
    images, labels = test.images.numpy(), test.labels.numpy()
    sha256 = metadata.get("checkpoint_sha256")
    checkpoint_path = args.checkpoint or ox.checkpoint_with_sha256(RUNS, sha256)
    if checkpoint_path is None:  # no run it came from: check the accuracy it claims
        claimed = ox.claimed_accuracy(path, metadata)
        accuracy = ox.measured_accuracy(path, images, labels)
        print(
            f"no checkpoint with SHA-256 {(sha256 or '?')[:12]}... under runs/ (pass "
            f"--checkpoint for the torch parity check); accuracy {100 * accuracy:.2f}% "
            f"against the {100 * claimed:.2f}% its metadata claims"
        )
        if abs(accuracy - claimed) > ox.ACCURACY_TOLERANCE:
            die("the model's accuracy does not match its metadata")
        return
    checkpoint, checkpoint_path = ox.finished_checkpoint(checkpoint_path)
    report = ox.check_parity(checkpoint.network(), path, images, labels)
    print(f"against {checkpoint_path}:\n{report.table()}")
    if not report.ok:
        die(f"parity check failed for {path}")
    print("parity passed")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lenet.mnist_files import DataError

    try:
        if args.verify:
            verify(args)
        else:
            export(args)
    except DataError as exc:
        die(f"{exc}; {DATA_DIR_HINT}")
    except (OSError, ValueError) as exc:  # a CheckpointError is a ValueError
        die(str(exc))
    except KeyboardInterrupt:
        print("\ninterrupted; nothing was written", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
