# Two entry points that work on a fresh machine with python3, pip and make:
#   make demo   create ./.venv, install, run `trustcart demo`
#   make test   create ./.venv, install, run ruff (lint + format check), mypy (src and tests)
#               and the whole test suite with the doctests of src/
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The suite runs in two processes (pytest-xdist), a test file per process at a time: on two cores
# about 11 minutes instead of 25. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck lock clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24.2"

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/trustcart demo

test: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy

# Re-pin every dependency (needs network): writes requirements.lock with hashes.
lock:
	$(PYTHON) -m pip install --quiet "uv>=0.5"
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --extra tryon --extra x402 --generate-hashes \
		--python-version 3.11 --universal -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
