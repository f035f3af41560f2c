# Social360: every target bootstraps .venv from requirements.lock first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
export SOCIAL360_HOME ?= $(CURDIR)/.social360
# Airflow processes start twice as slow without bytecode; never skip writing it here.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: install demo test test-fast test-e2e run airflow docs lint lock bench clean warehouse-up warehouse-down

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode --no-deps -e .
	$(BIN)/python -m compileall -q dags social360 extractors enrichment expectations
	$(BIN)/social360 setup
	@touch $(STAMP)

demo: install
	$(BIN)/social360 demo $(DEMO_ARGS)

run: install
	$(BIN)/social360 run

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not e2e and not browser" $(PYTEST_ARGS)

test-e2e: install
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

airflow: install
	$(BIN)/social360 airflow

docs: install
	$(BIN)/social360 docs

lint: install
	$(BIN)/ruff check .
	$(BIN)/python -m social360.dev.layers
	$(BIN)/social360 lint

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

bench: install
	$(BIN)/python -m bench $(if $(SCALE),--scale $(SCALE),)

warehouse-up: install
	$(BIN)/social360 warehouse up

warehouse-down: install
	$(BIN)/social360 warehouse down

clean:
	-$(BIN)/social360 warehouse down
	rm -rf $(SOCIAL360_HOME) dbt_project/target dbt_project/logs
