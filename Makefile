# Two commands on a fresh machine with Python >= 3.11 and make:
#   make run   set up, migrate the embedded SQLite database, load demo data, start web + worker + beat
#   make test  set up and run the test suite (SQLite and the embedded broker unless DATABASE_URL/REDIS_URL)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Every target here runs on this machine over plain http: keep a generated SECRET_KEY in var/ and
# serve without the HTTPS redirect and secure cookies production has (README, 可靠性与安全).
export LOCAL_SECRET_KEY ?= 1
export HTTPS ?= 0

.PHONY: run test setup migrate demo bench clean backup restore

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(BIN)/python manage.py load_demo

run: demo
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) bash scripts/run.sh

test: setup
	$(BIN)/python -m pytest

# Backup and restore (config/backup.py): pg_dump/pg_restore on PostgreSQL (a client at least as new
# as the server), SQLite's online backup API on SQLite; uploaded files too. FILE= names the archive.
backup: setup
	$(BIN)/python manage.py backup $(if $(FILE),--output "$(FILE)")

restore: setup
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/backup-….tar.gz"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" $(RESTORE_FLAGS)

# Issue 12's figures against their floors at 100,000 projects (BENCH_ARGS="--n 2000" for a quick run);
# the older single-figure scripts in bench/ still run on their own.
bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
