# Chutes TPS Leaderboard. `make dev` serves the site; `make test` runs every test (in
# parallel); `make test-fast` all but the browser, deploy, systemd and slow ones.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: dev dev-scrape lock test test-fast lint format bench demo init-db scrape clean install backup restore

# The venv's own pip installs the locks (upgrading pip first was an unpinned download).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when a lock changes. The locks pin every package, the
# transitive ones too, with hashes (requirements*.txt are their inputs: `make lock`).
$(VENV)/.runtime: $(BIN)/python requirements.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# After editing requirements*.txt: re-resolve both locks with pip-tools (in a throwaway
# venv: it is no dependency of the project), hashes of every file of every pin.
PIP_TOOLS := pip-tools==7.6.2
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --no-emit-find-links --no-emit-index-url
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet $(PIP_TOOLS)
	.venv-lock/bin/pip-compile $(LOCK_FLAGS) --output-file requirements.lock requirements.txt
	.venv-lock/bin/pip-compile $(LOCK_FLAGS) --output-file requirements-dev.lock requirements-dev.txt
	rm -rf .venv-lock

init-db: $(VENV)/.runtime
	$(BIN)/flask --app app init-db

scrape: init-db
	$(BIN)/python scrape.py

# One scrape before serving. A failed one (offline, upstream down) must not stop the
# server: it says so in one line instead of make's "Error 1 (ignored)". One retry, not
# three with backoff, so offline it gives up in a second rather than ~12.
DEV_RETRIES ?= 1
dev-scrape: init-db
	@mkdir -p instance
	@LEADERBOARD_HTTP_RETRIES=$(DEV_RETRIES) $(BIN)/python scrape.py 2>instance/dev-scrape.log \
		&& tail -n 1 instance/dev-scrape.log \
		|| echo "make dev: could not fetch from chutes.ai (offline?), so the site starts without data; 'make demo' shows it with stand-in data (details: instance/dev-scrape.log)."

dev: dev-scrape
	$(BIN)/flask --app app run --debug --host $(HOST) --port $(PORT)

# The whole site on local stand-in data, no network (tests/demo.py).
demo: $(VENV)/.runtime
	$(BIN)/python -m tests.demo --host $(HOST) --port $(PORT)

# Install or upgrade on this machine, as root: make install SERVER_NAME=leaderboard.example.com
install:
	deploy/install.sh $(if $(SERVER_NAME),--server-name $(SERVER_NAME)) $(INSTALL_ARGS)

# On an installed site, as root: a backup now (the daily timer's job), or put one back.
#   make restore BACKUP=/var/backups/chutes-leaderboard/leaderboard-2026-11-28.sqlite3
backup:
	systemctl start chutes-leaderboard-backup.service
	ls -l /var/backups/chutes-leaderboard/

restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=FILE" >&2; exit 2; }
	deploy/restore.sh "$(BACKUP)"

# The real devalue serializer (pinned in tests/js/package-lock.json) for the decoder's
# differential tests; reinstalled only when the lock file changes.
JS_TESTS := tests/js
$(JS_TESTS)/node_modules/.installed: $(JS_TESTS)/package.json $(JS_TESTS)/package-lock.json
	cd $(JS_TESTS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Every test, in parallel (pytest-xdist, one worker per core). --dist loadfile keeps each
# module in one worker: module-scoped fixtures (the booted systemd, the nginx stacks, the
# stand-in servers) start once, and a module's tests run in order, as they do serially.
# (Not loadgroup: pytest 9.2 ignores the nodeid suffix xdist 3.8's xdist_group relies on.)
XDIST := -n auto --dist loadfile
test: $(VENV)/.dev $(JS_TESTS)/node_modules/.installed
	$(BIN)/python -m pytest $(XDIST)

# The quick loop: all but the browser, deploy, systemd and slow tests (still in parallel).
test-fast: $(VENV)/.dev $(JS_TESTS)/node_modules/.installed
	$(BIN)/python -m pytest $(XDIST) -m "not browser and not deploy and not systemd and not slow"

# ruff (lint and format) and mypy (app/ and scrape.py, configured in pyproject.toml).
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Lighthouse (pinned in bench/js/package-lock.json) for the bench's mobile CLS figures only:
# never installed by `make test` or CI.
BENCH_JS := bench/js
$(BENCH_JS)/node_modules/.installed: $(BENCH_JS)/package.json $(BENCH_JS)/package-lock.json
	cd $(BENCH_JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Speed, memory and size figures (numbers, not assertions). Writes bench/results.md.
bench: $(VENV)/.dev $(BENCH_JS)/node_modules/.installed
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.probes

clean:
	rm -rf $(VENV) .pytest_cache instance/*.sqlite3* $(JS_TESTS)/node_modules $(BENCH_JS)/node_modules
