# Quick start: `make demo` then `make test`. Everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install dev demo test lint format bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

dev: $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"

demo: install
	$(BIN)/netretain demo --db demo.duckdb

test: dev
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)
	$(BIN)/lint-imports
	$(BIN)/mypy

format: dev
	$(BIN)/ruff format src tests $(wildcard benchmarks)

bench: dev
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) demo.duckdb .pytest_cache build *.egg-info
