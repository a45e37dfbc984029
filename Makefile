# Two commands on a fresh machine: `make run`, `make test`. Both build .venv from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint serve bench clean lock

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/groundline run

serve: $(STAMP)
	$(BIN)/groundline serve

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

# Two workers, each with its own PostgreSQL and stand-ins (tests/support/postgres.py picks a free port).
test: lint
	$(BIN)/pytest -q -n 2

bench: $(STAMP)
	$(BIN)/python bench/ack.py

# Re-pin every dependency (run after editing pyproject.toml): the runtime set, which the
# Docker image installs, and the development tools on top of it.
lock:
	rm -rf /tmp/groundline-lock && $(PYTHON) -m venv /tmp/groundline-lock
	/tmp/groundline-lock/bin/pip install --quiet setuptools wheel .
	/tmp/groundline-lock/bin/pip freeze --all --exclude-editable | grep -v '^pip==\|^groundline' > requirements.lock
	/tmp/groundline-lock/bin/pip install --quiet -c requirements.lock '.[dev]'
	/tmp/groundline-lock/bin/pip freeze --all --exclude-editable | grep -v '^pip==\|^groundline' \
	  | grep -vxFf requirements.lock > requirements-dev.lock

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
