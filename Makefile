# One Python 3.10 environment holds every backend (lava-nc 0.10 needs 3.10; brian2 2.9 supports it).
PY310 ?= $(shell command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' 2>/dev/null && echo python3.10 || ls -d $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 2>/dev/null | head -n 1)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The core alone (no Lava, no Brian2) on the newest Python here, with current numpy, numba, networkx.
PYLATEST ?= $(shell command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys' 2>/dev/null && echo python3.13 || ls -d $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/bin/python3.13 2>/dev/null | head -n 1)
LATEST := .venv-latest
LATEST_STAMP := $(LATEST)/.installed

.PHONY: venv demo test test-core-latest bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.txt
	@test -n "$(PY310)" || { echo "error: Python 3.10 not found (set PY310=/path/to/python3.10)"; exit 1; }
	$(PY310) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/neurosim demo

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests

# Installs neurosim with its own dependencies under requirements-latest.txt as constraints:
# a core pin that excludes them fails the install instead of being worked around.
$(LATEST_STAMP): pyproject.toml requirements-latest.txt
	@test -n "$(PYLATEST)" || { echo "error: Python 3.13 not found (set PYLATEST=/path/to/python3)"; exit 1; }
	$(PYLATEST) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip
	$(LATEST)/bin/python -m pip install -q -r requirements-latest.txt
	$(LATEST)/bin/python -m pip install -q -c requirements-latest.txt -e '.[dev]'
	@touch $(LATEST_STAMP)

# -rs lists every skipped test with its reason (the backends that cannot run there). The
# experiments (experiments/: matplotlib, Dask; not part of the package) run in the 3.10 suite.
CORE_ONLY := --ignore=tests/test_experiments.py --ignore=tests/test_experiments_more.py --ignore=tests/test_sweep.py
test-core-latest: $(LATEST_STAMP)
	$(LATEST)/bin/python -m pytest -q -p no:cacheprovider -rs $(CORE_ONLY) tests

bench: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) $(LATEST) build *.egg-info
