# kg — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STORE  ?= out/kg-store

.PHONY: demo test lint typecheck pytest bench bench-full fuzz clean venv venv-test

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
	$(BIN)/ruff check kg tests bench fuzz
	$(BIN)/ruff format --check kg tests bench fuzz

typecheck: venv-test
	$(BIN)/mypy

pytest: venv-test
	$(BIN)/pytest

bench: venv-test
	$(PY) -m bench --quick

bench-full: venv-test
	$(PY) -m bench --full

## fuzz: the long campaign (docs/reliability.md): 10,000 mutated inputs per fuzz target, then
## 50 SIGKILLs of `kg ingest` over a committed store; prints the counts
fuzz: venv-test
	$(PY) -m fuzz --per-target 10000 --jobs 2
	$(PY) -m fuzz.kill --kills 50

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
