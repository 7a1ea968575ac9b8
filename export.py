"""Export a trained LeNet-5 to one self-describing ONNX file and prove it matches torch.

    python export.py                                   # latest run's checkpoint -> demo/model.onnx
    python export.py --checkpoint runs/best-seed1 --int8
    python export.py --verify demo/model.onnx          # re-check an existing file

The parity check runs onnxruntime (graph optimizations fully on and fully off)
against torch on the 10,000 MNIST test images at batch sizes 1, 2, 7, 64,
1000 and 10000. It must agree on every prediction with max |logit diff| <= 1e-4,
or nothing is written and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from lenet.cli import DATA_DIR_HINT, Parser, die
from lenet.mnist_files import DEFAULT_DATA_DIR

REPO = Path(__file__).resolve().parent
DEFAULT_OUT = REPO / "demo" / "model.onnx"
RUNS = REPO / "runs"
# --verify without the checkpoint: the accuracy measured here against the one the file
# states (rounded to 4 decimals there), with room for float32 kernels differing on a digit.
ACCURACY_TOLERANCE = 5e-5
EVAL_BATCH = 1000


def build_parser() -> Parser:
    parser = Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        metavar="RUN",
        help="run folder or checkpoint file (default: the newest under runs/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="ONNX file to write (default: demo/model.onnx)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="folder holding MNIST/raw, for the parity check (default: data/ in the repo)",
    )
    parser.add_argument(
        "--no-download",
        action="store_true",
        help="fail instead of downloading MNIST when it is missing",
    )
    parser.add_argument(
        "--int8",
        action="store_true",
        help="also write a static-quantized int8 (QDQ) model beside --out",
    )
    parser.add_argument(
        "--verify",
        type=Path,
        default=None,
        metavar="MODEL",
        help="check an existing ONNX file instead of exporting",
    )
    return parser


def newest_checkpoint() -> Path:
    from lenet.checkpoint import CHECKPOINT_NAME, CheckpointError

    found = sorted(RUNS.glob(f"*/{CHECKPOINT_NAME}"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise CheckpointError(
            f"no checkpoint under {RUNS}; train first (python train.py) or pass --checkpoint"
        )
    return found[-1]


def finished_checkpoint(path: Path) -> tuple[dict, Path]:
    """The checkpoint of a finished run (one whose probabilities were calibrated), and its file."""
    from lenet.checkpoint import CheckpointError, load_checkpoint, resolve_checkpoint_path

    path = resolve_checkpoint_path(path)
    checkpoint = load_checkpoint(path)
    if "calibration" not in checkpoint["test"]:
        raise CheckpointError(
            f"{path} has not been calibrated (its run did not finish); "
            f"finish it with python train.py --resume {path.parent}"
        )
    return checkpoint, path


def test_set(data_dir: Path, download: bool):
    """The MNIST test images (float32 (N, 1, 28, 28) in [0, 1]) and labels, as numpy arrays."""
    from lenet.data import load_split

    test = load_split(data_dir, train=False, download=download)
    return test.images.numpy(), test.labels.numpy()


def export(args: argparse.Namespace) -> int:
    from lenet import onnx_export as ox
    from lenet.contract import signature
    from lenet.files import sha256_file
    from lenet.model import from_checkpoint

    checkpoint, path = finished_checkpoint(args.checkpoint or newest_checkpoint())
    out: Path = args.out
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise OSError(f"cannot write {out}: {out.parent} is not a writable folder")
    describe(path, checkpoint)
    # The calibrated model: the temperature is folded into its last layer.
    model = from_checkpoint(checkpoint)
    proto, metadata = ox.export_onnx(model), ox.model_metadata(checkpoint, sha256_file(path))
    ox.set_metadata(proto, metadata)
    candidate = ox.serialize(proto)
    ox.check_model(candidate)
    images, labels = test_set(args.data_dir, not args.no_download)
    report = ox.check_parity(model, candidate, images, labels)
    print(report.table())
    if not report.ok:
        die(
            f"parity check failed (needs 100% agreement and max |logit diff| <= "
            f"{ox.MAX_LOGIT_DIFF:g}); {out} was not written"
        )
    # The parity figures join the metadata; the graph and weights are unchanged.
    metadata["parity"] = json.dumps(report.summary())
    ox.set_metadata(proto, metadata)
    final = ox.serialize(proto)
    ox.check_model(final)
    write(out, final)
    print(
        f"wrote {out} ({len(final) / 1024:.0f} KiB, opset {ox.OPSET}, inputs {signature()}); "
        "parity passed"
    )
    if args.int8:
        write_int8(final, out.with_suffix(".int8.onnx"), args.data_dir, not args.no_download)
    return 0


def describe(path: Path, checkpoint: dict) -> None:
    """Two lines: which run is exported, and its calibration."""
    calibration = checkpoint["test"]["calibration"]
    print(
        f"exporting {path} ({checkpoint['train_config']['recipe']} recipe, epoch "
        f"{checkpoint['epoch']}, test accuracy {100 * checkpoint['test']['accuracy']:.2f}%)"
    )
    print(
        f"calibration: temperature {calibration['temperature']:.3f} folded into the last layer; "
        f"test ECE {100 * calibration['test_ece_before']:.2f}% -> "
        f"{100 * calibration['test_ece']:.2f}%; not sure below "
        f"{100 * calibration['confidence_threshold']:.1f}%"
    )


def write_int8(fp32: bytes, out: Path, data_dir: Path, download: bool) -> None:
    """A static int8 (QDQ) copy of `fp32` at `out`. Its accuracy and speed against fp32 are
    bench/inference.py's to measure."""
    from lenet import onnx_export as ox
    from lenet.data import load_split

    train = load_split(data_dir, train=True, download=download)
    int8 = ox.quantize_int8(fp32, train.images[: ox.INT8_CALIBRATION_IMAGES].numpy())
    write(out, int8)
    print(f"wrote {out} ({len(int8) / 1024:.0f} KiB vs {len(fp32) / 1024:.0f} KiB fp32)")


def write(path: Path, data: bytes) -> None:
    from lenet.files import atomic_write

    atomic_write(path, data)


def verify(args: argparse.Namespace) -> int:
    from lenet import onnx_export as ox
    from lenet.checkpoint import CHECKPOINT_NAME
    from lenet.files import sha256_file
    from lenet.model import from_checkpoint

    path: Path = args.verify
    metadata = check_file(path)
    images, labels = test_set(args.data_dir, not args.no_download)
    checkpoint_path = args.checkpoint
    if checkpoint_path is None:  # find the run it came from by the SHA-256 it records
        wanted = metadata.get("checkpoint_sha256")
        checkpoint_path = next(
            (p for p in RUNS.glob(f"*/{CHECKPOINT_NAME}") if sha256_file(p) == wanted), None
        )
    if checkpoint_path is None:
        claimed = claimed_accuracy(path, metadata)
        logits = ox.run_batched(ox.session(path), images, EVAL_BATCH)
        accuracy = float((logits.argmax(1) == labels).mean())
        print(
            f"no checkpoint with SHA-256 {metadata.get('checkpoint_sha256', '?')[:12]}... "
            f"under runs/ (pass --checkpoint for the torch parity check); accuracy "
            f"{100 * accuracy:.2f}% against the {100 * claimed:.2f}% its metadata claims"
        )
        if abs(accuracy - claimed) > ACCURACY_TOLERANCE:
            die("the model's accuracy does not match its metadata")
        return 0
    checkpoint, checkpoint_path = finished_checkpoint(checkpoint_path)
    report = ox.check_parity(from_checkpoint(checkpoint), path, images, labels)
    print(f"against {checkpoint_path}:\n{report.table()}")
    if not report.ok:
        die(f"parity check failed for {path}")
    print("parity passed")
    return 0


def check_file(path: Path) -> dict[str, str]:
    """The checks that need no data: the ONNX checker, the contract, no Dropout, a dynamic
    batch axis. Returns the file's metadata; dies with one line on the first failure."""
    from lenet import onnx_export as ox

    if not path.is_file():
        raise OSError(f"no model file at {path}")
    try:
        proto = ox.check_model(path.read_bytes())
    except Exception as exc:  # onnx's ValidationError, protobuf's DecodeError, ...
        raise ValueError(f"{path} is not a valid ONNX model ({type(exc).__name__})") from None
    metadata = {p.key: p.value for p in proto.metadata_props}
    problems = [
        f"metadata {k!r} differs from lenet/contract.py" for k in ox.contract_mismatches(metadata)
    ]
    if "Dropout" in ox.graph_op_types(proto):
        problems.append("the graph contains Dropout")
    if not ox.batch_axis_is_dynamic(proto):
        problems.append("the batch axis is not dynamic")
    if problems:
        die(f"{path}: " + "; ".join(problems))
    print(f"{path}: checker passed, contract matches, no Dropout, dynamic batch axis")
    return metadata


def claimed_accuracy(path: Path, metadata: dict[str, str]) -> float:
    """The test accuracy the file's metadata states, or ValueError if there is none to check
    against: a missing key, or a value that is not an accuracy (NaN passes no comparison)."""
    text = metadata.get("test_accuracy")
    if text is None:
        raise ValueError(f"{path} states no test_accuracy in its metadata to check it against")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise ValueError(f"{path} states a test_accuracy of {text!r}, not an accuracy in [0, 1]")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lenet.mnist_files import DataError

    try:
        return verify(args) if args.verify else export(args)
    except DataError as exc:
        die(f"{exc}; {DATA_DIR_HINT}")
    except (OSError, ValueError) as exc:  # a CheckpointError is a ValueError
        die(str(exc))
    except KeyboardInterrupt:
        print("\ninterrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
