# The two commands of the Quick start: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint install clean histories bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Run the whole stack (Temporal dev server, worker, API) on this machine.
run: $(STAMP)
	$(BIN)/exchange dev

## Lint, type-check and run every test.
test: lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## Benchmarks (see README for the figures).
bench: $(STAMP)
	$(BIN)/python -m bench.exchanges

## Record new workflow histories for the replay tests.
histories: $(STAMP)
	$(BIN)/python -m tests.record_histories

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
