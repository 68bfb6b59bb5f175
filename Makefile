# Quick start (fresh Debian + Python 3.11, no conda):
#   make lab    set everything up and open the course in JupyterLab
#   make test   set everything up and run the whole test suite
# Set-up is idempotent: the venv is rebuilt only when pyproject.toml changes.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8888
# Where the real datasets are mirrored (tests and CI point this at ../shared/data; Binder downloads instead).
export COURSE_DATA_MIRROR ?= $(if $(wildcard ../shared/data/MANIFEST.md),$(abspath ../shared/data),)

.PHONY: setup lab test lint bench release autograde feedback export collect site clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first and pinned, so that nothing can pull a CUDA build of it.
	$(PY) -m pip install --disable-pip-version-check -q "torch==2.13.0"
	$(PY) -m pip install --disable-pip-version-check -q -e ".[test]"
	$(PY) -m course_lib.setup_lab
	@touch $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port $(PORT)

test: setup
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
