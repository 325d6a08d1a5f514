# ClusterHub: the verbs. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export CLUSTERHUB_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv demo test test-sqlite test-postgres lint serve worker clean

$(BIN)/clusterhub: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/clusterhub

## Set up, load the reference and demo data, and serve the hub with a task worker.
demo: venv
	$(BIN)/clusterhub migrate --no-input -v0
	$(BIN)/clusterhub load-reference
	$(BIN)/clusterhub demo-data
	$(BIN)/clusterhub match-index --rebuild
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	  DEBUG=1 $(BIN)/clusterhub db_worker --interval 2 & \
	  DEBUG=1 $(BIN)/clusterhub runserver --noreload $(HOST):$(PORT)

## The whole suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL).
test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/clusterhub makemigrations --check --dry-run

serve: venv
	$(BIN)/gunicorn clusterhub.wsgi --bind $(HOST):$(PORT) --workers 4

worker: venv
	$(BIN)/clusterhub db_worker

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
