# Two commands on a fresh machine with Python 3.11 and make:
#   make run    start the API on SQLite with demo data (prints the demo's admin key, then the URL once it answers)
#   make test   run the whole test suite
#   make lint   ruff (configured in pyproject.toml)
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export INFLUENCERS_DATABASE_URL ?= sqlite:///instance/influencers.db

.PHONY: run test lint test-postgres openapi install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/influencers db upgrade
	$(BIN)/influencers demo
	@echo "Starting the server; its URLs follow once it answers (use the admin key above)."
	$(BIN)/influencers serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

openapi: install
	$(BIN)/influencers openapi -o openapi/openapi.json

bench: install
	$(BIN)/python benchmarks/run_all.py --quick

clean:
	rm -rf $(VENV) instance .pytest_cache
