# awetools: the two quick-start commands (`make demo`, `make test`) and their environment.
# Everything installs into a local virtual environment; only Python >= 3.10 and access
# to the package registries are needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.awetools-installed
PRESET ?= small
NJ ?= 2

.PHONY: demo test env clean-env

env: $(STAMP)

# torch is pinned to the CPU build that pip finds locally; an unpinned torch would pull
# several GB of CUDA packages.  Install it first so the project's dependency is met.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[all]'
	touch $@

# Main job: the full pipeline on the built-in synthetic multilingual corpus.
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash recipes/default/run.sh --preset $(PRESET) --nj $(NJ)

# Test suite (what .ci/run calls).
test: $(STAMP)
	$(BIN)/python -m pytest -q tests

clean-env:
	rm -rf $(VENV)
