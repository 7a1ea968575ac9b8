"""The shipped model on hand-drawn-like digits, through the demo's full preprocessing path.

bench/robustness.py reports the same on all 10,000 test digits; here 1,000 keep it quick.
"""

import numpy as np
import pytest

from bench.robustness import CONDITIONS, STRESS, TARGET_DROP, evaluate, read_idx
from conftest import REPO

IMAGES = 1000


@pytest.fixture(scope="module")
def results(mnist_dir):
    from classifier import DigitClassifier  # on sys.path through bench.robustness

    raw = mnist_dir / "MNIST" / "raw"
    images = read_idx(raw / "t10k-images-idx3-ubyte")[:IMAGES]
    labels = read_idx(raw / "t10k-labels-idx1-ubyte")[:IMAGES]
    return evaluate(DigitClassifier.load(REPO / "demo" / "model.onnx"), images, labels)


def test_every_condition_is_measured(results):
    assert list(results)[1:] == [*CONDITIONS, *STRESS]
    assert all(np.isfinite(list(results.values())))


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_no_condition_loses_more_than_the_target(results, condition):
    plain = results["plain MNIST (28x28)"]
    assert plain >= 0.99  # the shipped model
    assert results[condition] >= plain - TARGET_DROP, (condition, results)
