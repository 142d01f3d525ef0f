# The README's commands. Each creates .venv on first use and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench venv venv-demo venv-bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

venv-demo: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[demo]"

venv-bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"

# The main job: train a hybridized LeNet on scikit-learn's digits, export it, reload it, plot.
# Output goes to demo_output/; the run fails if the test accuracy is below 97%.
demo: venv-demo
	$(BIN)/python examples/digits_cnn.py --out demo_output --require-accuracy 0.97

# A fixed seed keeps CI reproducible; NEOMX_TEST_SEED=<n> make test explores other seeds.
NEOMX_TEST_SEED ?= 20261127
export NEOMX_TEST_SEED

test: venv
	$(BIN)/python -m pytest -n 2 -q

# Every benchmark against PyTorch CPU and MXNet 1.9.1 (NEOMX_MXNET_PYTHON or /opt/mxvenv);
# writes benchmarks/RESULTS.md. Takes a while: run it on an otherwise idle machine.
bench: venv-bench
	$(BIN)/python benchmarks/run.py

