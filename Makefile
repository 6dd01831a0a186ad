# Two commands on a fresh machine: `make demo` and `make test`. Only Python 3.11, pip, gcc and make are assumed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# `make demo PORT=3001` serves the Dagster UI elsewhere; `make demo KEEP=1` keeps its run history and logs.
PORT   ?= 3000
KEEP   ?=

.PHONY: install demo lint test image image-test clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m enrichment_platform.devstack.demo --port $(PORT) $(if $(filter 1,$(KEEP)),--keep)

lint: $(STAMP)
	$(VENV)/bin/ruff format --check --quiet enrichment_platform enrichment_platform_tests
	$(VENV)/bin/ruff check --quiet enrichment_platform enrichment_platform_tests

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The one image (resources/deploy/Containerfile) with podman, as root; `make image IMAGE=name:tag` tags it so.
image:
	bash resources/deploy/build-image.sh $(IMAGE)

# Builds the image and runs its CLIs and one partition from its own filesystem against local services.
image-test: $(STAMP)
	$(PY) -m pytest -m image enrichment_platform_tests/test_image.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .local .pytest_cache
