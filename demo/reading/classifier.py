"""The model as the demo uses it: one onnxruntime session and the contract it carries.

The exported model file states its own contract in its metadata (written by
`lenet/contract.py` at export): input name and shape, polarity, the digit box, output
kind and labels. This module reads that contract back and checks it, so the demo never
retypes it and a model that breaks it is refused at start-up with one clear message.

    classifier = DigitClassifier.load(Path("demo/model.onnx"))
    probabilities = classifier.probabilities(images)   # (N, 28, 28) -> (N, 10)

`ort_session` and `softmax` are the one way this repository opens an ONNX model and
turns its logits into probabilities: the demo, the export's parity check and the
benchmarks all use them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort

# What the demo's preprocessing produces, and so what it needs the model to take.
EXPECTED_DTYPE = "float32"
EXPECTED_ORT_TYPE = "tensor(float)"
EXPECTED_RANGE = [0.0, 1.0]
EXPECTED_POLARITY = "white-on-black"
EXPECTED_OUTPUT_KIND = "logits"

# A batch of one LeNet-5 is ~0.4 MFLOP: tens of microseconds on one core. Thread
# pools would only add wake-up latency, so each request runs on one thread and a
# 2-vCPU Space serves two requests at once (the queue's concurrency limit).
INTRA_OP_THREADS = 1
ERRORS_ONLY = 3  # onnxruntime's log severity: no warnings on the console
OPTIMIZATION_LEVELS = {
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
}
Optimization = Literal["all", "none"]


class ModelError(Exception):
    """The model file is missing, unreadable, or does not match the demo's contract."""


@dataclass(frozen=True)
class Contract:
    """The parts of the model's metadata that the demo relies on."""

    input_name: str
    output_name: str
    image_size: int  # the model takes (N, 1, image_size, image_size)
    digit_box: int  # ink is scaled to fit digit_box x digit_box inside that
    labels: tuple[str, ...]
    # Below this top probability the answer is "not sure". The model's probabilities are
    # calibrated (its temperature is folded in at export); the threshold was fitted on
    # held-out MNIST images, so that 99 in 100 of them are answered with confidence.
    confidence_threshold: float


class DigitClassifier:
    """An onnxruntime session for the exported LeNet-5, with its contract and training facts."""

    def __init__(self, session: ort.InferenceSession, contract: Contract, metadata: dict[str, str]):
        self.session = session
        self.contract = contract
        self.metadata = metadata

    @classmethod
    def load(cls, path: Path) -> DigitClassifier:
        """Open `path` on the CPU and check its contract; raise ModelError if anything is wrong."""
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        try:
            session = ort_session(path, threads=INTRA_OP_THREADS)
        except Exception as error:  # onnxruntime raises its own untyped errors for bad files
            reason = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise ModelError(f"cannot load model {path}: {reason}") from None
        metadata = dict(session.get_modelmeta().custom_metadata_map)
        try:
            contract = _read_contract(session, metadata)
        except ModelError as error:
            raise ModelError(f"model {path} does not match the demo's contract: {error}") from None
        return cls(session, contract, metadata)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (N, len(labels)) for float32 images (N, size, size) in [0, 1]."""
        batch = np.asarray(images, dtype=np.float32)[:, np.newaxis]  # (N, 1, size, size)
        (logits,) = self.session.run([self.contract.output_name], {self.contract.input_name: batch})
        return softmax(logits)

    def describe(self) -> str:
        """One line about the model for the page: test accuracy and training recipe."""
        accuracy = self.metadata.get("test_accuracy")
        try:
            accuracy_text = f"{float(accuracy):.2%}"
        except (TypeError, ValueError):
            accuracy_text = "unknown"
        recipe = self.metadata.get("recipe", "unknown")
        return f"LeNet-5 · MNIST test accuracy {accuracy_text} · training recipe: {recipe}"


def ort_session(
    model: bytes | Path, threads: int = 0, optimization: Optimization = "all"
) -> ort.InferenceSession:
    """An onnxruntime session on the CPU for a model file or its bytes.

    `threads` is the intra-op thread count (0: onnxruntime's default, all cores); one
    request never spreads over threads of its own (inter-op 1). `optimization` turns
    onnxruntime's graph optimizations fully on or fully off.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = OPTIMIZATION_LEVELS[optimization]
    options.log_severity_level = ERRORS_ONLY
    source = str(model) if isinstance(model, Path) else model
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities (N, K) from logits (N, K), computed stably (the row's maximum taken out)."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _read_contract(session: ort.InferenceSession, metadata: dict[str, str]) -> Contract:
    """Check the metadata against what the demo needs and against the graph itself."""

    def field(key: str) -> str:
        if key not in metadata:
            raise ModelError(f"no '{key}' in its metadata (export it with `python export.py`)")
        return metadata[key]

    def json_field(key: str) -> object:
        try:
            return json.loads(field(key))
        except json.JSONDecodeError:
            raise ModelError(f"'{key}' is not valid JSON: {metadata[key]!r}") from None

    def expect(key: str, actual: object, wanted: object) -> None:
        if actual != wanted:
            raise ModelError(f"'{key}' is {actual!r}, the demo needs {wanted!r}")

    expect("input_dtype", field("input_dtype"), EXPECTED_DTYPE)
    expect("input_range", json_field("input_range"), EXPECTED_RANGE)
    expect("input_polarity", field("input_polarity"), EXPECTED_POLARITY)
    expect("output_kind", field("output_kind"), EXPECTED_OUTPUT_KIND)

    shape = json_field("input_shape")
    if not (
        isinstance(shape, list) and len(shape) == 4 and shape[1] == 1 and isinstance(shape[2], int)
    ):
        raise ModelError(f"'input_shape' is {shape!r}, the demo needs [N, 1, size, size]")
    expect("input_shape", shape[3], shape[2])
    image_size = shape[2]

    try:
        digit_box = int(field("digit_box"))
    except ValueError:
        raise ModelError(f"'digit_box' is {metadata['digit_box']!r}, not a whole number") from None
    if not 0 < digit_box <= image_size:
        raise ModelError(f"'digit_box' is {digit_box}, outside 1..{image_size}")

    try:
        threshold = float(field("confidence_threshold"))
    except ValueError:
        raise ModelError(
            f"'confidence_threshold' is {metadata['confidence_threshold']!r}, not a number"
        ) from None
    if not 0 < threshold < 1:  # also rejects NaN
        raise ModelError(f"'confidence_threshold' is {threshold}, outside (0, 1)")

    labels = json_field("labels")
    if not (
        isinstance(labels, list) and labels and all(isinstance(label, str) for label in labels)
    ):
        raise ModelError(f"'labels' is {labels!r}, the demo needs a list of strings")

    inputs, outputs = session.get_inputs(), session.get_outputs()
    input_name, output_name = field("input_name"), field("output_name")
    if [i.name for i in inputs] != [input_name]:
        raise ModelError(
            f"the graph's inputs are {[i.name for i in inputs]}, metadata says [{input_name!r}]"
        )
    expect("graph input type", inputs[0].type, EXPECTED_ORT_TYPE)
    expect("graph input shape", inputs[0].shape[1:], shape[1:])
    output = next((o for o in outputs if o.name == output_name), None)
    if output is None:
        raise ModelError(f"the graph has no output {output_name!r}")
    if isinstance(output.shape[-1], int):
        expect("number of labels", len(labels), output.shape[-1])
    return Contract(input_name, output_name, image_size, digit_box, tuple(labels), threshold)
