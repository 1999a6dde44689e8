# OneDoor: two commands. `make demo` runs the platform on SQLite with demo data;
# `make test` runs every check against PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install lint typecheck pytest bench clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet ".[dev]"
	@touch $@

install: $(VENV)/.installed

demo: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py deploy_processes
	$(PY) manage.py seed_demo
	@echo "OneDoor on http://$(HOST):$(PORT)/  (timer sweeper running beside it)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py run_timers --interval 5 & \
	  $(PY) manage.py runserver --insecure $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

test: install
	bash .ci/with-postgres $(MAKE) --no-print-directory lint typecheck pytest

pytest: install
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

bench: install
	bash .ci/with-postgres $(PY) -m bench.engine

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
