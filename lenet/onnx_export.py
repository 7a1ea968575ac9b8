"""ONNX export of a trained LeNet-5: a self-describing single file, checked against torch.

The exported graph takes the contract's input (float32 (N, 1, 28, 28) in
[0, 1], white on black, dynamic batch) and returns logits (N, 10). Its
metadata_props carry the contract, the labels, the training metrics and
recipe, the checkpoint's SHA-256, library versions and the parity figures,
so the demo reads them from the file instead of retyping them.

    exported = export_and_verify(checkpoint, sha256, images, labels)   # ParityError if not
    exported.model                    # the file's bytes: checked, parity figures included

The exported file is run the way the demo runs it: through the reading core's
onnxruntime session (demo/reading/classifier.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch

from demo.reading.classifier import OPTIMIZATION_LEVELS, Optimization, ort_session, softmax
from lenet.checkpoint import CHECKPOINT_NAME, Checkpoint, CheckpointError, load_checkpoint
from lenet.contract import (
    IMAGE_SIZE,
    INPUT_DOC,
    INPUT_NAME,
    META_CONFIDENCE_THRESHOLD,
    MODEL_DOC,
    MODEL_VERSION,
    OUTPUT_DOC,
    OUTPUT_NAME,
    contract_metadata,
    identity_metadata,
)
from lenet.files import sha256_file
from lenet.model import LeNet5

# The newest opset that torch's exporter, onnxruntime's kernels and its
# quantization tools all handle here (checked with onnxruntime 1.32).
OPSET = 21
PARITY_BATCH_SIZES = (1, 2, 7, 64, 1000, 10000)
MAX_LOGIT_DIFF = 1e-4
INT8_CALIBRATION_IMAGES = 1000  # training images whose activations set the int8 ranges
EVAL_BATCH = 1000
# Verifying a file without its checkpoint: the accuracy measured against the one the file
# states (rounded to 4 decimals there), with room for float32 kernels differing on a digit.
ACCURACY_TOLERANCE = 5e-5


class ParityError(ValueError):
    """onnxruntime and torch disagree beyond the tolerance; `report` has the figures."""

    def __init__(self, report: ParityReport) -> None:
        super().__init__(
            f"parity check failed (needs 100% agreement and max |logit diff| <= {MAX_LOGIT_DIFF:g})"
        )
        self.report = report


@dataclass
class Exported:
    """An exported model that passed: its file's bytes and the parity figures it carries."""

    model: bytes
    parity: ParityReport


def export_and_verify(
    checkpoint: Checkpoint, checkpoint_sha256: str, images: np.ndarray, labels: np.ndarray
) -> Exported:
    """The calibrated model of a finished run as one checked ONNX file, its parity proven.

    Exports the graph, runs onnxruntime against torch on `images` (parity; ParityError if
    they disagree), then stamps the metadata, the parity figures with it, and runs the
    ONNX checker on the final bytes. Nothing is written: the caller writes `model`.
    """
    model = checkpoint.network()  # the temperature folded into its last layer
    proto = export_onnx(model)
    report = check_parity(model, proto.SerializeToString(), images, labels)
    if not report.ok:
        raise ParityError(report)
    metadata = model_metadata(checkpoint, checkpoint_sha256)
    set_metadata(proto, {**metadata, "parity": json.dumps(report.summary())})
    final = serialize(proto)
    check_model(final)
    return Exported(final, report)


def export_onnx(model: LeNet5) -> onnx.ModelProto:
    """Trace `model` (in eval mode: no dropout) with the dynamo exporter, batch axis dynamic.

    The file's producer is the exporter's own ("pytorch" and torch's version); this adds
    the model version and a description of the input and the output.
    """
    model = model.cpu().eval()
    example = torch.rand(2, 1, IMAGE_SIZE, IMAGE_SIZE)  # batch >= 2, or the axis comes out static
    program = torch.onnx.export(
        model,
        (example,),
        dynamo=True,
        opset_version=OPSET,
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_shapes={"x": {0: torch.export.Dim("N")}},
        verbose=False,
    )
    proto = program.model_proto
    proto.model_version = MODEL_VERSION
    (image,), (logits,) = proto.graph.input, proto.graph.output
    image.doc_string, logits.doc_string = INPUT_DOC, OUTPUT_DOC
    return proto


def model_metadata(checkpoint: Checkpoint, checkpoint_sha256: str) -> dict[str, str]:
    """All the file says about itself but the parity figures, which join once they pass."""
    return {
        **contract_metadata(),
        **identity_metadata(),
        **training_metadata(checkpoint, checkpoint_sha256),
        **environment_metadata(),
    }


def training_metadata(checkpoint: Checkpoint, checkpoint_sha256: str) -> dict[str, str]:
    """What the checkpoint says about how the model was trained and how well it does.

    The calibration's temperature is already folded into the exported weights; it is
    recorded with the rest of the fit (ECE before and after, the threshold).
    """
    calibration, test = checkpoint.calibration, checkpoint.test
    if calibration is None:
        raise CheckpointError("the run has not been calibrated (it did not finish)")
    return {
        META_CONFIDENCE_THRESHOLD: f"{calibration['confidence_threshold']:.6f}",
        "calibration": json.dumps(calibration),
        "test_accuracy": f"{test['accuracy']:.4f}",
        "test_loss": f"{test['loss']:.6f}",
        "per_class_recall": json.dumps(test["per_class_recall"]),
        "recipe": checkpoint.train_config.recipe,
        "hyperparameters": json.dumps(dataclasses.asdict(checkpoint.train_config)),
        "epochs_trained": str(checkpoint.epoch),
        "checkpoint_sha256": checkpoint_sha256,
    }


def environment_metadata() -> dict[str, str]:
    """The library versions, the opset and the date of the export."""
    return {
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "onnxruntime_version": ort.__version__,
        "opset": str(OPSET),
        "export_date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def set_metadata(proto: onnx.ModelProto, metadata: dict[str, str]) -> None:
    """Replace the model's metadata_props with `metadata` (string to string)."""
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    proto.doc_string = MODEL_DOC


def session(model: bytes | Path, level: Optimization = "all") -> ort.InferenceSession:
    """A CPU inference session on all cores at the given graph optimization level."""
    return ort_session(model, optimization=level)


def run_batched(sess: ort.InferenceSession, images: np.ndarray, batch_size: int) -> np.ndarray:
    """Logits for all `images`, fed `batch_size` at a time."""
    return np.concatenate(
        [
            sess.run([OUTPUT_NAME], {INPUT_NAME: images[i : i + batch_size]})[0]
            for i in range(0, len(images), batch_size)
        ]
    )


@dataclass
class ParityRow:
    level: str
    batch_size: int
    max_logit_diff: float
    max_prob_diff: float
    agreement: float
    accuracy: float

    @property
    def ok(self) -> bool:
        return self.agreement == 1.0 and self.max_logit_diff <= MAX_LOGIT_DIFF


@dataclass
class ParityReport:
    images: int
    torch_accuracy: float
    rows: list[ParityRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def table(self) -> str:
        lines = [
            f"parity on {self.images:,} MNIST test images; torch accuracy "
            f"{100 * self.torch_accuracy:.2f}%",
            "ort opt  batch   max|logit diff|  max|prob diff|  agreement  ort accuracy",
        ]
        for r in self.rows:
            lines.append(
                f"{r.level:>7}  {r.batch_size:>5}  {r.max_logit_diff:>16.2e}  "
                f"{r.max_prob_diff:>14.2e}  {100 * r.agreement:>8.2f}%  {100 * r.accuracy:>11.2f}%"
                + ("" if r.ok else "   FAIL")
            )
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        """The compact form stamped into the model's metadata."""
        return {
            "images": self.images,
            "batch_sizes": sorted({r.batch_size for r in self.rows}),
            "optimization_levels": sorted({r.level for r in self.rows}),
            "max_logit_diff": max(r.max_logit_diff for r in self.rows),
            "max_prob_diff": max(r.max_prob_diff for r in self.rows),
            "min_agreement": min(r.agreement for r in self.rows),
            "torch_accuracy": self.torch_accuracy,
        }


@torch.inference_mode()
def torch_logits(model: LeNet5, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    model = model.cpu().eval()
    tensor = torch.from_numpy(images)
    return torch.cat(
        [model(tensor[i : i + batch_size]) for i in range(0, len(tensor), batch_size)]
    ).numpy()


def check_parity(
    model: LeNet5,
    onnx_model: bytes | str | Path,
    images: np.ndarray,
    labels: np.ndarray,
    batch_sizes: tuple[int, ...] = PARITY_BATCH_SIZES,
    levels: tuple[str, ...] = tuple(OPTIMIZATION_LEVELS),
) -> ParityReport:
    """Compare onnxruntime against torch on `images` at each batch size and optimization level."""
    reference = torch_logits(model, images)
    reference_probs = softmax(reference)
    predictions = reference.argmax(1)
    report = ParityReport(len(images), float((predictions == labels).mean()))
    for level in levels:
        sess = session(onnx_model, level)
        for batch_size in batch_sizes:
            logits = run_batched(sess, images, batch_size)
            report.rows.append(
                ParityRow(
                    level=level,
                    batch_size=batch_size,
                    max_logit_diff=float(np.abs(logits - reference).max()),
                    max_prob_diff=float(np.abs(softmax(logits) - reference_probs).max()),
                    agreement=float((logits.argmax(1) == predictions).mean()),
                    accuracy=float((logits.argmax(1) == labels).mean()),
                )
            )
    return report


def check_model(proto_or_bytes: onnx.ModelProto | bytes) -> onnx.ModelProto:
    """onnx's full checker (with shape inference); returns the parsed proto."""
    proto = proto_or_bytes
    if isinstance(proto, bytes):
        proto = onnx.load_model_from_string(proto)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def contract_mismatches(metadata: dict[str, str]) -> list[str]:
    """Keys whose values differ from the contract written in lenet/contract.py."""
    return [k for k, v in contract_metadata().items() if metadata.get(k) != v]


def serialize(proto: onnx.ModelProto) -> bytes:
    """One self-contained file: weights inline, no external .onnx.data."""
    buffer = io.BytesIO()
    onnx.save_model(proto, buffer, save_as_external_data=False)
    return buffer.getvalue()


def graph_op_types(proto: onnx.ModelProto) -> set[str]:
    return {node.op_type for node in proto.graph.node}


def batch_axis_is_dynamic(proto: onnx.ModelProto) -> bool:
    dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    return bool(dim.dim_param) and not dim.HasField("dim_value")


def finished_checkpoint(path: Path) -> tuple[Checkpoint, Path]:
    """The checkpoint of a finished run (one whose probabilities were calibrated), and its file."""
    from lenet.checkpoint import resolve_checkpoint_path

    path = resolve_checkpoint_path(path)
    checkpoint = load_checkpoint(path)
    if not checkpoint.finished:
        raise CheckpointError(
            f"{path} has not been calibrated (its run did not finish); "
            f"finish it with python train.py --resume {path.parent}"
        )
    return checkpoint, path


def newest_checkpoint(runs: Path) -> Path:
    """The most recently written checkpoint of the run folders under `runs`."""
    found = sorted(runs.glob(f"*/{CHECKPOINT_NAME}"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise CheckpointError(
            f"no checkpoint under {runs}; train first (python train.py) or pass --checkpoint"
        )
    return found[-1]


def checkpoint_with_sha256(runs: Path, sha256: str | None) -> Path | None:
    """The checkpoint under `runs` whose bytes have this SHA-256 (the one a model came from)."""
    return next((p for p in runs.glob(f"*/{CHECKPOINT_NAME}") if sha256_file(p) == sha256), None)


def check_file(path: Path) -> dict[str, str]:
    """The checks that need no data: the ONNX checker, the contract, no Dropout, a dynamic
    batch axis. Returns the file's metadata; ValueError (or OSError) names what fails."""
    if not path.is_file():
        raise OSError(f"no model file at {path}")
    try:
        proto = check_model(path.read_bytes())
    except Exception as exc:  # onnx's ValidationError, protobuf's DecodeError, ...
        raise ValueError(f"{path} is not a valid ONNX model ({type(exc).__name__})") from None
    metadata = {p.key: p.value for p in proto.metadata_props}
    problems = [
        f"metadata {k!r} differs from lenet/contract.py" for k in contract_mismatches(metadata)
    ]
    if "Dropout" in graph_op_types(proto):
        problems.append("the graph contains Dropout")
    if not batch_axis_is_dynamic(proto):
        problems.append("the batch axis is not dynamic")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
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


def measured_accuracy(path: Path, images: np.ndarray, labels: np.ndarray) -> float:
    """The model file's accuracy on `images`, run as the demo runs it."""
    logits = run_batched(session(path), images, EVAL_BATCH)
    return float((logits.argmax(1) == labels).mean())


def quantize_int8(fp32_model: bytes, calibration_images: np.ndarray) -> bytes:
    """Static int8 quantization in QDQ format, calibrated on `calibration_images`."""
    import tempfile

    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(np.array_split(calibration_images, len(calibration_images) // 100))

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.batches, None)
            return None if batch is None else {INPUT_NAME: batch}

    with tempfile.TemporaryDirectory() as tmp:
        fp32, prepared, int8 = (Path(tmp) / n for n in ("fp32.onnx", "prep.onnx", "int8.onnx"))
        fp32.write_bytes(fp32_model)
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(int8),
            Reader(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        proto = onnx.load(str(int8))
    # quant_pre_process keeps metadata_props; say what this file is.
    metadata = {p.key: p.value for p in proto.metadata_props}
    metadata["quantization"] = json.dumps(
        {
            "format": "QDQ",
            "weights": "int8 per-channel",
            "activations": "uint8",
            "calibration_images": len(calibration_images),
        }
    )
    set_metadata(proto, metadata)
    return serialize(proto)
