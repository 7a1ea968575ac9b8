"""The model's input/output contract, written once, and what its file says about itself.

Everything that feeds the network or reads its output agrees on what is here:
training (`lenet.data`, `lenet.model`), the ONNX export (stamped into the
model file's metadata by `contract_metadata`) and the demo (which reads that
metadata back from the model file instead of importing this module).
"""

from __future__ import annotations

import json

IMAGE_SIZE = 28  # MNIST digits are 28x28 ...
DIGIT_BOX = 20  # ... with the ink scaled to fit 20x20, centred by centre of mass.
INPUT_NAME = "image"
OUTPUT_NAME = "logits"
INPUT_SHAPE = ("N", 1, IMAGE_SIZE, IMAGE_SIZE)
INPUT_DTYPE = "float32"
INPUT_RANGE = (0.0, 1.0)
POLARITY = "white-on-black"  # white ink (1.0) on a black background (0.0), as in MNIST
# Unnormalized scores, shape (N, 10); softmax gives calibrated probabilities (the
# temperature fitted on held-out images is folded into the last layer at export).
OUTPUT_KIND = "logits"
LABELS = tuple(str(d) for d in range(10))

# Normalization statistics of the MNIST training set. The network applies them
# inside forward(), so callers (and the ONNX model) take raw [0, 1] pixels.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

# The graph's input and output, described on them (ValueInfoProto.doc_string) and, with the
# network's name, on the whole model (ModelProto.doc_string).
POLARITY_WORDS = "white ink on black"
INPUT_DOC = (
    f"{INPUT_DTYPE} ({', '.join(map(str, INPUT_SHAPE))}): raw pixels in "
    f"[{INPUT_RANGE[0]:g}, {INPUT_RANGE[1]:g}], {POLARITY_WORDS}, the digit fitted to "
    f"{DIGIT_BOX}x{DIGIT_BOX} and centred by mass, as in MNIST"
)
OUTPUT_DOC = (
    f"float32 (N, {len(LABELS)}): logits for the labels '{LABELS[0]}' to '{LABELS[-1]}'; "
    "softmax gives probabilities"
)
MODEL_DOC = (
    f"LeNet-5 trained on MNIST. Input '{INPUT_NAME}': {INPUT_DOC}. "
    f"Output '{OUTPUT_NAME}': {OUTPUT_DOC}."
)


def signature() -> str:
    """The model's input and output in one line: 'image' (N, 1, 28, 28) -> 'logits' (N, 10)."""
    shape = ", ".join(map(str, INPUT_SHAPE))
    return f"'{INPUT_NAME}' ({shape}) -> '{OUTPUT_NAME}' (N, {len(LABELS)})"


# Who made the model and under what terms: ONNX's optional metadata keys (onnx/docs/IR.md,
# "Optional Metadata") and ModelProto.model_version, bumped whenever the shipped model's
# weights or contract change.
MODEL_AUTHOR = "The lenet-mnist authors"  # as in LICENSE
MODEL_LICENSE = "MIT"
MODEL_VERSION = 1
META_MODEL_AUTHOR = "model_author"
META_MODEL_LICENSE = "model_license"

# Keys under which the contract is stored in the ONNX model's metadata_props.
META_INPUT_NAME = "input_name"
META_INPUT_SHAPE = "input_shape"
META_INPUT_DTYPE = "input_dtype"
META_INPUT_RANGE = "input_range"
META_POLARITY = "input_polarity"
META_DIGIT_BOX = "digit_box"
META_OUTPUT_NAME = "output_name"
META_OUTPUT_KIND = "output_kind"
META_LABELS = "labels"
# Below this top probability an answer is "not sure" (fitted per model: lenet/calibration.py).
META_CONFIDENCE_THRESHOLD = "confidence_threshold"


def contract_metadata() -> dict[str, str]:
    """The contract as ONNX metadata: string keys to strings (JSON where structured)."""
    return {
        META_INPUT_NAME: INPUT_NAME,
        META_INPUT_SHAPE: json.dumps(list(INPUT_SHAPE)),
        META_INPUT_DTYPE: INPUT_DTYPE,
        META_INPUT_RANGE: json.dumps(list(INPUT_RANGE)),
        META_POLARITY: POLARITY,
        META_DIGIT_BOX: str(DIGIT_BOX),
        META_OUTPUT_NAME: OUTPUT_NAME,
        META_OUTPUT_KIND: OUTPUT_KIND,
        META_LABELS: json.dumps(list(LABELS)),
    }


def identity_metadata() -> dict[str, str]:
    """Author and license as ONNX metadata."""
    return {META_MODEL_AUTHOR: MODEL_AUTHOR, META_MODEL_LICENSE: MODEL_LICENSE}
