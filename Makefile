# Two commands matter: `make lab` (open the course) and `make test` (run every test).
# Both create .venv and install the kit into it first, so a fresh machine needs only Python 3.10+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PYTHONHASHSEED := 0

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab test test-fast course bench data clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

lab: setup            ## open the course in JupyterLab
	$(BIN)/jupyter lab notebooks/

test: setup           ## the whole suite: unit and integration tests, then every notebook under nbval
	$(BIN)/python -m pytest tests

test-fast: setup      ## unit tests only
	$(BIN)/python -m pytest tests -m "not slow"

bench: setup          ## wall-clock benchmarks (results go in benchmarks/README.md)
	$(BIN)/python benchmarks/overhead.py

data: setup           ## rebuild the synthetic data sets in data/ (byte for byte the same)
	$(BIN)/python data/generate_datasets.py

clean:
	rm -rf $(VENV) build *.egg-info
