# Two commands on a fresh machine: `make demo` and `make test`. Nothing else by hand.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12: a python3.12 on PATH, else pyenv's 3.12.x (these machines), else fail clearly.
PYTHON312 ?= $(shell for c in python3.12 "$$(PYENV_VERSION=3.12.1 pyenv which python3 2>/dev/null)" \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3 2>/dev/null); do \
	[ -n "$$c" ] && "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null && { command -v "$$c"; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: help venv install demo test validate clean

help:
	@echo "make demo   - set up and start the LTI tool with a local demo LMS (SQLite)"
	@echo "make test   - set up and run all tests"
	@echo "make validate - validate course_content"
	@echo "make workbench - the XBlock SDK workbench with the VAMOs blocks (Open edX)"
	@echo "make bench  - run the benchmarks (~20 min; BENCH_QUICK=1 short) into bench/results.{json,md}"

# Set-up output (pip, setuptools warnings) goes to a log file; it is shown only when a step fails.
INSTALL_LOG := $(VENV)/install.log

$(PY):
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found (install python3.12 or pyenv 3.12.1)"; exit 1; }
	@echo "Richte die Python-Umgebung ein (einmalig, einige Minuten) …"
	@$(PYTHON312) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip setuptools wheel >$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }

$(STAMP): $(PY) setup.py
	@$(PY) -m pip install --quiet -e '.[test]' >>$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }
	@touch $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

venv install: $(STAMP)

validate: $(STAMP)
	$(VENV)/bin/vamos validate --reading-aids course_content

# Debian packages (Chromium, fonts, poppler) are installed as root or named with the apt command
# (.ci/system-packages); pytest ends with a summary of skipped tests and their reasons (tests/conftest.py).
test: $(STAMP) $(NPM_STAMP)
	@.ci/system-packages $(PY)
	$(VENV)/bin/vamos validate --reading-aids course_content
	$(PY) -m pytest -q tests

# Ports: TOOL_PORT=8001 LMS_PORT=8000 make demo
TOOL_PORT ?= 5001
LMS_PORT ?= 5000
demo: $(STAMP)
	@$(VENV)/bin/vamos demo --tool-port $(TOOL_PORT) --platform-port $(LMS_PORT)

clean:
	rm -rf $(VENV) node_modules instance test-artifacts *.egg-info

# Open edX: the XBlock SDK workbench with the VAMOs scenarios (state in instance/workbench, German UI).
WORKBENCH_PORT ?= 8000
WORKBENCH_ENV := DJANGO_SETTINGS_MODULE=vamos_xblocks.workbench_settings VAMOS_WORKBENCH_DIR=instance/workbench

.PHONY: workbench
workbench: $(STAMP)
	$(WORKBENCH_ENV) $(PY) -m django migrate --noinput -v0
	@echo "XBlock workbench with the VAMOs scenarios: http://127.0.0.1:$(WORKBENCH_PORT)/ (?student=NAME picks the learner)"
	$(WORKBENCH_ENV) $(PY) -m django runserver 127.0.0.1:$(WORKBENCH_PORT)

# Benchmarks (issue 9): every figure into bench/results.json and bench/results.md (about 20 minutes;
# BENCH_QUICK=1 for a short development run). Needs PostgreSQL and Redis on 127.0.0.1 for most figures
# (BENCH_DATABASE_URL, BENCH_REDIS_URL). Never part of `make test` or CI.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) setup.py
	$(PY) -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

# The ltijs peer of the launch benchmark (npm: ltijs, ltijs-sequelize, pg), kept apart from the test dependencies.
LTIJS_STAMP := bench/ltijs_peer/node_modules/.installed

$(LTIJS_STAMP): bench/ltijs_peer/package.json bench/ltijs_peer/package-lock.json
	cd bench/ltijs_peer && npm ci --no-audit --no-fund --silent
	touch $(LTIJS_STAMP)

.PHONY: bench
bench: $(BENCH_STAMP) $(LTIJS_STAMP)
	$(PY) bench/run_all.py
