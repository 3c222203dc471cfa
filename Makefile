# Strong Back: `make coach` to be coached, `make test` to run every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAM_VENV ?= .sam-venv
ARGS ?=
ENDPOINT ?=
# System packages: speech for the coach (espeak-ng, aplay, arecord); CMU Sphinx's adaptation tools,
# with which the coach learns the voice it hears (sphinx_fe, bw, map_adapt, mk_s2sendump,
# pocketsphinx_mdef_convert); audio checks in the tests (sox); the voice-input tests' other speech
# engines (flite, festival and three of its English voices).
COACH_PACKAGES := espeak-ng libespeak-ng1 alsa-utils sphinxtrain sphinxbase-utils pocketsphinx
TEST_PACKAGES := $(COACH_PACKAGES) sox flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts

VIRTUAL_ALEXA := tests/virtual_alexa

.PHONY: coach test lint bench models skill-package serve coach-deps system-deps node-deps apt sam clean

# A Python with venv and pip (Debian and Ubuntu ship venv separately as python3-venv).
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Strong Back needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1). Try: make PYTHON=python3.12"; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || $(MAKE) --no-print-directory apt PACKAGES=python3-venv
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	@echo "Installing Strong Back into $(VENV) ..."
	@$(BIN)/pip install -q -e . > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	@echo "Installing Strong Back with its test tools into $(VENV) ..."
	@$(BIN)/pip install -q -e '.[dev]' > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $(VENV)/.runtime $@

## The coach: sets everything up on first run, then talk to it (ARGS="--text --speed 10" to print only, faster).
coach: coach-deps $(VENV)/.runtime
	@$(BIN)/strong-back $(ARGS) || status=$$?; [ "$${status:-0}" = 0 ] || [ "$$status" = 130 ] || exit $$status

## Speech for the coach and its voice learning: installed when run as root, otherwise the coach
## prints (or does not learn your voice) and tells you how.
coach-deps:
	@missing=""; for tool in espeak-ng aplay sphinx_fe pocketsphinx_mdef_convert; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	[ -x /usr/lib/sphinxtrain/bw ] || command -v bw >/dev/null || missing="$$missing bw"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			$(MAKE) --no-print-directory apt PACKAGES="$(COACH_PACKAGES)" || echo "note: could not install$$missing; the coach will do without them"; \
		else echo "note:$$missing not found, so the coach will do without (sudo apt-get install $(COACH_PACKAGES))"; fi; \
	fi

## System packages the tests use (needs root; skipped when present).
system-deps:
	@missing=""; for tool in espeak-ng aplay sox flite text2wave sphinx_fe pocketsphinx_mdef_convert; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	[ -x /usr/lib/sphinxtrain/bw ] || command -v bw >/dev/null || missing="$$missing bw"; \
	[ -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ] || missing="$$missing festvox-us-slt-hts"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory apt PACKAGES="$(TEST_PACKAGES)"; \
		else echo "the tests need$$missing: sudo apt-get install $(TEST_PACKAGES)"; exit 1; fi; \
	fi

## Node.js and npm for the real-client tests (virtual-alexa): from apt, only when missing.
node-deps:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory apt PACKAGES="nodejs npm"; \
		else echo "the tests need node and npm: sudo apt-get install nodejs npm"; exit 1; fi; }

## virtual-alexa, exactly as locked in tests/virtual_alexa/package-lock.json.
$(VIRTUAL_ALEXA)/node_modules/.installed: $(VIRTUAL_ALEXA)/package.json $(VIRTUAL_ALEXA)/package-lock.json | node-deps
	@echo "Installing virtual-alexa into $(VIRTUAL_ALEXA)/node_modules ..."
	cd $(VIRTUAL_ALEXA) && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
	@touch $@

apt:
	@echo "Installing system packages: $(PACKAGES) ..."
	@export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq $(PACKAGES) >/dev/null

## The AWS SAM CLI, in its own virtual environment (it pins its own dependencies).
sam: $(SAM_VENV)/bin/sam
$(SAM_VENV)/bin/sam: | $(BIN)/python
	$(PYTHON) -m venv $(SAM_VENV)
	@echo "Installing the AWS SAM CLI into $(SAM_VENV) ..."
	$(SAM_VENV)/bin/pip install -q aws-sam-cli

## Every test: core, dialogs, persistence on a local DynamoDB API, audio, endpoint, sam build, virtual-alexa.
test: system-deps sam $(VENV)/.dev $(VIRTUAL_ALEXA)/node_modules/.installed
	PATH="$(abspath $(SAM_VENV))/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(BIN)/python -m pytest -q

## ruff and mypy, as CI runs them.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

## Benchmarks, printed with their targets and baselines.
bench: system-deps $(VENV)/.dev
	$(BIN)/python benchmarks/run_all.py $(ARGS)

## Regenerate the interaction models from interaction_models/source.toml and the catalog, and the README's tables of them.
models: $(VENV)/.runtime
	$(BIN)/python -m interaction_models.generate
	$(BIN)/python -m interaction_models.docs

## The ASK CLI skill package in build/ (ENDPOINT=<Lambda ARN or https:// address>).
skill-package: $(VENV)/.runtime
	$(BIN)/python -m interaction_models.package build $(if $(ENDPOINT),--endpoint $(ENDPOINT))

## The self-hosted Alexa endpoint (ARGS="--port 8080").
serve: $(VENV)/.runtime
	$(BIN)/strong-back serve $(ARGS)

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam build .pytest_cache .hypothesis .mypy_cache .ruff_cache $(VIRTUAL_ALEXA)/node_modules
