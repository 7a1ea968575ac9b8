"""The shipped model on hand-drawn-like digits, through the demo's full preprocessing path.

bench/robustness.py reports the same on all 10,000 test digits; here 1,000 keep it quick.
"""

import numpy as np
import pytest
from demo_helpers import MODEL_PATH, mnist_test_set

from bench.robustness import CONDITIONS, STRESS, TARGET_DROP, evaluate

# isort: split
# The demo's own modules, from demo/ (on the tests' path: pyproject.toml).
from classifier import DigitClassifier

pytestmark = pytest.mark.slow  # 7 conditions x 1,000 digits through the demo's pipeline

IMAGES = 1000


@pytest.fixture(scope="module")
def results(mnist_dir):
    images, labels = mnist_test_set(mnist_dir, IMAGES)
    return evaluate(DigitClassifier.load(MODEL_PATH), images, labels)


def test_every_condition_is_measured(results):
    assert list(results)[1:] == [*CONDITIONS, *STRESS]
    assert all(np.isfinite(list(results.values())))


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_no_condition_loses_more_than_the_target(results, condition):
    plain = results["plain MNIST (28x28)"]
    assert plain >= 0.99  # the shipped model
    assert results[condition] >= plain - TARGET_DROP, (condition, results)
