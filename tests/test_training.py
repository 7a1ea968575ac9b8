"""Training on real MNIST: an accuracy floor, checkpoints, exact resume, divergence."""

from dataclasses import asdict, replace

import pytest
import torch

from lenet.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lenet.model import build_model
from lenet.recipes import TrainConfig
from lenet.training import TrainingDiverged, evaluate, fit


def test_one_epoch_reaches_a_floor_on_the_real_test_set(one_epoch_run):
    # The seed recipe after one epoch on all 60,000 images: 90.7% with seed 1
    # (89-91% over seeds); a broken model or pipeline sits near 10%.
    checkpoint = load_checkpoint(one_epoch_run)
    assert checkpoint["test"]["accuracy"] >= 0.85
    # The checkpoint rebuilds itself and reproduces its own figure on all 10,000 images.
    model = build_model(checkpoint["model_config"])
    model.load_state_dict(checkpoint["model"])


def test_evaluation_reports_recall_and_confusion(one_epoch_run, mnist):
    _, test = mnist
    checkpoint = load_checkpoint(one_epoch_run)
    model = build_model(checkpoint["model_config"])
    model.load_state_dict(checkpoint["model"])
    result = evaluate(model, test)
    assert result["accuracy"] == pytest.approx(checkpoint["test"]["accuracy"], abs=1e-12)
    confusion = torch.tensor(result["confusion"])
    assert confusion.sum() == len(test)
    assert confusion.sum(1).tolist() == torch.bincount(test.labels, minlength=10).tolist()
    assert result["accuracy"] == pytest.approx(confusion.diag().sum().item() / len(test))
    recall = confusion.diag() / confusion.sum(1)
    assert result["per_class_recall"] == pytest.approx(recall.tolist(), abs=1e-6)


def test_checkpoint_round_trip(tmp_path):
    model = build_model({"conv_dropout": 0.25, "fc_dropout": 0.4})
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, {"model_config": asdict(model.config), "model": model.state_dict()})
    loaded = load_checkpoint(tmp_path)  # a run folder works as well as the file
    rebuilt = build_model(loaded["model_config"])
    rebuilt.load_state_dict(loaded["model"])
    assert rebuilt.config == model.config
    x = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(rebuilt.eval()(x), model.eval()(x), rtol=0, atol=0)
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temp file left


def test_foreign_and_corrupt_checkpoints_are_refused(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not a LeNet-5 MNIST checkpoint"):
        load_checkpoint(foreign)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a zip archive, nor a pickle")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(corrupt)


def _small_run(mnist, run_dir, epochs, resume=None):
    train, test = mnist
    config = TrainConfig(epochs=epochs, seed=7)
    return fit(
        config, train.subset(3000), test.subset(1000), run_dir, resume=resume, show_progress=False
    )


def test_interrupted_and_resumed_equals_uninterrupted(mnist, tmp_path):
    straight, _, _ = _small_run(mnist, tmp_path / "straight", epochs=3)
    _small_run(mnist, tmp_path / "split", epochs=1)  # "interrupted" after epoch 1
    resumed, history, _ = _small_run(
        mnist, tmp_path / "split", epochs=3, resume=load_checkpoint(tmp_path / "split")
    )
    assert [row["epoch"] for row in history] == [1, 2, 3]
    for name, tensor in straight.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name


def test_divergence_stops_and_keeps_the_last_good_checkpoint(mnist, tmp_path):
    _small_run(mnist, tmp_path, epochs=1)
    before = (tmp_path / "checkpoint.pt").read_bytes()
    checkpoint = load_checkpoint(tmp_path)
    checkpoint["optimizer"]["param_groups"][0]["lr"] = 1e6  # blows up in epoch 2
    train, test = mnist
    config = replace(TrainConfig(epochs=2, seed=7))
    with pytest.raises(TrainingDiverged, match="epoch 2.*epoch 1's checkpoint is kept"):
        fit(
            config,
            train.subset(3000),
            test.subset(1000),
            tmp_path,
            resume=checkpoint,
            show_progress=False,
        )
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
