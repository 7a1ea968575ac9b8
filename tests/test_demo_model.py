"""The demo's model handling: the contract read from the file, bad models refused, no torch."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from demo.reading.classifier import DigitClassifier, ModelError
from lenet.contract import contract_metadata
from tests.support import processes
from tests.support.images import model_with_metadata
from tests.support.paths import DEMO_DIR, MODEL_PATH

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
        expected: processes.start(
            [DEMO_DIR / "app.py"], env={"LENET_MODEL": str(path), "GRADIO_SERVER_PORT": "1"}
        )
        for expected, path in models.items()
    }
    for expected, process in runs.items():
        result = processes.finish(process, timeout=120)
        stdout, stderr = result.stdout, result.stderr
        assert result.returncode != 0
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), stderr
        assert expected in lines[0]
        assert "Traceback" not in stdout + stderr


def imported_modules(path: Path) -> set[str]:
    """The top-level names of the modules a Python file imports (relative imports: '')."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("" if node.level else (node.module or "").split(".")[0])
    return names


def test_demo_code_does_not_import_torch_or_lenet():
    for path in DEMO_DIR.rglob("*.py"):
        assert not imported_modules(path) & FORBIDDEN_IMPORTS, path


def test_only_the_page_and_the_adapter_import_gradio():
    importers = {
        str(path.relative_to(DEMO_DIR))
        for path in DEMO_DIR.rglob("*.py")
        if imported_modules(path) & {"gradio", "gradio_client"}
    }
    assert importers == {"app.py", "gradio_compat.py"}


# The reading core, imported in a fresh interpreter where gradio and torch cannot be
# imported at all, reads a drawing; which modules it loaded is checked too.
READING_CORE_ALONE = """
import json, sys
from pathlib import Path
for name in {forbidden!r}:
    sys.modules[name] = None  # any import of it now raises ImportError
import numpy as np
from PIL import Image
import reading
classifier = reading.DigitClassifier.load(Path({model!r}))
drawing = np.asarray(Image.open({example!r}))
scores, _answer, _view, _table = reading.read_drawing(classifier, drawing)
loaded = sorted(name for name, module in sys.modules.items() if module is not None)
top = max(scores, key=scores.get)
print(json.dumps({{"top": top, "p": scores[top], "loaded": loaded}}))
"""
# The whole Space (the page built too) where torch and lenet cannot be imported.
TORCH_FREE_PAGE = """
import sys
for name in {forbidden!r}:
    sys.modules[name] = None
import app, reading
app.build_app(reading.DigitClassifier.load(app.DEFAULT_MODEL))
print("built")
"""


def run_in_demo(code: str) -> str:
    """`code` run by this interpreter in demo/, as the Space imports its modules; stdout."""
    result = processes.run(["-c", code], cwd=DEMO_DIR, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_reading_core_reads_without_gradio_or_torch():
    code = READING_CORE_ALONE.format(
        forbidden=sorted(FORBIDDEN_IMPORTS | {"gradio", "gradio_client"}),
        model=str(MODEL_PATH),
        example=str(DEMO_DIR / "examples" / "3.png"),
    )
    result = json.loads(run_in_demo(code))
    assert result["top"] == "3" and result["p"] > 0.9
    loaded = {name.split(".")[0] for name in result["loaded"]}
    assert not loaded & (FORBIDDEN_IMPORTS | {"gradio", "gradio_client", "fastapi"}), loaded


def test_the_page_builds_where_torch_cannot_be_imported():
    assert run_in_demo(TORCH_FREE_PAGE.format(forbidden=sorted(FORBIDDEN_IMPORTS))) == "built"
