# Quick start: `make demo` then `make test`. Everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install dev system contract demo test lint format bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e ".[web,predict,transparency,connectors]"

# solc-js, OpenZeppelin and Anvil for the anchor contract, exactly as package-lock.json pins them.
# No install scripts run: the packages ship their binaries.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

dev: $(BIN)/python node_modules/.package-lock.json
	$(BIN)/pip install -q -e ".[dev]"

contract: node_modules/.package-lock.json
	node contracts/compile.js

demo: install
	$(BIN)/netretain demo --db demo.duckdb
	@echo
	@echo "netretain is installed in $(VENV). Put it on your PATH with:  . $(BIN)/activate"
	@echo "(or call $(BIN)/netretain), then try:  netretain info --db demo.duckdb"

# Debian packages the tests start for real (PostgreSQL, Java, Node.js, Chromium), via apt-get.
system:
	scripts/system-packages

# Two workers: each heavy session fixture (Spark, the trained-on demo company) stays in one worker
# (tests/conftest.py groups its tests), the rest spread. `make test PYTEST_WORKERS=` runs in one.
PYTEST_WORKERS ?= -n 2 --dist loadgroup

test: system dev
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

lint: dev
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)
	$(BIN)/lint-imports
	$(BIN)/mypy

format: dev
	$(BIN)/ruff format src tests $(wildcard benchmarks)

bench: dev
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.incremental --size 1M
	$(BIN)/python -m benchmarks.spark --size 1M
	$(BIN)/python -m benchmarks.web --size 1M
	$(BIN)/python -m benchmarks.predict --size 1M
	$(BIN)/python -m benchmarks.log --size 1M
	$(BIN)/python -m benchmarks.proofs --size 1M

clean:
	rm -rf $(VENV) node_modules demo.duckdb .pytest_cache build *.egg-info
