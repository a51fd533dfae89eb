# One Python 3.10 environment holds every backend (lava-nc 0.10 needs 3.10; brian2 2.9 supports it).
PY310 ?= $(shell command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' 2>/dev/null && echo python3.10 || ls -d $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 2>/dev/null | head -n 1)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test bench clean

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

bench: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) build *.egg-info
