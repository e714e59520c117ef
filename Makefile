# OZG-Kompass: `make run` serves the demo, `make test` runs the suite. Everything else is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
PYTHON := $(CURDIR)/.venv/bin/python
MANAGE := $(PYTHON) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= nrw

.PHONY: help install run worker test lint format bench messages clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	@echo "==> uv is not installed; installing it into .tools/"
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	@echo "==> Installing Python packages (uv sync)"
	"$(UV)" sync --frozen --python "$$(scripts/find-python)"
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> Installing front-end packages (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.synced node_modules/.installed  ## Install Python and front-end packages

run: install  ## Install, migrate, load reference and demo data once, serve on http://127.0.0.1:8000
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo --address $(HOST):$(PORT)
	@echo "==> Background worker (large exports) started beside the server; both stop with Ctrl+C"
	$(MANAGE) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(MANAGE) runserver $(HOST):$(PORT)

worker: install  ## Run the background task worker (imports, exports)
	$(MANAGE) db_worker

test: install  ## Run the whole suite on SQLite (browser tests are skipped with a notice without chromium)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: install  ## ruff check and format check
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

format: install  ## Apply ruff fixes and formatting
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

bench: install  ## Benchmarks (SCALE=nrw|de); figures go to bench/latest.json
	$(PYTHON) -m bench --scale $(SCALE)

messages: install  ## Re-extract and compile the German message catalogue (needs GNU gettext)
	cd src/kompass && $(PYTHON) $(CURDIR)/manage.py makemessages --locale de --no-obsolete --add-location file \
		--ignore 'tests/*' --ignore 'static/*'
	# Our source strings are German: drop msgmerge's fuzzy guesses, then fill every new entry
	# with its msgid so the catalogue is complete.
	msgattrib --clear-fuzzy --empty --no-wrap -o src/kompass/locale/de/LC_MESSAGES/django.po \
		src/kompass/locale/de/LC_MESSAGES/django.po
	msgen --no-wrap --sort-output -o src/kompass/locale/de/LC_MESSAGES/django.po \
		src/kompass/locale/de/LC_MESSAGES/django.po
	cd src/kompass && $(PYTHON) $(CURDIR)/manage.py compilemessages --locale de

clean:  ## Remove installed packages and the development database
	rm -rf .venv .tools node_modules db.sqlite3 staticfiles
