# kg — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STORE  ?= out/kg-store
# Lint what exists: bench/ and fuzz/ may be absent in a checkout.
LINT   := kg tests $(wildcard bench fuzz)

.PHONY: demo test lint typecheck pytest bench bench-full clean venv venv-test

$(BIN)/.kg-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(BIN)/.kg-test-installed: pyproject.toml $(BIN)/.kg-installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/.kg-installed
venv-test: $(BIN)/.kg-test-installed

## demo: set up .venv and run the main job on examples/ with the embedded store, writing out/
demo: venv
	rm -rf out && mkdir -p out
	$(BIN)/kg ingest --store $(STORE) examples/group examples/seed
	$(BIN)/kg stats --store $(STORE) --json > out/stats.json
	$(BIN)/kg stats --store $(STORE)
	$(BIN)/kg dump --store $(STORE) --format ttl --out out/graph.ttl
	@echo "demo: wrote out/stats.json and out/graph.ttl"

## test: set up .venv with test extras and run ruff, mypy and pytest
test: venv-test lint typecheck pytest

lint: venv-test
	$(BIN)/ruff check $(LINT)
	$(BIN)/ruff format --check $(LINT)

typecheck: venv-test
	$(BIN)/mypy

pytest: venv-test
	$(BIN)/pytest

bench: venv-test
	$(PY) -m bench --quick

bench-full: venv-test
	$(PY) -m bench --full

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
