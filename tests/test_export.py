"""export.py and the ONNX file it writes: parity with torch on real MNIST, metadata, refusals."""

import dataclasses
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from lenet import contract
from lenet import onnx_export as ox
from lenet.checkpoint import load_checkpoint
from lenet.files import sha256_file
from tests.support.paths import MODEL_PATH

# The tests that export a trained checkpoint: slow (a one-epoch training, then the parity
# check on 10,000 images at six batch sizes).
exports = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(one_epoch_run, mnist_dir, tmp_path_factory, run_cli):
    """(model path, export stdout) from `export.py --int8` on a one-epoch checkpoint."""
    out = tmp_path_factory.mktemp("export") / "model.onnx"
    result = run_cli(
        "export.py",
        "--checkpoint",
        str(one_epoch_run),
        "--out",
        str(out),
        "--data-dir",
        str(mnist_dir),
        "--int8",
    )
    assert result.returncode == 0, result.stderr
    return out, result.stdout


@pytest.fixture(scope="module")
def torch_model(one_epoch_run):
    """The model export.py writes: calibrated (the temperature folded into the last layer)."""
    return load_checkpoint(one_epoch_run).network()


@pytest.fixture(scope="module")
def test_arrays(mnist):
    _, test = mnist
    return test.images.numpy(), test.labels.numpy()


@exports
def test_export_prints_full_parity_and_writes_one_small_file(exported):
    path, stdout = exported
    assert "parity on 10,000 MNIST test images" in stdout
    for level in ("all", "none"):
        for batch in ox.PARITY_BATCH_SIZES:
            assert f"{level:>7}  {batch:>5}" in stdout
    assert "FAIL" not in stdout and "parity passed" in stdout
    assert "inputs 'image' (N, 1, 28, 28) -> 'logits' (N, 10)); parity passed" in stdout
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.int8.onnx", "model.onnx"]
    assert path.stat().st_size < 1_000_000


@exports
@pytest.mark.parametrize("level", ["all", "none"])
def test_parity_on_real_images(exported, torch_model, test_arrays, level):
    images, labels = test_arrays[0][:2000], test_arrays[1][:2000]
    report = ox.check_parity(
        torch_model, exported[0], images, labels, batch_sizes=(1, 7, 64, 2000), levels=(level,)
    )
    for row in report.rows:
        assert row.agreement == 1.0, row
        assert row.max_logit_diff <= ox.MAX_LOGIT_DIFF, row
    assert report.rows[0].accuracy == pytest.approx(report.torch_accuracy)


@exports
def test_batch_axis_is_dynamic(exported, test_arrays):
    proto = onnx.load(exported[0])
    assert ox.batch_axis_is_dynamic(proto)
    session = ort.InferenceSession(exported[0])
    for n in (1, 3, 100):
        (logits,) = session.run([contract.OUTPUT_NAME], {contract.INPUT_NAME: test_arrays[0][:n]})
        assert logits.shape == (n, len(contract.LABELS))


@exports
def test_graph_has_no_dropout_and_passes_the_checker(exported):
    proto = onnx.load(exported[0])
    onnx.checker.check_model(proto, full_check=True)
    ops = ox.graph_op_types(proto)
    assert "Dropout" not in ops
    assert {"Conv", "MaxPool", "Gemm"} <= ops
    assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer)


@exports
def test_metadata_round_trip(exported, one_epoch_run):
    meta = ort.InferenceSession(exported[0]).get_modelmeta().custom_metadata_map
    assert {k: meta[k] for k in contract.contract_metadata()} == contract.contract_metadata()
    assert json.loads(meta["labels"]) == list(contract.LABELS)
    checkpoint = load_checkpoint(one_epoch_run)
    assert float(meta["test_accuracy"]) == pytest.approx(checkpoint.test["accuracy"], abs=1e-4)
    assert float(meta["test_loss"]) == pytest.approx(checkpoint.test["loss"], abs=1e-6)
    assert meta["checkpoint_sha256"] == sha256_file(one_epoch_run / "checkpoint.pt")
    assert json.loads(meta["hyperparameters"]) == dataclasses.asdict(checkpoint.train_config)
    assert meta["recipe"] == "seed"
    parity = json.loads(meta["parity"])
    assert parity["min_agreement"] == 1.0 and parity["max_logit_diff"] <= ox.MAX_LOGIT_DIFF
    assert parity["images"] == 10_000
    for key in ("torch_version", "onnx_version", "onnxruntime_version", "export_date", "opset"):
        assert meta[key]


@exports
def test_the_file_follows_onnx_metadata_conventions(exported):
    """Producer, model version, author and license keys, and described input and output."""
    import torch

    fp32, int8 = exported[0], exported[0].with_suffix(".int8.onnx")
    proto = onnx.load(fp32)
    # The producer is the tool that wrote the graph: torch's exporter, at torch's version.
    assert (proto.producer_name, proto.producer_version) == ("pytorch", torch.__version__)
    for path in (fp32, int8):
        proto = onnx.load(path)
        assert proto.model_version == contract.MODEL_VERSION, path
        assert [i.doc_string for i in proto.graph.input] == [contract.INPUT_DOC], path
        assert [o.doc_string for o in proto.graph.output] == [contract.OUTPUT_DOC], path
        # onnxruntime reads them back as a runtime user would.
        meta = ort.InferenceSession(path).get_modelmeta()
        assert meta.version == contract.MODEL_VERSION
        assert contract.identity_metadata().items() <= meta.custom_metadata_map.items(), path


@exports
def test_int8_is_within_0_3_points_of_fp32(exported, test_arrays):
    images, labels = test_arrays
    fp32 = ox.run_batched(ox.session(exported[0]), images, 1000).argmax(1)
    int8 = ox.run_batched(ox.session(exported[0].with_suffix(".int8.onnx")), images, 1000)
    assert abs((int8.argmax(1) == labels).mean() - (fp32 == labels).mean()) <= 0.003
    assert "QuantizeLinear" in ox.graph_op_types(onnx.load(exported[0].with_suffix(".int8.onnx")))


@exports
def test_verify_passes_on_the_exported_file(exported, one_epoch_run, mnist_dir, run_cli):
    result = run_cli(
        "export.py",
        "--verify",
        str(exported[0]),
        "--checkpoint",
        str(one_epoch_run),
        "--data-dir",
        str(mnist_dir),
    )
    assert result.returncode == 0, result.stderr
    assert "parity passed" in result.stdout


def test_corrupt_checkpoint_is_refused_and_nothing_is_written(
    tmp_path, mnist_dir, run_cli, one_line_error
):
    corrupt = tmp_path / "checkpoint.pt"
    corrupt.write_bytes(b"\x00" * 100)
    out = tmp_path / "model.onnx"
    result = run_cli(
        "export.py", "--checkpoint", str(corrupt), "--out", str(out), "--data-dir", str(mnist_dir)
    )
    assert "not a readable checkpoint" in one_line_error(result)
    assert not out.exists()


def test_missing_checkpoint_and_unwritable_output(
    tmp_path, small_run, mnist_dir, run_cli, one_line_error
):
    result = run_cli(
        "export.py", "--checkpoint", str(tmp_path / "none"), "--out", str(tmp_path / "m.onnx")
    )
    assert "no checkpoint at" in one_line_error(result)
    result = run_cli(
        "export.py",
        "--checkpoint",
        str(small_run),
        "--out",
        str(tmp_path / "missing-folder" / "m.onnx"),
        "--data-dir",
        str(mnist_dir),
    )
    assert "not a writable folder" in one_line_error(result)


def test_verify_refuses_a_file_that_is_not_onnx(tmp_path, run_cli, one_line_error):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    assert "not a valid ONNX model" in one_line_error(run_cli("export.py", "--verify", str(fake)))


@exports
def test_failed_parity_raises_with_its_figures_and_returns_no_model(
    one_epoch_run, test_arrays, monkeypatch
):
    monkeypatch.setattr(ox, "MAX_LOGIT_DIFF", 0.0)  # float32 kernels differ by ~1e-5
    checkpoint = load_checkpoint(one_epoch_run)
    with pytest.raises(ox.ParityError, match="parity check failed") as error:
        ox.export_and_verify(checkpoint, "0" * 64, *test_arrays)
    report = error.value.report
    assert not report.ok and report.images == 10_000
    assert max(row.max_logit_diff for row in report.rows) > 0.0


def test_shipped_model_matches_its_metadata(test_arrays):
    assert MODEL_PATH.stat().st_size < 1_000_000
    meta = ort.InferenceSession(MODEL_PATH).get_modelmeta().custom_metadata_map
    images, labels = test_arrays
    logits = ox.run_batched(ox.session(MODEL_PATH), images, 1000)
    accuracy = float((logits.argmax(1) == labels).mean())
    assert accuracy == pytest.approx(float(meta["test_accuracy"]), abs=5e-5)
    assert ox.contract_mismatches(meta) == []
    assert np.isfinite(logits).all()
