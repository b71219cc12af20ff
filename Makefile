# kg — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STORE  ?= out/kg-store
# Lint what exists: bench/ and fuzz/ may be absent in a checkout.
LINT   := kg tests $(wildcard bench fuzz)

.PHONY: demo test lint typecheck pytest install-check bench bench-full fuzz clean venv venv-test browser-deps virtuoso-deps

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

## demo: set up .venv and run the main job on examples/ (and the seed profile page) with the
## embedded store, writing out/: stats, a Turtle dump, the validation report, query results and
## the static site with JSON-LD.
SHARED    ?= $(or $(KG_SHARED),../shared)
SEED_PAGE := $(wildcard $(SHARED)/seeds/000_0e6ad97ebe8bc89f.txt)
SEED_IRI  := https://w3id.org/kg/id/person/key/seed:razvan-pascanu
SITE_URL  ?= https://lab.example.org/
demo: venv
	rm -rf out && mkdir -p out/queries
	$(BIN)/kg ingest --store $(STORE) --quarantine out/quarantine.jsonl examples/group examples/seed $(addprefix page:,$(SEED_PAGE))
	$(BIN)/kg stats --store $(STORE) --json > out/stats.json
	$(BIN)/kg stats --store $(STORE)
	$(BIN)/kg dump --store $(STORE) --format ttl --out out/graph.ttl
	$(BIN)/kg validate --store $(STORE) --format text --out out/validation.txt
	$(BIN)/kg validate --store $(STORE) --format json --out out/validation.json
	$(BIN)/kg query run quality-loads --store $(STORE) --format table > out/queries/loads.txt
	$(BIN)/kg query run person-publications -p person=$(SEED_IRI) --store $(STORE) --format table > out/queries/seed-publications.txt
	$(BIN)/kg query run person-coauthors -p person=$(SEED_IRI) --store $(STORE) --format csv > out/queries/seed-coauthors.csv
	$(BIN)/kg query run quality-publications-missing-fields --store $(STORE) --format csv > out/queries/missing-fields.csv
	$(BIN)/kg resolve --report --store $(STORE) > out/resolution.txt
	@# The seed page gives no dates, so Scholar's rules hold back those publication pages: the
	@# export reports them and exits 1; the demo goes on (the profile pages are written).
	-$(BIN)/kg export html --store $(STORE) --out out/site --base-url $(SITE_URL)
	-$(BIN)/kg export jsonld --store $(STORE) --out out/jsonld --base-url $(SITE_URL)
	@echo "demo: wrote out/ (stats.json, graph.ttl, validation.txt/json, queries/, resolution.txt, site/, jsonld/)"

## browser-deps: Debian's chromium + chromedriver for the real-browser test (root + apt only)
browser-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "chromium is not installed: the browser test skips (and fails under CI=true)"; fi

## virtuoso-deps: OpenLink Virtuoso 7.2 from Debian (virtuoso-opensource) for the remote-store
## tests (root + apt only). Only the server binary package: the full package's postinst would
## start a system-wide daemon on ports 1111/8890; the tests start their own on 127.0.0.1.
virtuoso-deps:
	@if command -v virtuoso-t >/dev/null && command -v isql-vt >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null; \
	else echo "virtuoso is not installed: the Virtuoso tests skip (and fail under CI=true)"; fi

## test: set up .venv with test extras and run ruff, mypy, pytest and the install check
test: venv-test browser-deps virtuoso-deps lint typecheck pytest install-check

lint: venv-test
	$(BIN)/ruff check $(LINT)
	$(BIN)/ruff format --check $(LINT)

typecheck: venv-test
	$(BIN)/mypy

pytest: venv-test
	$(BIN)/pytest

## install-check: build the wheel, install it into a fresh venv outside the checkout, and run
## kg init, kg build, a saved query and kg export html from there on a copy of examples/
install-check: venv-test
	PYTHON=$(PY) .ci/install-check

## bench: kg against its baselines at 10k and 100k triples (docs/performance.md); writes
## bench/results/runs/<date>.md and .json and prints the total elapsed time (`$(PY) -m bench
## --quick --record` also updates the committed bench/results/latest.md and latest.json)
bench: venv-test
	$(PY) -m bench --quick

## bench-full: adds 1M and 10M triples (and the ingest-no-gate split), and kg on a real Virtuoso
## against the embedded store (ingest, three saved queries; bench/remote.py); about an hour
bench-full: venv-test
	$(PY) -m bench --full

## fuzz: the long campaign (docs/reliability.md): 10,000 mutated inputs per fuzz target, then
## 50 SIGKILLs of `kg ingest` over a committed store; prints the counts
fuzz: venv-test
	$(PY) -m fuzz --per-target 10000 --jobs 2
	$(PY) -m fuzz.kill --kills 50

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
