# KAM — `make run` serves the app with demo data (DEBUG off), `make dev` the same for developers
# (DEBUG on, autoreload), `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Django 6.1 needs Python 3.12 or newer: take the first one found (pyenv versions included).
PYTHON ?= $(shell for c in python3.14 python3.13 python3.12 python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$c; break; }; done)

.PHONY: run dev test install messages lint security format vendor clean-data

$(VENV)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (Django 6.1)."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed messages

# Compiled catalogues are build output (not committed); Babel compiles them without GNU gettext.
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v '^$$'

# DEBUG off, as in production: gunicorn, static files collected and served by WhiteNoise.
run: install
	$(PY) -m kam.devservices run

# DEBUG on (tracebacks in the browser), runserver reloading the code on save: never expose it.
dev: install
	$(PY) -m kam.devservices dev

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# Static security scan: no medium or high finding (each exception carries `# nosec` and why).
security: $(VENV)/.installed
	$(VENV)/bin/bandit --quiet --recursive --severity-level medium --exclude '*/migrations/*' \
		manage.py kam accounts activities plans insights api dataio demo capture

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install lint security
	DJANGO_DEBUG=true $(PY) -m kam.devservices exec -- $(PY) manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=true $(PY) -m kam.devservices exec -- $(PY) -m pytest -n auto --dist loadscope $(PYTEST_ARGS)

# Refresh the vendored front-end libraries from npm (needs Node; the result is committed).
vendor: $(VENV)/.installed
	bash bin/vendor.sh

clean-data:
	rm -rf .data
