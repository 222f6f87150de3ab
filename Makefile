# HallOps — the two commands: `make demo` and `make test`. Debian 12, Python 3.11, no venv needed beforehand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATA := var
export HALLOPS_DATA_DIR ?= $(CURDIR)/$(DATA)

.PHONY: demo test setup system-deps lint typecheck test-core test-sqlite test-postgres test-e2e bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

setup: $(VENV)/.installed

system-deps:
	@scripts/system-deps.sh

demo: setup
	mkdir -p $(DATA)
	$(BIN)/hallops migrate --noinput
	$(BIN)/hallops demo
	@echo "Demo: http://127.0.0.1:$(PORT)/  API docs: http://127.0.0.1:$(PORT)/api/v1/docs  (password: demo)"
	@# The worker (day end, booking no-shows, purges) runs beside the server and stops with it.
	HALLOPS_PUBLIC_URL=$${HALLOPS_PUBLIC_URL:-http://127.0.0.1:$(PORT)}; export HALLOPS_PUBLIC_URL; \
	  $(BIN)/hallops worker > $(DATA)/worker.log 2>&1 & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/hallops serve --port $(PORT)

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

test-core: setup
	$(BIN)/pytest tests/core -p no:django

test-sqlite: setup
	mkdir -p $(DATA)
	HALLOPS_TEST_SQLITE=$(HALLOPS_DATA_DIR)/test.sqlite3 DATABASE_URL=sqlite:///$(HALLOPS_DATA_DIR)/test-base.sqlite3 \
	  DJANGO_SETTINGS_MODULE=hallops.settings.test $(BIN)/pytest tests --ignore=tests/core --ignore=tests/e2e

test-postgres: setup system-deps
	DJANGO_SETTINGS_MODULE=hallops.settings.test scripts/with-postgres.sh $(BIN)/pytest tests --ignore=tests/core --ignore=tests/e2e

# Browser tests: a real `hallops serve` on its own file SQLite database, Debian's Chromium through Playwright.
test-e2e: setup system-deps
	$(BIN)/pytest tests/e2e -p no:django

test: setup system-deps lint typecheck test-core test-sqlite test-postgres test-e2e
	@echo "all test suites passed"

bench: setup system-deps
	@# Every benchmark runs even when an earlier one fails; the first failing one's status is the result.
	scripts/with-postgres.sh $(BIN)/python benchmarks/lifecycle.py; status=$$?; \
	  $(BIN)/python benchmarks/simulators.py; sims=$$?; \
	  $(BIN)/python benchmarks/kpi.py; kpi=$$?; \
	  scripts/with-postgres.sh $(BIN)/python benchmarks/dashboard.py; dash=$$?; \
	  exit $$(( status ? status : sims ? sims : kpi ? kpi : dash ))

# Translations: extract the strings into the zh_Hans catalogue, then (after translating) compile it. Both files
# are committed; tests/web/test_i18n.py fails when an entry is untranslated, fuzzy or not compiled.
messages: setup
	cd src/hallops && ../../$(BIN)/hallops makemessages -l zh_Hans --no-obsolete --no-location --ignore=static/vendor/*
	cd src/hallops && ../../$(BIN)/hallops compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) $(DATA)
