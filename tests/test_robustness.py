"""The shipped model on hand-drawn-like digits, through the demo's full preprocessing path.

`python -m bench.robustness` reports the same on all 10,000 test digits; here 1,000 keep it quick.
"""

import numpy as np
import pytest

from demo.reading.classifier import DigitClassifier
from tests.support.images import mnist_test_set
from tests.support.paths import MODEL_PATH
from tests.support.robustness import CONDITIONS, PLAIN, STRESS, TARGET_DROP, evaluate

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
    plain = results[PLAIN]
    assert plain >= 0.99  # the shipped model
    assert results[condition] >= plain - TARGET_DROP, (condition, results)
