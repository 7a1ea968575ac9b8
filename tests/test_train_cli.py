"""train.py as a user meets it: the dry run, one-line errors, kills and --resume."""

import json
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import REPO, run_cli
from lenet.checkpoint import load_checkpoint


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The run failed with exactly one line on stderr and no traceback; return that line."""
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("train.py: error: ")
    return lines[0]


def test_dry_run_writes_a_complete_run_folder(tmp_path, mnist_dir):
    result = run_cli(
        "train.py", "--dry-run", "--data-dir", str(mnist_dir), "--out", str(tmp_path), timeout=120
    )
    assert result.returncode == 0, result.stderr
    for name in ("checkpoint.pt", "history.csv", "metrics.json", "curves.png", "confusion.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["parameters"] == 44_426
    assert metrics["dry_run"] is True and metrics["epochs"] == 1
    assert set(metrics["per_class_recall"]) == {str(d) for d in range(10)}
    assert {"torch", "torchvision", "python"} <= set(metrics["versions"])
    assert "epoch   1/1" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--epochs", "0"], "--epochs: must be a positive integer, got 0"),
        (["--epochs", "-3"], "--epochs: must be a positive integer, got -3"),
        (["--batch-size", "0"], "--batch-size: must be a positive integer"),
        (["--lr", "-0.1"], "--lr: must be a positive number"),
        (["--lr", "nan"], "--lr: must be a positive number"),
        (["--momentum", "1.5"], "--momentum must be in [0, 1)"),
        (["--device", "tpu"], "unknown device 'tpu'"),
    ],
)
def test_bad_values_get_one_line(args, expected, mnist_dir, tmp_path):
    result = run_cli("train.py", *args, "--data-dir", str(mnist_dir), "--out", str(tmp_path))
    assert expected in one_line_error(result)
    assert not (tmp_path / "checkpoint.pt").exists()


def test_missing_data_folder_names_the_flag(tmp_path):
    result = run_cli(
        "train.py",
        "--data-dir",
        str(tmp_path / "nowhere"),
        "--no-download",
        "--out",
        str(tmp_path / "run"),
    )
    assert "pass --data-dir" in one_line_error(result)


def test_corrupt_and_foreign_resume_are_refused_and_left_untouched(tmp_path, mnist_dir):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"half a checkpoint")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    for path, expected in (
        (corrupt, "not a readable checkpoint"),
        (foreign, "not a LeNet-5 MNIST checkpoint"),
    ):
        before = path.read_bytes()
        result = run_cli("train.py", "--resume", str(path), "--data-dir", str(mnist_dir))
        assert expected in one_line_error(result)
        assert path.read_bytes() == before


def test_nan_loss_stops_with_one_line(tmp_path, mnist_dir):
    result = run_cli(
        "train.py",
        "--lr",
        "1e6",
        "--train-subset",
        "2000",
        "--epochs",
        "1",
        "--data-dir",
        str(mnist_dir),
        "--out",
        str(tmp_path),
    )
    assert "loss became nan in epoch 1" in one_line_error(result)
    assert not (tmp_path / "checkpoint.pt").exists()


def test_existing_run_is_not_overwritten(one_epoch_run, mnist_dir):
    before = (one_epoch_run / "checkpoint.pt").read_bytes()
    result = run_cli(
        "train.py", "--dry-run", "--data-dir", str(mnist_dir), "--out", str(one_epoch_run)
    )
    assert "already holds a run" in one_line_error(result)
    assert (one_epoch_run / "checkpoint.pt").read_bytes() == before


def test_resume_refuses_to_change_hyperparameters(one_epoch_run, mnist_dir):
    result = run_cli(
        "train.py", "--resume", str(one_epoch_run), "--lr", "0.1", "--data-dir", str(mnist_dir)
    )
    assert "--lr cannot change on --resume" in one_line_error(result)


def test_killed_run_resumes_to_the_same_weights(tmp_path, mnist_dir):
    common = [
        "--train-subset",
        "5000",
        "--epochs",
        "6",
        "--seed",
        "3",
        "--data-dir",
        str(mnist_dir),
    ]
    straight = run_cli("train.py", *common, "--out", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr

    run_dir = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "train.py", *common, "--out", str(run_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    history = run_dir / "history.csv"
    deadline = time.monotonic() + 120
    while not history.exists() and time.monotonic() < deadline:  # epoch 1 done
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "continue with --resume" in stderr and "Traceback" not in stderr
    killed_at = load_checkpoint(run_dir)["epoch"]
    assert 1 <= killed_at < 6  # it really was cut short

    resumed = run_cli("train.py", "--resume", str(run_dir), "--data-dir", str(mnist_dir))
    assert resumed.returncode == 0, resumed.stderr
    final = load_checkpoint(run_dir)
    expected = load_checkpoint(tmp_path / "straight")
    assert final["epoch"] == 6
    for name, tensor in expected["model"].items():
        assert torch.equal(tensor, final["model"][name]), name
    assert [r["epoch"] for r in final["history"]] == list(range(1, 7))
