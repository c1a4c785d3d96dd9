# GrowthOS — `make demo` and `make test` are the whole quick start; each sets up what it needs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: demo test setup system-deps assets lint docs bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP) assets

# The dashboard's chart library, from the npm registry (frontend/package.json), served from /static/vendor.
VENDOR := src/growthos/server/static/vendor
CHARTJS := frontend/node_modules/chart.js/dist
ASSETS := $(VENDOR)/chart.umd.min.js
# The Core Web Vitals snippet served at /sdk/vitals.js: web-vitals (npm) and our source in sdk-src/.
VITALS := $(VENDOR)/vitals.js
VITALS_SRC := src/growthos/server/static/sdk-src/vitals-snippet.js
WEB_VITALS := frontend/node_modules/web-vitals

assets: $(ASSETS) $(VITALS)

$(ASSETS): frontend/package.json $(wildcard frontend/package-lock.json)
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "Installing npm (Debian packages nodejs and npm)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	if [ -f frontend/package-lock.json ]; then \
	  npm ci --prefix frontend --no-audit --no-fund --loglevel=error; \
	else \
	  npm install --prefix frontend --no-audit --no-fund --loglevel=error; \
	fi
	mkdir -p $(VENDOR)
	cp $(CHARTJS)/chart.umd.min.js $(CHARTJS)/chart.umd.min.js.map $(VENDOR)/
	cp frontend/node_modules/chart.js/LICENSE.md $(VENDOR)/chart.js.LICENSE.md
	touch $(ASSETS)

# /sdk/vitals.js: web-vitals' IIFE build and our snippet in one function (no globals leak), rebuilt when npm
# reinstalls (the chart file above is that step's stamp) or the snippet changes.
$(VITALS): $(ASSETS) $(VITALS_SRC)
	{ echo "/*! GrowthOS Core Web Vitals snippet with web-vitals $$(node -p "require('./$(WEB_VITALS)/package.json').version") (Apache-2.0: /static/vendor/web-vitals.LICENSE) */"; \
	  echo "(function () {"; sed '/sourceMappingURL=/d' $(WEB_VITALS)/dist/web-vitals.iife.js; \
	  cat $(VITALS_SRC); echo "})();"; } > $@.tmp
	cp $(WEB_VITALS)/LICENSE $(VENDOR)/web-vitals.LICENSE
	mv $@.tmp $@

# Debian packages the test suite needs: a real PostgreSQL server for the app-database tests, Chromium for
# the browser tests.
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
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
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) growthos-data
