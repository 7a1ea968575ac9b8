"""The demo's model handling: the contract read from the file, bad models refused, no torch."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest
from demo_helpers import DEMO_DIR, MODEL_PATH, REPO, model_with_metadata

# isort: split
# The demo's own modules, from demo/ (on the tests' path: pyproject.toml).
from classifier import DigitClassifier, ModelError

from lenet.contract import contract_metadata

FORBIDDEN_IMPORTS = {"torch", "torchvision", "lenet"}


def test_the_contract_comes_from_the_model_file():
    classifier = DigitClassifier.load(MODEL_PATH)
    # The file carries lenet's contract, word for word ...
    assert contract_metadata().items() <= classifier.metadata.items()
    # ... and the demo reads its geometry and labels from it.
    assert classifier.contract.image_size == 28
    assert classifier.contract.digit_box == 20
    assert classifier.contract.labels == tuple(str(d) for d in range(10))
    assert "MNIST test accuracy" in classifier.describe()
    assert "unknown" not in classifier.describe()


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"input_polarity": "black-on-white"}, "input_polarity"),
        ({"input_range": "[0, 255]"}, "input_range"),
        ({"output_kind": "probabilities"}, "output_kind"),
        ({"labels": json.dumps([str(d) for d in range(9)])}, "labels"),
        ({"labels": None}, "labels"),
        ({"digit_box": "twenty"}, "digit_box"),
        ({"input_shape": '["N", 3, 28, 28]'}, "input_shape"),
        ({"input_name": "pixels"}, "inputs"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_a_model_that_breaks_the_contract_is_refused(tmp_path, changes, named):
    path = model_with_metadata(tmp_path / "model.onnx", changes)
    with pytest.raises(ModelError, match="does not match the demo's contract") as error:
        DigitClassifier.load(path)
    assert named in str(error.value)


def test_missing_and_corrupt_files_are_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        DigitClassifier.load(tmp_path / "absent.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(MODEL_PATH.read_bytes()[:1000])
    with pytest.raises(ModelError, match="cannot load model"):
        DigitClassifier.load(corrupt)


def test_app_start_up_fails_with_one_clear_line(tmp_path):
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not an onnx model")
    models = {
        "not found": tmp_path / "absent.onnx",
        "cannot load model": corrupt,
        "input_polarity": model_with_metadata(
            tmp_path / "wrong.onnx", {"input_polarity": "inverted"}
        ),
    }
    # All three at once: each pays gradio's import time.
    runs = {
        expected: subprocess.Popen(
            [sys.executable, str(DEMO_DIR / "app.py")],
            env={**os.environ, "LENET_MODEL": str(path), "GRADIO_SERVER_PORT": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for expected, path in models.items()
    }
    for expected, process in runs.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode != 0
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), stderr
        assert expected in lines[0]
        assert "Traceback" not in stdout + stderr


def test_demo_code_does_not_import_torch_or_lenet():
    for path in DEMO_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {name.split(".")[0] for name in names} & FORBIDDEN_IMPORTS, path


TORCH_FREE_PREDICTION = """
import json, sys
for name in {forbidden!r}:
    sys.modules[name] = None  # any import of it now raises ImportError
sys.path.insert(0, {demo!r})
import numpy as np
from PIL import Image
import app
from classifier import DigitClassifier
classifier = DigitClassifier.load(app.DEFAULT_MODEL)
scores, answer, view = app.classify(classifier, np.asarray(Image.open({example!r})))
app.build_app(classifier)  # the whole page builds too
print(json.dumps({{"top": max(scores, key=scores.get), "p": max(scores.values())}}))
"""


def test_the_demo_predicts_where_torch_cannot_be_imported():
    code = TORCH_FREE_PREDICTION.format(
        forbidden=sorted(FORBIDDEN_IMPORTS),
        demo=str(DEMO_DIR),
        example=str(DEMO_DIR / "examples" / "3.png"),
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    prediction = json.loads(result.stdout.strip().splitlines()[-1])
    assert prediction["top"] == "3"
    assert prediction["p"] > 0.9
