# Two commands set everything up: `make dev` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
# Where `make dev` keeps its data (a dynoxide SQLite file); MEMORY=1 keeps nothing (moto).
DEV_DB_PATH ?= .data/dynamodb.db
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/common/python:$(CURDIR)/functions
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: dev dev-reset test token bench load synth openapi screenshots seed browser-deps clean help try-providers

help:
	@echo "make dev    - serve the API on http://127.0.0.1:$(PORT) (data kept in .data/ across restarts)"
	@echo "make dev-reset - the same, starting from empty (deletes .data/)"
	@echo "make dev MEMORY=1 - the same on an in-memory DynamoDB (moto) that keeps nothing"
	@echo "FAULTS=0.3 make dev - the same, DynamoDB behind a fault proxy (docs/reliability.md)"
	@echo "make test   - run every test"
	@echo "make token SUB=alice [ADMIN=1] [UNVERIFIED=1] - print a local bearer token"
	@echo "make bench  - DynamoDB requests, capacity and cold-start per route"
	@echo "make load   - simulated learners at 10, 50, 200 at once: latency, DynamoDB per learner-hour"
	@echo "make synth  - synthesize the CloudFormation template (offline)"

$(VENV)/.ready: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	# The Lambda layer's dependencies (manylinux wheels), cached in .build/ so `cdk synth` works offline.
	$(PY) -m infra.layer_build
	touch $@

node_modules/.ready: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Headless Chromium for the browser tests, from Debian's packages (no browser downloads here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package) for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

dev: $(VENV)/.ready node_modules/.ready
	PORT=$(PORT) DEV_DB_PATH="$(if $(filter-out 0,$(MEMORY)),,$(DEV_DB_PATH))" $(PY) -m local.server

dev-reset:
	rm -rf "$(CURDIR)/.data"
	$(MAKE) dev

test: $(VENV)/.ready node_modules/.ready browser-deps
	$(PY) -m pytest -n 2 --dist loadfile -q

token: $(VENV)/.ready
	@SUB="$(SUB)" ADMIN="$(ADMIN)" EMAIL="$(EMAIL)" UNVERIFIED="$(UNVERIFIED)" $(PY) -m local.tokens

bench: $(VENV)/.ready node_modules/.ready
	$(PY) -m bench.run

# Simulated learners over HTTP on dynoxide (bench/load.py); results in bench/results/load.json.
load: $(VENV)/.ready node_modules/.ready
	$(PY) -m bench.load

synth: $(VENV)/.ready node_modules/.ready
	npx cdk synth --quiet

# Refresh docs/screenshots/ (the browser tests take them).
screenshots: $(VENV)/.ready node_modules/.ready browser-deps
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest tests/browser -q

# Fill a running `make dev` with demo sessions, corrections and health data.
seed: $(VENV)/.ready
	$(PY) tests/browser/browser_seed.py http://127.0.0.1:$(PORT)

# What a browser does with provider access, against a running make dev (docs/providers.md).
try-providers: $(VENV)/.ready
	$(PY) -m local.try_providers http://127.0.0.1:$(PORT)

openapi: $(VENV)/.ready
	$(PY) -m local.openapi > docs/openapi.json

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .build
