"""Calibration: the temperature fit, the ECE, the threshold, and what a real run records."""

import pytest
import torch
import torch.nn.functional as F

from lenet.calibration import (
    CONFIDENT_SHARE,
    confidence_threshold,
    expected_calibration_error,
    fit_temperature,
)
from lenet.checkpoint import load_checkpoint


def sampled(temperature: float, n: int = 5000, seed: int = 0):
    """Logits, and labels drawn from softmax(logits / temperature): T is the right answer."""
    generator = torch.Generator().manual_seed(seed)
    logits = 4 * torch.randn(n, 10, generator=generator)
    labels = torch.multinomial(F.softmax(logits / temperature, 1), 1, generator=generator)[:, 0]
    return logits, labels


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_the_temperature_the_labels_were_drawn_with(temperature):
    logits, labels = sampled(temperature)
    assert fit_temperature(logits, labels) == pytest.approx(temperature, rel=0.05)


def test_ece_is_small_when_calibrated_and_large_when_overconfident():
    # Enough samples that the binning noise (about 1/sqrt(n) per bin) stays well under 1%.
    logits, labels = sampled(2.0, n=100_000)
    assert expected_calibration_error(F.softmax(logits / 2.0, 1), labels) < 0.01
    assert expected_calibration_error(F.softmax(logits * 2, 1), labels) > 0.1


def test_the_threshold_lets_the_confident_share_through():
    logits, labels = sampled(1.0)
    probabilities = F.softmax(logits, 1)
    threshold = confidence_threshold(probabilities)
    share = (probabilities.max(1).values >= threshold).float().mean().item()
    assert share == pytest.approx(CONFIDENT_SHARE, abs=0.001)


@pytest.mark.slow
def test_a_real_run_is_calibrated_on_held_out_images(one_epoch_run, mnist):
    checkpoint = load_checkpoint(one_epoch_run)
    calibration = checkpoint.calibration
    assert calibration["validation_images"] == checkpoint.train_config.validation
    # Fitted on validation, measured on test: the fit must carry over.
    assert calibration["test_ece"] < 0.02
    assert calibration["test_ece"] < calibration["test_ece_before"]
    assert 0 < calibration["confidence_threshold"] < 1
    assert calibration["test_selective_accuracy"] > checkpoint.test["accuracy"]

    # The calibrated model is the trained one with its logits divided by T.
    _, test = mnist
    images = test.images[:500]
    raw, calibrated = checkpoint.network(calibrated=False), checkpoint.network()
    with torch.no_grad():
        torch.testing.assert_close(
            calibrated(images), raw(images) / calibration["temperature"], rtol=1e-5, atol=1e-5
        )
