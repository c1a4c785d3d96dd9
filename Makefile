# GrowthOS — `make demo` and `make test` are the whole quick start; each sets up what it needs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: demo test setup system-deps lint docs bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

# Debian packages the test suite needs: a real PostgreSQL server for the app-database tests.
system-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Installing PostgreSQL server (Debian package postgresql)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; \
	fi

demo: setup
	$(BIN)/growthos demo

test: setup system-deps
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests bench

docs: setup
	$(BIN)/growthos catalogue --markdown > docs/metrics.md

bench: setup
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) growthos-data
