# The two commands that matter: `make docs` and `make test`.
# Both create .venv with the Python found on PATH and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: docs test bench audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# -qq shows errors only: setuptools warns at length about the data folders under mlsysim/.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -qq -e ".[test]"
	touch $(STAMP)

docs: $(STAMP)
	$(BIN)/mlsysim site build --strict --out build/site
	$(BIN)/mlsysim appendix build --out build/appendix

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

audit: docs

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
