"""One hostile visitor against the running app (tests/support/hostile.py).

The app is started, about a hundred hostile requests replayed (issue 10's and others),
and the server's memory, answers and log checked, with a good drawing read after, both
the way the page sends it and through gradio_client. About 15 s.
"""

from __future__ import annotations

import sys

import pytest

from tests.support.hostile import assert_survived, visit

pytestmark = pytest.mark.slow


def test_hostile_traffic_leaves_the_app_up_small_and_right():
    assert_survived(visit(sys.executable))
