"""Failures as a user meets them: one line on stderr, a non-zero exit, and nothing lost.

Damaged checkpoints and MNIST files, an --out folder that cannot be written, a disk that
fills up mid-run, a model file whose metadata claims nothing, and a run killed between
its last checkpoint and its report (issue 11, B). Each case is checked in the library,
where it is quick, and through train.py or export.py, where the user meets it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from lenet.checkpoint import CheckpointError, load_checkpoint
from lenet.mnist_files import DataError, read_split, split_files
from lenet.report import CONFUSION_NAME, CURVES_NAME, METRICS_NAME, REPORT_NAMES
from tests.support import processes
from tests.support.images import model_with_metadata
from tests.support.paths import MODEL_PATH

DISK_BYTES = 4 * 1024 * 1024  # the small disk: room for a run folder (~0.5 MB) and its filler
LEFT_FOR_A_CHECKPOINT = 64 * 1024  # less than a checkpoint (~370 KB) needs
LEFT_FOR_A_REPORT = 16 * 1024  # room for history.csv, not for curves.png (~35 KB)

# A checkpoint in our format with other contents: what to change, and what the refusal says.
Tamper = Callable[[dict], None]
TAMPERED: dict[str, tuple[Tamper, str]] = {
    "other-shape weights": (
        lambda c: c["model"].update({"fc1.weight": torch.zeros(120, 100)}),
        "its weights do not fit LeNet-5: Error(s) in loading state_dict for LeNet5: "
        "size mismatch for fc1.weight",
    ),
    "no train_config": (lambda c: c.pop("train_config"), "its train_config is missing"),
    "an extra config key": (
        lambda c: c["train_config"].update({"turbo": True}),
        "its train_config is not valid: turbo is not a setting",
    ),
    "a setting of the wrong type": (
        lambda c: c["train_config"].update({"lr": "0.01"}),
        "its train_config is not valid: lr must be a number, got '0.01'",
    ),
    "an epoch stored as a string": (
        lambda c: c.update({"epoch": "1"}),
        "its epoch must be an integer from 1 to 1, got '1'",
    ),
    "weights that are not finite": (
        lambda c: c["model"]["fc3.bias"].fill_(float("nan")),
        "its weights are not all finite",
    ),
    "a history out of step": (
        lambda c: c.update({"history": []}),
        "its history must hold one row of numbers for each of epochs 1 to 1",
    ),
    "a model_config at odds with the train_config": (
        lambda c: c["model_config"].update({"fc_dropout": 0.1}),
        "its model_config does not match the dropout rates in its train_config",
    ),
    "a calibration without a temperature": (
        lambda c: c["calibration"].pop("temperature"),
        "its calibration is not a positive temperature",
    ),
}
SLOW = pytest.mark.slow
# Through the scripts, one case of each kind runs by default and the rest with -m slow:
# each case pays torch's import in a fresh process.
CLI_CASES = [pytest.param(name, marks=[] if i == 0 else SLOW) for i, name in enumerate(TAMPERED)]

# MNIST's test images, damaged three ways.
DAMAGED: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "replaced by text": (
        lambda data: b"this is not MNIST\n" * 100,
        "its header is not that of an idx file of unsigned bytes",
    ),
    "empty": (lambda data: b"", "it is empty"),
    "truncated": (
        lambda data: data[: len(data) // 2],
        "its header promises 7,840,016 bytes of shape (10000, 28, 28), the file holds "
        "3,920,008 (truncated or padded)",
    ),
}


def tampered_checkpoint(source: Path, folder: Path, tamper: Tamper) -> Path:
    """`source`'s checkpoint, changed by `tamper`, still tagged with our format."""
    checkpoint = torch.load(source / "checkpoint.pt", weights_only=True)
    tamper(checkpoint)
    folder.mkdir()
    torch.save(checkpoint, folder / "checkpoint.pt")
    return folder / "checkpoint.pt"


@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_checkpoint_with_other_contents_is_refused_in_one_line(small_run, tmp_path, case):
    tamper, expected = TAMPERED[case]
    path = tampered_checkpoint(small_run, tmp_path / "run", tamper)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    message = str(error.value)
    assert message.startswith(f"{path} is a LeNet-5 MNIST checkpoint, but {expected}"), message
    assert "\n" not in message


@pytest.mark.parametrize("case", CLI_CASES)
def test_train_and_export_refuse_a_checkpoint_with_other_contents(
    small_run, tmp_path, mnist_dir, case, one_line_error
):
    tamper, expected = TAMPERED[case]
    path = tampered_checkpoint(small_run, tmp_path / "run", tamper)
    before = path.read_bytes()
    out = tmp_path / "model.onnx"
    runs = {  # both at once: each pays torch's import time
        "train.py": ["--resume", str(path), "--epochs", "2", "--data-dir", str(mnist_dir)],
        "export.py": ["--checkpoint", str(path), "--out", str(out), "--data-dir", str(mnist_dir)],
    }
    for result in run_together(runs):
        assert expected in one_line_error(result)
    assert path.read_bytes() == before and not out.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["checkpoint.pt"]


@SLOW
def test_a_training_state_that_does_not_fit_is_refused_before_anything_is_written(
    small_run_copy, mnist_dir, run_cli, one_line_error
):
    # Checked where it is restored: the optimizer's state has no parameter groups.
    checkpoint = torch.load(small_run_copy / "checkpoint.pt", weights_only=True)
    checkpoint["optimizer"]["param_groups"] = []
    torch.save(checkpoint, small_run_copy / "checkpoint.pt")
    before = {p.name: p.read_bytes() for p in small_run_copy.iterdir()}
    result = run_cli(
        "train.py", "--resume", str(small_run_copy), "--epochs", "2", "--data-dir", str(mnist_dir)
    )
    assert "optimizer, schedule or random state does not fit it" in one_line_error(result)
    assert {p.name: p.read_bytes() for p in small_run_copy.iterdir()} == before


@pytest.fixture
def damaged_mnist(mnist_dir: Path, tmp_path: Path) -> Callable[[str], Path]:
    """A data folder holding the real MNIST files but a damaged test-image file."""

    def make(case: str) -> Path:
        damage, _ = DAMAGED[case]
        data_dir = tmp_path / "data"
        for train in (True, False):
            for real, copy in zip(
                split_files(mnist_dir, train), split_files(data_dir, train), strict=True
            ):
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.symlink_to(real)
        images = split_files(data_dir, train=False)[0]
        images.unlink()
        images.write_bytes(damage(split_files(mnist_dir, train=False)[0].read_bytes()))
        return data_dir

    return make


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_mnist_file_is_named_in_one_line(damaged_mnist, case):
    data_dir = damaged_mnist(case)
    with pytest.raises(DataError) as error:
        read_split(data_dir, train=False)
    images = split_files(data_dir, train=False)[0]
    assert str(error.value) == f"{images} is not an MNIST idx file: {DAMAGED[case][1]}"
    read_split(data_dir, train=True)  # the undamaged split still reads


@pytest.mark.parametrize(
    "case", [pytest.param(name, marks=[] if i == 0 else SLOW) for i, name in enumerate(DAMAGED)]
)
def test_train_and_export_name_a_damaged_mnist_file(damaged_mnist, tmp_path, case, one_line_error):
    data_dir = damaged_mnist(case)
    run_dir = tmp_path / "run"
    runs = {
        "train.py": ["--data-dir", str(data_dir), "--epochs", "1", "--out", str(run_dir)],
        "export.py": ["--verify", str(MODEL_PATH), "--data-dir", str(data_dir)],
    }
    for result in run_together(runs):
        line = one_line_error(result)
        assert "t10k-images-idx3-ubyte is not an MNIST idx file" in line
        assert DAMAGED[case][1] in line and "pass --data-dir" in line
    assert not (run_dir / "checkpoint.pt").exists()


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nothing can be written in: immutable (chattr +i) as root, whom permission
    bits do not stop; read-only (chmod) for anyone else."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)


@pytest.mark.parametrize(
    "inside",
    [pytest.param(False, id="the-folder"), pytest.param(True, id="a-folder-in-it", marks=SLOW)],
)
def test_an_unwritable_out_folder_is_refused_before_training(
    unwritable_folder, mnist_dir, run_cli, inside, one_line_error
):
    out = unwritable_folder / "run" if inside else unwritable_folder
    result = run_cli("train.py", "--data-dir", str(mnist_dir), "--out", str(out))
    assert "cannot write in" in one_line_error(result)
    assert result.stdout == ""  # nothing was trained: not even the first line was printed
    assert list(unwritable_folder.iterdir()) == []


class SmallDisk:
    """A folder on a filesystem of its own that can be filled up: a DISK_BYTES tmpfs when
    this process may mount one (root), else a file-size limit (RLIMIT_FSIZE) on the
    commands run there, which fails a write past it the way a full disk does."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()
        mount = ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)]
        self.mounted = os.geteuid() == 0 and subprocess.run(mount).returncode == 0
        self.left: int | None = None

    def fill(self, leave: int) -> None:
        """Leave `leave` bytes: a filler file takes the rest (or, unmounted, a file limit)."""
        if self.mounted:
            free = shutil.disk_usage(self.folder).free
            (self.folder / "filler").write_bytes(bytes(free - leave))
        self.left = leave

    def empty(self) -> None:
        """Make room again: the filler goes (or the limit is lifted)."""
        (self.folder / "filler").unlink(missing_ok=True)
        self.left = None

    def run(self, run_cli, *args: str) -> subprocess.CompletedProcess:
        if self.mounted or self.left is None:
            return run_cli(*args)
        import resource
        import signal

        def limit() -> None:  # in the child: a write past the limit fails with EFBIG
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.left, self.left))

        return run_cli(*args, preexec_fn=limit)

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.folder)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(tmp_path / "disk")
    yield disk
    disk.close()


def test_a_full_disk_while_writing_a_checkpoint_keeps_the_last_one(
    small_run, small_disk, mnist_dir, run_cli, one_line_error
):
    run_dir = Path(shutil.copytree(small_run, small_disk.folder / "run"))
    before = (run_dir / "checkpoint.pt").read_bytes()
    small_disk.fill(leave=LEFT_FOR_A_CHECKPOINT)
    result = small_disk.run(
        run_cli, "train.py", "--resume", str(run_dir), "--epochs", "2", "--data-dir", str(mnist_dir)
    )
    line = one_line_error(result)
    reason = "No space left on device" if small_disk.mounted else "File too large"
    assert f"could not write {run_dir / 'checkpoint.pt'}: {reason}" in line
    assert f"epoch 1's checkpoint is intact: continue with --resume {run_dir}" in line
    assert (run_dir / "checkpoint.pt").read_bytes() == before
    assert not [p for p in run_dir.iterdir() if p.suffix == ".tmp"]  # no half-written file


@SLOW
def test_a_full_disk_while_writing_the_report_loses_nothing(
    small_run, small_disk, mnist_dir, run_cli, one_line_error
):
    run_dir = Path(shutil.copytree(small_run, small_disk.folder / "run"))
    for name in (CURVES_NAME, CONFUSION_NAME, METRICS_NAME):  # killed before its report
        (run_dir / name).unlink()
    before = (run_dir / "checkpoint.pt").read_bytes()
    small_disk.fill(leave=LEFT_FOR_A_REPORT)
    resume = ["train.py", "--resume", str(run_dir), "--data-dir", str(mnist_dir)]
    line = one_line_error(small_disk.run(run_cli, *resume))
    reason = "No space left on device" if small_disk.mounted else "File too large"
    assert f"could not write {run_dir / CURVES_NAME}: {reason}" in line
    assert "epoch 1's checkpoint is intact" in line
    assert (run_dir / "checkpoint.pt").read_bytes() == before
    # With room again, --resume writes the report from the checkpoint.
    small_disk.empty()
    result = small_disk.run(run_cli, *resume)
    assert result.returncode == 0, result.stderr
    assert all((run_dir / name).stat().st_size > 0 for name in REPORT_NAMES)
    assert (run_dir / "checkpoint.pt").read_bytes() == before


@pytest.mark.parametrize(
    ("accuracy", "expected"),
    [
        pytest.param(None, "states no test_accuracy in its metadata", id="missing"),
        pytest.param("NaN", "states a test_accuracy of 'NaN', not an accuracy", id="NaN"),
        pytest.param(
            "0.5", "the model's accuracy does not match its metadata", id="wrong", marks=SLOW
        ),
    ],
)
def test_verify_without_a_checkpoint_fails_unless_the_metadata_claims_the_accuracy(
    tmp_path, mnist_dir, run_cli, accuracy, expected, one_line_error
):
    # No run under runs/ has this SHA-256: the metadata's accuracy is all there is to check.
    changes = {"test_accuracy": accuracy, "checkpoint_sha256": "0" * 64}
    path = model_with_metadata(tmp_path / "model.onnx", changes)
    result = run_cli("export.py", "--verify", str(path), "--data-dir", str(mnist_dir))
    assert expected in one_line_error(result)


@SLOW
def test_verify_without_a_checkpoint_passes_when_the_metadata_is_right(
    tmp_path, mnist_dir, run_cli
):
    path = model_with_metadata(tmp_path / "model.onnx", {"checkpoint_sha256": "0" * 64})
    result = run_cli("export.py", "--verify", str(path), "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    assert "its metadata claims" in result.stdout


@pytest.mark.parametrize(
    "lost", ["the report", pytest.param("the calibration and the report", marks=SLOW)]
)
def test_a_run_killed_before_its_report_is_finished_by_resume(
    small_run_copy, mnist_dir, run_cli, lost, one_line_error
):
    run_dir = small_run_copy
    for name in (CURVES_NAME, CONFUSION_NAME, METRICS_NAME):
        (run_dir / name).unlink()
    if "calibration" in lost:  # killed before fit() calibrated and saved once more
        checkpoint = torch.load(run_dir / "checkpoint.pt", weights_only=True)
        checkpoint["calibration"] = None
        torch.save(checkpoint, run_dir / "checkpoint.pt")
    result = run_cli("train.py", "--resume", str(run_dir), "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    assert "epoch   1/1" not in result.stdout  # finished, not trained again
    assert all((run_dir / name).stat().st_size > 0 for name in REPORT_NAMES)
    checkpoint = load_checkpoint(run_dir)
    assert checkpoint.epoch == 1 and checkpoint.finished
    # Once its report is written, the run is whole: a second --resume has nothing to do.
    assert "already has 1 of 1 epochs" in one_line_error(
        run_cli("train.py", "--resume", str(run_dir), "--data-dir", str(mnist_dir))
    )


def run_together(runs: dict[str, list[str]]) -> list[subprocess.CompletedProcess]:
    """Run each script with its arguments at the same time; their results, in order."""
    started = [processes.start([script, *args]) for script, args in runs.items()]
    return [processes.finish(process) for process in started]
