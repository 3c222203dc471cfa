# Strong Back: `make coach` to be coached, `make test` to run every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAM_VENV ?= .sam-venv
ARGS ?=

.PHONY: coach test lint system-deps sam bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.runtime $@

## The coach: set up on first run, then talk to it (ARGS="--text" for print only).
coach: $(VENV)/.runtime
	@command -v espeak-ng >/dev/null || echo "note: espeak-ng is not installed, so the coach will print only (sudo apt-get install espeak-ng alsa-utils for speech)"
	$(BIN)/strong-back $(ARGS)

## System packages the speech tests and the coach use (needs root; skipped when present).
system-deps:
	@if ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null || ! command -v aplay >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq espeak-ng sox alsa-utils >/dev/null; \
		else echo "install espeak-ng, sox and alsa-utils (e.g. sudo apt-get install espeak-ng sox alsa-utils)"; exit 1; fi; \
	fi

## The AWS SAM CLI, in its own virtual environment (it pins its own dependencies).
sam: $(SAM_VENV)/bin/sam
$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q aws-sam-cli

## Every test: unit, dialog, persistence on a local DynamoDB API, audio, endpoint, sam build.
test: system-deps sam $(VENV)/.dev
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(BIN)/python -m pytest -q

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .hypothesis
