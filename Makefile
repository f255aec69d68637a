# kcloud-analyzer developer targets. Every target creates the virtual
# environment (.venv) when it is missing.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_DOCS := $(VENV)/.installed-docs
SPHINX := $(BIN)/sphinx-build -W --keep-going -q -b html
CONFIG ?= $(wildcard /etc/kcloud-analyzer/kcloud-analyzer.conf)
CONFIG_ARGS := $(if $(CONFIG),--config-file $(CONFIG),)
IMAGE ?= kcloud-analyzer:latest
# The image the Dockerfile builds on; tools/docker-base-image.sh makes one from
# Debian's packages where Docker Hub is out of reach.
PYTHON_IMAGE ?= python:3.11-slim-bookworm
PYTEST_ARGS ?=

.PHONY: help install dev run run-api test test-unit test-functional \
	test-faults lint \
	format genconfig genpolicy docker-build docker-run clean services \
	docs devstack-check

help:
	@echo "make install          virtualenv in $(VENV) with the package"
	@echo "make dev              install + test and lint tools"
	@echo "make run              the embedded default: API + agent on 127.0.0.1, SQLite, sample trace"
	@echo "make run-api          the API alone against the configured database (CONFIG=path)"
	@echo "make test             unit and functional tests (starts the local servers they need)"
	@echo "make test-unit        unit tests only (no servers)"
	@echo "make test-faults      fault tests: private RabbitMQ, PostgreSQL and Redis killed on purpose"
	@echo "make lint / format    ruff check and bashate / ruff format"
	@echo "make docs             documentation, API reference and release notes (warnings are errors)"
	@echo "make devstack-check   the DevStack plugin's phases with DevStack's own functions, in a sandbox"
	@echo "make genconfig        regenerate etc/kcloud-analyzer/kcloud-analyzer.conf.sample"
	@echo "make genpolicy        regenerate etc/kcloud-analyzer/policy.yaml.sample"
	@echo "make docker-build     build the container image (needs a Docker engine)"
	@echo "make docker-run       run the container image (needs a Docker engine)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

# The client (the `openstack analyzer` commands, with python-openstackclient)
# comes with the service; the Horizon panels come with the test tools, for
# their unit tests (Horizon itself lives in .ci-venvs/horizon).
$(STAMP_RUN): $(BIN)/python requirements.txt setup.cfg client/pyproject.toml
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q -e . -e ./client
	touch $@

$(STAMP_DEV): $(STAMP_RUN) test-requirements.txt dashboard/pyproject.toml
	$(BIN)/pip install -q -r test-requirements.txt
	$(BIN)/pip install -q -e ./dashboard
	touch $@

$(STAMP_DOCS): $(STAMP_RUN) doc/requirements.txt
	$(BIN)/pip install -q -r doc/requirements.txt
	touch $@

install: $(STAMP_RUN)

dev: $(STAMP_DEV)

run: $(STAMP_RUN)
	$(BIN)/kcloud-analyzer-all

run-api: $(STAMP_RUN)
	$(BIN)/kcloud-analyzer-dbsync $(CONFIG_ARGS)
	$(BIN)/kcloud-analyzer-api $(CONFIG_ARGS)

services:
	bash .ci/services.sh
	bash .ci/setup-databases.sh
	@for script in tools/ci/setup-*.sh; do \
		[ -f "$$script" ] || continue; \
		echo "== $$script"; bash "$$script" || exit 1; \
	done

test: $(STAMP_DEV) services
	$(BIN)/python -m pytest --cov=kcloud_analyzer --cov-report=term:skip-covered --durations=15 $(PYTEST_ARGS) tests/unit tests/functional

test-unit: $(STAMP_DEV)
	$(BIN)/python -m pytest $(PYTEST_ARGS) tests/unit

# Each module starts RabbitMQ, PostgreSQL and Redis of its own on free
# ports (never the shared services) and kills them on purpose.
test-faults: $(STAMP_DEV)
	$(BIN)/python -m pytest -s --durations=10 $(PYTEST_ARGS) tests/faults

test-functional: $(STAMP_DEV) services
	$(BIN)/python -m pytest $(PYTEST_ARGS) tests/functional

lint: $(STAMP_DEV)
	$(BIN)/ruff check kcloud_analyzer client dashboard tests benchmarks tools
	$(BIN)/bashate -i E006 devstack/plugin.sh devstack/settings devstack/lib/kcloud-analyzer \
		tools/devstack-sandbox.sh tools/docker-base-image.sh

# One virtualenv for the three books, as OpenStack's docs, api-ref and
# releasenotes jobs build them.
docs: $(STAMP_DOCS)
	$(BIN)/reno lint
	$(SPHINX) -d doc/build/doctrees doc/source doc/build/html
	$(SPHINX) -d api-ref/build/doctrees api-ref/source api-ref/build/html
	$(SPHINX) -d releasenotes/build/doctrees releasenotes/source releasenotes/build/html

devstack-check: $(STAMP_DEV)
	bash tools/devstack-sandbox.sh

format: $(STAMP_DEV)
	$(BIN)/ruff format kcloud_analyzer client dashboard tests benchmarks tools

genconfig: $(STAMP_RUN)
	$(BIN)/oslo-config-generator --config-file etc/kcloud-analyzer/kcloud-analyzer-config-generator.conf

genpolicy: $(STAMP_RUN)
	$(BIN)/oslopolicy-sample-generator --config-file etc/kcloud-analyzer/policy-generator.conf

docker-build:
	@if ! docker info >/dev/null 2>&1; then \
		echo "docker-build: no Docker engine is reachable here ('docker info' failed)."; \
		echo "Build the image on a host with Docker: docker build -t $(IMAGE) ."; \
		exit 2; \
	fi
	docker build --build-arg PYTHON_IMAGE=$(PYTHON_IMAGE) \
		--build-arg PBR_VERSION=$$($(BIN)/python setup.py --version 2>/dev/null | tail -1) \
		-t $(IMAGE) .

docker-run:
	@if ! docker info >/dev/null 2>&1; then \
		echo "docker-run: no Docker engine is reachable here ('docker info' failed)."; \
		echo "Run the image on a host with Docker: docker run -p 8080:8080 $(IMAGE)"; \
		exit 2; \
	fi
	docker run --rm -p 8080:8080 $(IMAGE)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .coverage cover state \
		doc/build api-ref/build releasenotes/build
