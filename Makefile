# The README's two commands:  `make run`  (set up, then the main job)  and  `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup run demo-paper test test-unit test-browser test-notebooks clean-notebooks benchmarks figures student notebooks-outputs

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "inpaintkit needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Main job: inpaint -> blend -> refine -> blend on the built-in defaults, figure into figures/.
run: setup
	$(BIN)/python -m inpaintkit demo

# The same with the paper's full settings (1500 + 1500 steps).
demo-paper: setup
	$(BIN)/python -m inpaintkit demo --paper

# Unit tests and every notebook under nbval, in fast mode.
test: setup
	INPAINTKIT_FAST=1 $(BIN)/python -m pytest --nbval-lax tests notebooks

test-unit: setup
	INPAINTKIT_FAST=1 $(BIN)/python -m pytest tests

# The widgets in a real browser: JupyterLab + headless Chromium (Debian: apt-get install chromium
# chromium-driver; .ci/run installs them). Screenshots go to browser-screenshots/ (git-ignored).
test-browser: setup
	INPAINTKIT_FAST=1 INPAINTKIT_BROWSER=1 $(BIN)/python -m pytest tests/test_browser.py -v -s

# The student version of the notebooks (nbgrader's generate_assignment): solutions, hidden tests
# and answers removed; every exercise says "not done yet" until written. Written to student/.
student: setup
	$(BIN)/python tools/make_student.py --out student

# Run every notebook and keep its outputs, stamped with the code and weights they were made from
# (BUDGET=fast|lab|paper; the committed outputs come from the lab budget).
BUDGET ?= lab
notebooks-outputs: setup
	$(BIN)/python tools/run_notebooks.py --budget $(BUDGET)

benchmarks: setup
	$(BIN)/python benchmarks/bench_train_step.py
	$(BIN)/python benchmarks/bench_inpainting.py
	$(BIN)/python benchmarks/bench_blending.py
	$(BIN)/python benchmarks/bench_data_cache.py

figures: setup
	$(BIN)/python -m inpaintkit figures
