# Chutes TPS Leaderboard. `make dev` serves the site; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: dev test lint format bench demo init-db scrape clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

init-db: $(VENV)/.runtime
	$(BIN)/flask --app app init-db

scrape: init-db
	$(BIN)/python scrape.py

# A failed scrape (offline, upstream down) is logged and must not stop the server.
dev: init-db
	-$(BIN)/python scrape.py
	$(BIN)/flask --app app run --debug --host $(HOST) --port $(PORT)

# The whole site on local stand-in data, no network (tests/demo.py).
demo: $(VENV)/.runtime
	$(BIN)/python -m tests.demo --host $(HOST) --port $(PORT)

# Install or upgrade on this machine, as root: make install SERVER_NAME=leaderboard.example.com
install:
	deploy/install.sh $(if $(SERVER_NAME),--server-name $(SERVER_NAME)) $(INSTALL_ARGS)

test: $(VENV)/.dev
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Speed, memory and size figures (numbers, not assertions). Writes bench/results.md.
bench: $(VENV)/.dev
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache instance/*.sqlite3*
