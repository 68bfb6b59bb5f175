# Quick start (fresh Debian + Python 3.11, no conda):
#   make lab    set everything up and open the course in JupyterLab
#   make test   set everything up and run the whole test suite
# Set-up is idempotent: the venv is rebuilt only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8888
# Where the real datasets are mirrored (tests and CI point this at ../shared/data; Binder downloads instead).
export COURSE_DATA_MIRROR ?= $(if $(wildcard ../shared/data/MANIFEST.md),$(abspath ../shared/data),)

.PHONY: setup browser sandbox lab instructor-lab test lint bench site release collect autograde feedback grades clean

setup: $(STAMP)

$(STAMP): pyproject.toml course_lib/setup_lab.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "'$(PYTHON) -m venv' failed: on Debian, apt-get install python3-venv"; exit 1; }
	# torch first and pinned, so that nothing can pull a CUDA build of it.
	$(PY) -m pip install --disable-pip-version-check -q "torch==2.13.0"
	$(PY) -m pip install --disable-pip-version-check -q -e ".[test]"
	$(PY) -m course_lib.setup_lab
	@touch $(STAMP)

# Students' Lab opens on the course map (START_HERE.md); nbgrader's instructor tools are hidden (see setup_lab).
LAB_ARGS = --ServerApp.root_dir="$(CURDIR)" --port $(PORT) --LabApp.default_url=/lab/tree/START_HERE.md \
	$(if $(filter 0,$(shell id -u)),--allow-root,)
INSTRUCTOR_CONFIG := $(VENV)/instructor-jupyter-config

lab: setup
	$(VENV)/bin/jupyter lab $(LAB_ARGS)

# The same Lab with nbgrader's formgrader, course list and "Create Assignment" (for whoever prepares the class).
instructor-lab: setup
	$(PY) -m course_lib.setup_lab --instructor $(INSTRUCTOR_CONFIG)
	JUPYTER_PREFER_ENV_PATH=0 JUPYTER_CONFIG_DIR=$(abspath $(INSTRUCTOR_CONFIG)) $(VENV)/bin/jupyter lab $(LAB_ARGS)

test: setup browser sandbox
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile

# The widget tests drive JupyterLab in Debian's Chromium (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

# Autograding runs every submission inside a bubblewrap box (course_lib/grading/box.py): Debian's package.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bubblewrap; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap; fi; }

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/run_all.py

# Instructors (nbgrader): A = bptt | gating | crf; FOLDER holds <student>/<assignment>.ipynb (or a zip of that).
GRADING := $(PY) -m course_lib.grading
A ?= bptt
release: setup
	$(GRADING) release
collect: setup
	@test -n "$(FOLDER)" || { echo "usage: make collect FOLDER=path/to/submissions A=bptt"; exit 2; }
	$(GRADING) collect "$(FOLDER)" $(A)
autograde: setup
	$(GRADING) autograde $(A) $(if $(REQUIRE_SANDBOX),--require-sandbox,)
feedback: setup
	$(GRADING) feedback $(A)
grades: setup
	$(GRADING) export assignments/grades.csv

# The course as an offline static website (jupyter-book 1.x executes every lecture): lectures/_build/html
site: setup
	$(VENV)/bin/jupyter-book build lectures

clean:
	rm -rf $(VENV) .pytest_cache
