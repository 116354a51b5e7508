# Passgate: `make run` serves the demo org; `make test` runs the suite, lint and type checks.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)
PORT ?= 8000
# Without DATABASE_URL, commands run inside an embedded PostgreSQL (data under .data/).
WITH_DB := $(if $(DATABASE_URL),,$(PY) -m infra.dev.embedded_pg run --)
DEV_ENV := PASSGATE_DEBUG=1 PASSGATE_PUBLIC_PORT=$(PORT) PASSGATE_SIGNUP=$${PASSGATE_SIGNUP:-open}

.PHONY: venv run serve test check lint typecheck migrations-check pytest worker beat runtime-lock bench bench-tenants format clean

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

run: $(STAMP)
	$(WITH_DB) $(MAKE) --no-print-directory serve

serve:
	$(DEV_ENV) $(PY) manage.py migrate_schemas --executor=multiprocessing -v 0
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Threads, not forked children: a SIGTERM to the process group then reaches only the main
# process, whose warm shutdown lets in-flight sends finish (see docs/operations.md).
worker: $(STAMP)
	$(PY) -m celery -A config worker --pool threads --concurrency 8 -l info

# The production image's lock: the runtime part of requirements.lock (checked by the suite).
runtime-lock: $(STAMP)
	$(PY) -m infra.runtime_lock

# Exactly one beat per deployment, as its own process (config.beat survives DB restarts).
beat: $(STAMP)
	$(PY) -m celery -A config beat -l info

test: $(STAMP) lint typecheck
	$(WITH_DB) $(MAKE) --no-print-directory migrations-check pytest

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

migrations-check:
	PASSGATE_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

pytest:
	$(PY) -m pytest $(PYTEST_ARGS)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-tenants: $(STAMP)
	$(WITH_DB) $(PY) -m benchmarks.tenants

bench: $(STAMP)
	$(WITH_DB) $(PY) -m benchmarks.ceremonies

clean:
	-$(PY) -m infra.dev.embedded_pg stop
	rm -rf $(VENV) .data .mypy_cache .ruff_cache
