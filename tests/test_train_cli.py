"""train.py as a user meets it: the dry run, one-line errors, kills and --resume."""

import dataclasses
import json
import signal
import time

import pytest
import torch

from lenet.checkpoint import load_checkpoint
from lenet.recipes import TrainConfig
from tests.support import processes
from train import HYPERPARAMETERS, build_parser


@pytest.mark.parametrize("steps", [[], ["--no-cuda-graph"]])  # the eager steps, on CUDA too
def test_dry_run_writes_a_complete_run_folder(steps, tmp_path, mnist_dir, run_cli):
    result = run_cli(
        "train.py",
        "--dry-run",
        *steps,
        "--data-dir",
        str(mnist_dir),
        "--out",
        str(tmp_path),
        timeout=120,
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


# Refused by TrainConfig, where every setting is checked, before torch is imported.
CONFIG_REFUSES = [
    (["--epochs", "0"], "--epochs: must be a positive integer, got 0"),
    (["--epochs", "-3"], "--epochs: must be a positive integer, got -3"),
    (["--batch-size", "0"], "--batch-size: must be a positive integer"),
    (["--lr", "-0.1"], "--lr: must be a positive number"),
    (["--lr", "nan"], "--lr: must be a positive number"),
    (["--momentum", "1.5"], "--momentum: must be in [0, 1)"),
    (["--seed", "99999999999999999999"], "--seed: must fit in 64 bits"),
]
# Refused by argparse: not a number, not one of the choices.
PARSER_REFUSES = [
    (["--epochs", "two"], "--epochs: invalid int value: 'two'"),
    (["--optimizer", "adam"], "--optimizer: invalid choice: 'adam'"),
    (["--schedule", "cosine"], "--schedule: invalid choice: 'cosine'"),
]
# Refused once the data and the devices are known.
LATER_REFUSED = [
    (["--validation", "70000"], "--validation: cannot hold out 70,000 of 60,000 images"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--cuda-graph", "--device", "cpu"], "--cuda-graph: a CUDA graph needs a CUDA device"),
]


@pytest.mark.parametrize(("args", "expected"), CONFIG_REFUSES + PARSER_REFUSES + LATER_REFUSED)
def test_bad_values_get_one_line(args, expected, mnist_dir, tmp_path, run_cli, one_line_error):
    result = run_cli("train.py", *args, "--data-dir", str(mnist_dir), "--out", str(tmp_path))
    assert expected in one_line_error(result)
    assert not (tmp_path / "checkpoint.pt").exists()


def test_every_hyperparameter_has_its_own_flag():
    """Each TrainConfig field (but the recipe's name, which --recipe picks) is set by the flag
    of the same name, so `--lr` can be found with grep and main can name a bad one."""
    assert set(HYPERPARAMETERS) == {f.name for f in dataclasses.fields(TrainConfig)} - {"recipe"}
    parser, seed = build_parser(), TrainConfig()
    for name in HYPERPARAMETERS:
        flag, value = "--" + name.replace("_", "-"), getattr(seed, name)
        given = [] if isinstance(value, bool) else [str(1000 if value is None else value)]
        assert getattr(parser.parse_args([flag, *given]), name) is not None, flag


def test_missing_data_folder_names_the_flag(tmp_path, run_cli, one_line_error):
    result = run_cli(
        "train.py",
        "--data-dir",
        str(tmp_path / "nowhere"),
        "--no-download",
        "--out",
        str(tmp_path / "run"),
    )
    assert "pass --data-dir" in one_line_error(result)


def test_corrupt_and_foreign_resume_are_refused_and_left_untouched(
    tmp_path, mnist_dir, run_cli, one_line_error
):
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


@pytest.mark.slow
def test_nan_loss_stops_with_one_line(tmp_path, mnist_dir, run_cli, one_line_error):
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
    assert one_line_error(result).endswith("try a smaller --lr")
    assert not (tmp_path / "checkpoint.pt").exists()


def test_existing_run_is_not_overwritten(small_run, mnist_dir, run_cli, one_line_error):
    before = (small_run / "checkpoint.pt").read_bytes()
    result = run_cli("train.py", "--dry-run", "--data-dir", str(mnist_dir), "--out", str(small_run))
    assert "already holds a run" in one_line_error(result)
    assert (small_run / "checkpoint.pt").read_bytes() == before


def test_resume_refuses_to_change_hyperparameters(small_run, mnist_dir, run_cli, one_line_error):
    result = run_cli(
        "train.py", "--resume", str(small_run), "--lr", "0.1", "--data-dir", str(mnist_dir)
    )
    assert "--lr cannot change on --resume" in one_line_error(result)


def test_a_finished_run_with_its_report_is_not_trained_again(
    small_run, mnist_dir, run_cli, one_line_error
):
    before = (small_run / "checkpoint.pt").read_bytes()
    result = run_cli("train.py", "--resume", str(small_run), "--data-dir", str(mnist_dir))
    assert "the run already has 1 of 1 epochs; pass --epochs N" in one_line_error(result)
    assert (small_run / "checkpoint.pt").read_bytes() == before


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_weights(tmp_path, mnist_dir, run_cli):
    # On the CPU, where resuming is exact. On CUDA it is not bit for bit (cuDNN's backward
    # kernels sum in no fixed order); tests/test_graph_step.py resumes a run there.
    common = [
        "--device",
        "cpu",
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
    process = processes.start(["train.py", *common, "--out", str(run_dir)])
    history = run_dir / "history.csv"
    deadline = time.monotonic() + 120
    while not history.exists() and time.monotonic() < deadline:  # epoch 1 done
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "continue with --resume" in stderr and "Traceback" not in stderr
    killed_at = load_checkpoint(run_dir).epoch
    assert 1 <= killed_at < 6  # it really was cut short

    resumed = run_cli(
        "train.py", "--resume", str(run_dir), "--device", "cpu", "--data-dir", str(mnist_dir)
    )
    assert resumed.returncode == 0, resumed.stderr
    final = load_checkpoint(run_dir)
    expected = load_checkpoint(tmp_path / "straight")
    assert final.epoch == 6
    for name, tensor in expected.model.items():
        assert torch.equal(tensor, final.model[name]), name
    assert [r["epoch"] for r in final.history] == list(range(1, 7))
