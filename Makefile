# The README's two commands are `make lab` and `make test`; both build .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ganlib-installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Jupyter refuses to start as root (containers, CI) unless told to.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install lab test lint notebooks bench clean

$(STAMP): pyproject.toml constraints.txt jupyter-settings/overrides.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt \
		$$($(PYTHON) tools/pip_torch_args.py) -e '.[lab,dev]'
	mkdir -p $(LAB_SETTINGS)
	cp jupyter-settings/overrides.json $(LAB_SETTINGS)/overrides.json
	touch $(STAMP)

install: $(STAMP)

## make lab: install everything, then open the notebooks in JupyterLab
lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

## make test: install everything, then ruff, unit tests and nbval on every notebook
test: install
	$(BIN)/ruff check .
	GANLIB_SMOKE=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check ganlib tests benchmarks tools

## make notebooks: re-execute every notebook in place (full settings, not smoke), for committing
notebooks: install
	for nb in notebooks/[0-9]*.ipynb; do \
		$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=1200 "$$nb" || exit 1; \
		$(BIN)/python tools/clean_notebook.py "$$nb" || exit 1; \
	done

bench: install
	$(BIN)/python benchmarks/bench_toy.py
	$(BIN)/python benchmarks/bench_mnist.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
