# OneDoor: two commands. `make demo` runs the platform on SQLite with demo data;
# `make test` runs every check against PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install browser gettext messages lint typecheck pytest bench bench-instructions bench-queries bench-load clean vendor

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet ".[dev]"
	@touch $@

install: $(VENV)/.installed

# The end-to-end tests (tests/e2e) drive Debian's Chromium through Playwright: browser downloads
# by test tools fail here, so the browser and CJK fonts (Chinese in screenshots) come from apt.
browser:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list :lang=zh family 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "browser: missing$$missing and no apt-get here; install Chromium at /usr/bin/chromium" >&2; \
	    echo "  and a CJK font (Debian/Ubuntu: apt-get install chromium fonts-noto-cjk)" >&2; \
	    exit 1; \
	  fi; \
	  echo "browser: installing$$missing (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# GNU gettext: only to extract and compile translations (make messages) and to test them;
# the compiled catalogues are committed, so running the platform does not need it.
gettext:
	@if ! command -v xgettext >/dev/null 2>&1 || ! command -v msgfmt >/dev/null 2>&1; then \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "gettext: GNU gettext is missing and there is no apt-get here; install gettext" >&2; \
	    exit 1; \
	  fi; \
	  echo "gettext: installing gettext (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext; \
	fi

# UI strings are English msgids; platform/onedoor/locale/zh_Hans holds the Chinese. Run this
# after changing strings, fill the new (empty) msgstr in django.po, run it again, commit both.
messages: install gettext
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete \
	  --ignore=.venv --ignore=tests --ignore=bench --ignore=var --ignore=static
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=var

demo: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py deploy_processes
	$(PY) manage.py seed_demo
	@echo "OneDoor on http://$(HOST):$(PORT)/  (timer sweeper running beside it)"
	@# Ctrl-C stops both: the sweeper is stopped (and waited for) when the web server ends.
	@$(PY) manage.py run_timers --interval 5 & timers=$$!; \
	  trap 'kill $$timers 2>/dev/null; wait $$timers' EXIT INT TERM; \
	  $(PY) manage.py runserver --insecure $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# The import contracts in pyproject.toml: layers of the apps, the engine room apart.
	PYTHONPATH=platform $(VENV)/bin/lint-imports --no-logo

typecheck: install
	$(VENV)/bin/mypy .

test: install browser gettext
	@# PostgreSQL and Redis (the Celery runner test) are found or started by these wrappers.
	bash .ci/with-postgres bash .ci/with-redis $(MAKE) --no-print-directory lint typecheck pytest

# One worker per core (pytest-xdist); the scale tests share one (tests/conftest.py).
PYTEST_WORKERS ?= 2
pytest: install browser gettext
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS)

bench: install
	bash .ci/with-postgres $(PY) -m bench.engine --threads 4 --processes 2

# The Python side of a completion in instructions (valgrind), steady where seconds are not.
bench-instructions: install
	@command -v valgrind >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends valgrind; }
	bash .ci/with-postgres $(PY) -m bench.instructions

# Pages and timer sweep on a seeded data set (README "Scale"); CASES=1000000 for the full run.
# With DATABASE_URL set to a database seeded before (python -m bench.seed_scale), it measures that.
CASES ?= 10000
bench-queries: install
	bash .ci/with-postgres $(PY) -m bench.queries --cases $(CASES)

# The diagram viewer, vendored (no CDN): bpmn-js's NavigatedViewer build, its CSS and LICENSE,
# fetched from the npm registry at the named version and checked against static/vendor/SHA256SUMS.
# To update: set the new version, run `make vendor RELOCK=1`, check the diff, delete the old
# directory, change the version in templates/cases/_process_scripts.html (docs/diagrams.md).
BPMN_JS_VERSION := 18.31.1
BPMN_JS_DIR := static/vendor/bpmn-js-$(BPMN_JS_VERSION)
vendor:
	@command -v npm >/dev/null 2>&1 || { echo "vendor: npm (Node.js) is needed" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd "$$tmp" && npm pack --silent bpmn-js@$(BPMN_JS_VERSION) >/dev/null && \
	   tar xzf bpmn-js-$(BPMN_JS_VERSION).tgz) && \
	  mkdir -p $(BPMN_JS_DIR) && \
	  cp "$$tmp/package/dist/bpmn-navigated-viewer.production.min.js" \
	     "$$tmp/package/dist/assets/diagram-js.css" "$$tmp/package/dist/assets/bpmn-js.css" \
	     "$$tmp/package/LICENSE" $(BPMN_JS_DIR)/
	@cd static/vendor && if [ -n "$(RELOCK)" ]; then \
	  sha256sum bpmn-js-$(BPMN_JS_VERSION)/* > SHA256SUMS && echo "vendor: SHA256SUMS rewritten"; \
	else sha256sum --check --strict SHA256SUMS; fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Pages over HTTP as the Procfile deploys them (gunicorn), worked by simulated staff logging in
# through /login/ (bench/load.py; docs/benchmarks.md). LOAD_ARGS="--users 50 --think 5" etc.
LOAD_CASES ?= 20000
LOAD_ARGS ?=
bench-load: install
	bash .ci/with-postgres $(PY) -m bench.load --cases $(LOAD_CASES) $(LOAD_ARGS)
