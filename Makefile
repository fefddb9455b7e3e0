# The registry's verbs. `make run` and `make test` are the two commands of the README.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
export DJANGO_SETTINGS_MODULE = config.settings

.PHONY: install run test lint fmt db

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Development server on 127.0.0.1:8000 with the shipped real incidents loaded (SQLite by default).
run: install db
	@echo
	@echo "Registry: http://127.0.0.1:8000/api/v1/incidents/  docs: http://127.0.0.1:8000/api/v1/docs/"
	@echo "Admin:    http://127.0.0.1:8000/admin/ - create your admin user first, in another shell:"
	@echo "          $(BIN)/python manage.py createsuperuser"
	@echo "          (curators and reviewers: add a user to the group of that name in the admin)"
	@echo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:8000

# Schema, seeded regions and groups, and the real dataset (importing it again changes nothing).
db: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py import_incidents data/incidents.json

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
