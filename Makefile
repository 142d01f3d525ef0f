# The two commands of the README. Each creates .venv on first use and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

# A fixed seed keeps CI reproducible; NEOMX_TEST_SEED=<n> make test explores other seeds.
NEOMX_TEST_SEED ?= 20261127
export NEOMX_TEST_SEED

test: venv
	$(BIN)/python -m pytest -n 2 -q
