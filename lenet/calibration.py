"""Calibrated probabilities and the "not sure" threshold, fitted on held-out training images.

A network's softmax is not a probability until it is checked against how often it is
right. Temperature scaling (Guo et al. 2017) divides the logits by one number T, fitted
to minimize the cross-entropy on a validation split the network never trained on; the
ranking of the classes, and so the accuracy, does not change. The export folds T into
the last layer, so every reader of the ONNX file gets calibrated probabilities.

The demo says "not sure" when the top probability is below a threshold. It is the top
probability that CONFIDENT_SHARE of the validation digits reach: at most 3 in 100
ordinary MNIST digits get a hedged answer, and anything less digit-like than that gets
one too. The share is one overall setting, fitted on MNIST and checked on drawings: at
99 in 100, as first chosen, the answers given with confidence on digits drawn with a pen
were wrong 2% of the time (drawn digits are further from MNIST than its held-out slice
is); at 97 in 100, under 1% (BENCHMARKS.md section 12).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lenet.data import Split

CONFIDENT_SHARE = 0.97  # of validation digits answered without "not sure"
ECE_BINS = 15  # equal-width confidence bins for the expected calibration error


@torch.inference_mode()
def all_logits(model: torch.nn.Module, split: Split, batch_size: int = 1000) -> torch.Tensor:
    """The model's logits (N, 10) for every image of `split`, in eval mode."""
    was_training = model.training
    model.eval()
    logits = torch.cat(
        [model(split.images[i : i + batch_size]) for i in range(0, len(split), batch_size)]
    )
    model.train(was_training)
    return logits


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The T > 0 that minimizes the cross-entropy of softmax(logits / T) on these labels."""
    logits, labels = logits.float().cpu().clone(), labels.cpu().clone()  # out of inference mode
    log_t = torch.zeros(1, requires_grad=True)  # T = exp(log_t) stays positive
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return float(log_t.detach().exp())


def expected_calibration_error(probabilities: torch.Tensor, labels: torch.Tensor) -> float:
    """ECE: the gap between confidence and accuracy, averaged over ECE_BINS equal-width bins."""
    confidence, predicted = probabilities.max(1)
    correct = (predicted == labels).float()
    bins = (confidence * ECE_BINS).long().clamp(max=ECE_BINS - 1)
    error = torch.zeros(())
    for b in range(ECE_BINS):
        members = bins == b
        if members.any():
            gap = (correct[members].mean() - confidence[members].mean()).abs()
            error += members.float().mean() * gap
    return float(error)


def confidence_threshold(probabilities: torch.Tensor) -> float:
    """The top probability that CONFIDENT_SHARE of these (validation) images reach."""
    return float(torch.quantile(probabilities.max(1).values, 1 - CONFIDENT_SHARE))


def calibrate(model: torch.nn.Module, validation: Split, test: Split) -> dict[str, Any]:
    """Fit T and the threshold on `validation`; report ECE before and after on both splits.

    The test split is only measured, never fitted on.
    """
    val_logits = all_logits(model, validation).cpu()
    test_logits = all_logits(model, test).cpu()
    val_labels, test_labels = validation.labels.cpu(), test.labels.cpu()
    temperature = fit_temperature(val_logits, val_labels)
    val_probs = F.softmax(val_logits / temperature, 1)
    test_probs = F.softmax(test_logits / temperature, 1)
    threshold = confidence_threshold(val_probs)
    confident = test_probs.max(1).values >= threshold
    test_correct = test_probs.argmax(1) == test_labels
    return {
        "temperature": temperature,
        "confidence_threshold": threshold,
        "validation_images": len(validation),
        "validation_accuracy": float((val_probs.argmax(1) == val_labels).float().mean()),
        "validation_ece_before": expected_calibration_error(F.softmax(val_logits, 1), val_labels),
        "validation_ece": expected_calibration_error(val_probs, val_labels),
        "test_ece_before": expected_calibration_error(F.softmax(test_logits, 1), test_labels),
        "test_ece": expected_calibration_error(test_probs, test_labels),
        "test_confident_share": float(confident.float().mean()),
        "test_selective_accuracy": float(test_correct[confident].float().mean()),
    }
