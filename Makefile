# Two entry points: `make run` (default scenario end to end) and `make test`.
# Both create a local virtual environment in .venv from the project's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,app]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/triage-sim run

test: $(STAMP)
	$(BIN)/python -m pytest

# the slow layers (subprocess, browser and README runs, plan searches, the full validation against
# queueing theory; tests marked @pytest.mark.slow); CI runs it after `make test`
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

clean:
	rm -rf $(VENV)
