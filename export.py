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
import os
import sys
from pathlib import Path

from lenet.cli import Parser, die

REPO = Path(__file__).resolve().parent
DEFAULT_OUT = REPO / "demo" / "model.onnx"
DEFAULT_DATA_DIR = REPO / "data"
RUNS = REPO / "runs"
CALIBRATION_IMAGES = 1000


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
        help="folder holding MNIST/raw, for the parity check (default: data/)",
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


def load_model(path: Path):
    """The checkpoint dict, its SHA-256, the calibrated model it rebuilds, and its path.

    The model's last layer is divided by the temperature fitted at the end of training,
    so its softmax is calibrated: the exported graph is that model, unchanged.
    """
    from lenet.checkpoint import (
        CheckpointError,
        load_checkpoint,
        resolve_checkpoint_path,
        sha256_file,
    )
    from lenet.model import from_checkpoint

    path = resolve_checkpoint_path(path)
    checkpoint = load_checkpoint(path)
    calibration = checkpoint["test"].get("calibration")
    if calibration is None:
        raise CheckpointError(
            f"{path} has not been calibrated (its run did not finish); "
            f"finish it with python train.py --resume {path.parent}"
        )
    return checkpoint, sha256_file(path), from_checkpoint(checkpoint), path


def test_set(data_dir: Path, download: bool):
    from lenet.data import load_split

    test = load_split(data_dir, train=False, download=download)
    return test.images.numpy(), test.labels.numpy()


def export(args: argparse.Namespace) -> int:
    from lenet import onnx_export as ox
    from lenet.contract import contract_metadata, identity_metadata

    checkpoint, digest, model, path = load_model(args.checkpoint or newest_checkpoint())
    out: Path = args.out
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise OSError(f"cannot write {out}: {out.parent} is not a writable folder")
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

    proto = ox.export_onnx(model)
    metadata = {
        **contract_metadata(),
        **identity_metadata(),
        **ox.training_metadata(checkpoint, digest),
        **ox.environment_metadata(),
    }
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
        f"wrote {out} ({len(final) / 1024:.0f} KiB, opset {ox.OPSET}, inputs "
        f"'image' (N, 1, 28, 28) -> 'logits' (N, 10)); parity passed"
    )

    if args.int8:
        from lenet.data import load_split

        int8_calibration = load_split(args.data_dir, train=True).images[:CALIBRATION_IMAGES].numpy()
        int8 = ox.quantize_int8(final, int8_calibration)
        int8_logits = ox.run_batched(ox.session(int8), images, 1000)
        fp32_logits = ox.run_batched(ox.session(final), images, 1000)
        int8_out = out.with_suffix(".int8.onnx")
        write(int8_out, int8)
        fp32_ms, int8_ms = ox.latency_ms(final, images[0]), ox.latency_ms(int8, images[0])
        print(f"wrote {int8_out} ({len(int8) / 1024:.0f} KiB vs {len(final) / 1024:.0f} KiB fp32)")
        print(
            f"int8 accuracy {100 * (int8_logits.argmax(1) == labels).mean():.2f}% vs fp32 "
            f"{100 * (fp32_logits.argmax(1) == labels).mean():.2f}%; agreement with fp32 "
            f"{100 * (int8_logits.argmax(1) == fp32_logits.argmax(1)).mean():.2f}%"
        )
        print(
            f"batch-1 latency, 1 thread: int8 p50 {int8_ms[0]:.3f} ms / p99 {int8_ms[1]:.3f} "
            f"ms, fp32 p50 {fp32_ms[0]:.3f} ms / p99 {fp32_ms[1]:.3f} ms "
            f"(int8 is {int8_ms[0] / fp32_ms[0]:.2f}x the fp32 time)"
        )
    return 0


def write(path: Path, data: bytes) -> None:
    from lenet.checkpoint import atomic_write_bytes

    atomic_write_bytes(path, lambda f: f.write(data))


def verify(args: argparse.Namespace) -> int:

    from lenet import onnx_export as ox
    from lenet.checkpoint import CHECKPOINT_NAME, sha256_file

    path: Path = args.verify
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

    images, labels = test_set(args.data_dir, not args.no_download)
    checkpoint_path = args.checkpoint
    if checkpoint_path is None:  # find the run it came from by the SHA-256 it records
        wanted = metadata.get("checkpoint_sha256")
        checkpoint_path = next(
            (p for p in RUNS.glob(f"*/{CHECKPOINT_NAME}") if sha256_file(p) == wanted), None
        )
    if checkpoint_path is None:
        logits = ox.run_batched(ox.session(path), images, 1000)
        accuracy = float((logits.argmax(1) == labels).mean())
        claimed = float(metadata["test_accuracy"])
        print(
            f"no checkpoint with SHA-256 {metadata.get('checkpoint_sha256', '?')[:12]}... "
            f"under runs/ (pass --checkpoint for the torch parity check); accuracy "
            f"{100 * accuracy:.2f}% against the {100 * claimed:.2f}% its metadata claims"
        )
        if abs(accuracy - claimed) > 5e-5:
            die("the model's accuracy does not match its metadata")
        return 0
    _, _, model, checkpoint_path = load_model(checkpoint_path)
    report = ox.check_parity(model, path, images, labels)
    print(f"against {checkpoint_path}:\n{report.table()}")
    if not report.ok:
        die(f"parity check failed for {path}")
    print("parity passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lenet.checkpoint import CheckpointError
    from lenet.data import DataError

    try:
        return verify(args) if args.verify else export(args)
    except (CheckpointError, DataError, OSError, ValueError) as exc:
        die(str(exc))
    except KeyboardInterrupt:
        print("\ninterrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
