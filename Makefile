# Convenience wrapper: every target runs `python3 dev.py <target>`, the project's entry point
# (README's two commands are `python3 dev.py lab` and `python3 dev.py test`).
PYTHON ?= python3

.PHONY: install lab test lint notebooks html bench clean

install lint notebooks html bench clean:
	$(PYTHON) dev.py $@

## make lab: install everything, then open the notebooks in JupyterLab
lab:
	$(PYTHON) dev.py lab $(LAB_ARGS)

## make test: install everything, then ruff, unit tests and nbval on every notebook
test:
	$(PYTHON) dev.py test $(PYTEST_ARGS)
