# Two commands on a fresh machine:
#   make demo   the Gradio app on the shipped model (light environment: no torch)
#   make test   the test suite (full environment: torch, onnx, Chromium for the browser tests)
# Each builds its environment from nothing the first time.

PYTHON ?= python3
MNIST_DIR ?= $(abspath ../shared/mnist)
# The demo's Gradio is the Space's sdk_version: written once, in demo/README.md.
GRADIO_VERSION := $(shell sed -n 's/^sdk_version: *//p' demo/README.md)
# axe-core, injected into the page by the accessibility tests.
AXE_CORE_VERSION := 4.14.1
AXE_JS := .axe/node_modules/axe-core/axe.min.js
# @gradio/client, the JavaScript client the API page's snippets use (tests/support/api.py).
GRADIO_JS_VERSION := 2.7.0
GRADIO_JS := .gradio-js/node_modules/@gradio/client/package.json

.PHONY: demo test model lint

demo: .venv-demo/.installed
	GRADIO_ANALYTICS_ENABLED=False .venv-demo/bin/python demo/app.py

# Everything, the slow tests included (a fresh demo venv); `.venv/bin/python -m pytest`
# alone skips those.
test: .venv/.installed chromium $(AXE_JS) $(GRADIO_JS)
	MNIST_DIR=$(MNIST_DIR) .venv/bin/python -m pytest -m ""

# The shipped demo model, from a clean checkout: train with the best recipe, then export.
model: .venv/.installed
	.venv/bin/python train.py --recipe best --data-dir $(MNIST_DIR) --out runs/shipped
	.venv/bin/python export.py --checkpoint runs/shipped --data-dir $(MNIST_DIR)

lint: .venv/.installed
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

.venv/.installed: requirements.txt
	$(PYTHON) -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

.venv-demo/.installed: demo/requirements.txt demo/README.md
	$(PYTHON) -m venv .venv-demo
	.venv-demo/bin/pip install --quiet --disable-pip-version-check \
		-r demo/requirements.txt "gradio[mcp]==$(GRADIO_VERSION)"
	touch $@

# npm installs the pinned axe-core into the ignored .axe/ and @gradio/client into the
# ignored .gradio-js/ (Debian's npm where it is missing).
$(AXE_JS): Makefile | npm
	npm install --silent --no-save --no-package-lock --prefix .axe axe-core@$(AXE_CORE_VERSION)
	touch $@

$(GRADIO_JS): Makefile | npm
	npm install --silent --no-save --no-package-lock --prefix .gradio-js \
		@gradio/client@$(GRADIO_JS_VERSION)
	touch $@

npm:
	@command -v npm >/dev/null || { \
		echo "installing Debian's npm for axe-core and @gradio/client"; \
		apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
.PHONY: npm

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
chromium:
	@command -v chromium >/dev/null || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
.PHONY: chromium
