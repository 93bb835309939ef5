# Quick start:  make generate   (venv, install, write generated/)
#               make test       (also fetches promtool/amtool; runs every test)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
# promtool/amtool: an explicit PROMTOOL=/path wins, then one on the PATH, then Debian's, unpacked locally.
PROMTOOL ?= $(or $(shell command -v promtool 2>/dev/null),$(CURDIR)/$(TOOLS)/bin/promtool)
AMTOOL   ?= $(or $(shell command -v amtool 2>/dev/null),$(CURDIR)/$(TOOLS)/bin/amtool)
export PROMTOOL AMTOOL
# prometheus/alertmanager servers for `make e2e`: same order (Debian's, unpacked locally, unless on the PATH).
PROMETHEUS   ?= $(or $(shell command -v prometheus 2>/dev/null),$(CURDIR)/$(TOOLS)/bin/prometheus)
ALERTMANAGER ?= $(or $(shell command -v prometheus-alertmanager 2>/dev/null),$(CURDIR)/$(TOOLS)/bin/alertmanager)
export PROMETHEUS ALERTMANAGER

.PHONY: generate check test lint e2e bench bench-lint install tools clean

generate: install  ## write generated/ from the definitions
	$(BIN)/monitoring generate

check: install  ## fail if generated/ is stale or hand-edited
	$(BIN)/monitoring check

lint: install  ## static checks of the definitions (rule files: .venv/bin/monitoring lint FILE...)
	$(BIN)/monitoring lint

test: install tools  ## the whole test suite: ruff, pytest, then promtool/amtool over the generated tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q
	$(BIN)/monitoring test

e2e: install tools $(PROMETHEUS) $(ALERTMANAGER)  ## real Prometheus + Alertmanager + simulator: every alert, end to end
	$(BIN)/python -m pytest -q tests_e2e

# Benchmark (not a test): synthetic estates of N services; prints a table, writes bench/results/latest.json.
# promtool/amtool run at the sizes up to 200. About 42 minutes on 2 cores; CI runs BENCH_SIZES=10 as a smoke run.
BENCH_SIZES ?= 10,100,200,1000
BENCH_REPEATS ?= 3
bench: install tools  ## time generate/check/lint/promtool on synthetic estates against a floor and a baseline
	$(BIN)/python bench/run.py --sizes $(BENCH_SIZES) --repeats $(BENCH_REPEATS)

# Benchmark (not a test): `monitoring lint` over every rule file of the shared corpus (goal: under 2 s wall).
SHARED ?= ../shared
bench-lint: install  ## time monitoring lint over the shared corpus of real-world rule files
	$(BIN)/python bench/lint_corpus.py --shared $(SHARED)

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	scripts/make-venv $(PYTHON) $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

tools: $(PROMTOOL) $(AMTOOL)

$(CURDIR)/$(TOOLS)/bin/promtool $(CURDIR)/$(TOOLS)/bin/amtool $(CURDIR)/$(TOOLS)/bin/prometheus $(CURDIR)/$(TOOLS)/bin/alertmanager:
	scripts/fetch-debian-tools $(TOOLS)

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .hypothesis
