"""What the tests share, and the benchmarks that drive the demo from outside too.

    paths.py    where the repository, the demo and its model are
    images.py   MNIST as numpy, measures of a digit image, a model with other metadata
    app.py      `python app.py` started on a free 127.0.0.1 port, and the values /predict takes
    page.py     the page in headless Chromium: drawing with the mouse or a finger, axe-core
    routes.py   Gradio's routes spoken by hand (httpx and raw sockets), for hostile requests
    hostile.py  one hostile visitor against the running app: the attacks and their figures

Imported as `tests.support`: pyproject.toml puts the repository's root on the tests'
path, and the benchmarks run from it (`python -m bench.hostile`). Nothing here imports
gradio: the app under test runs in an interpreter of its own.
"""

import pytest

# Plain asserts in the helpers here (hostile.assert_survived) report their values, as in a
# test: pytest rewrites the package's modules imported from now on.
pytest.register_assert_rewrite("tests.support.hostile", "tests.support.page")
