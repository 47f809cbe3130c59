# Bulwark: one entry point for setup, the lab demo and every test.
#   make demo   sets up and runs the lab demo
#   make test   sets up and runs every test
SHELL := /bin/bash
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
LAB := $(PY) lab/lab.py
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export ANSIBLE_ROLES_PATH := $(CURDIR)/roles
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
COLLECTION_LINK := .collections/ansible_collections/bulwark/container_security
MOLECULE_SCENARIOS ?=

.PHONY: setup setup-system venv lab-images lab-tools demo test lint unit integration molecule \
        collection-build bench clean lab-down changelog

setup: setup-system venv lab-tools

setup-system:
	@bash lab/setup-system.sh

venv: $(VENV)/.installed $(COLLECTION_LINK)

$(VENV)/.installed: requirements.txt
	@echo "[setup] python venv $(VENV) from requirements.txt"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

lab-tools: venv
	@$(LAB) tools >/dev/null

lab-images: setup
	@$(LAB) images

lab-down:
	@$(LAB) down --all

demo: setup lab-images
	@$(LAB) exec --services -- ansible-playbook -i playbooks/lab/inventory.yml playbooks/lab/demo.yml
	@echo "[demo] the node bulwark-demo-debian13 stays up for a second run; 'make lab-down' removes it"

lint: venv
	@echo "[lint] ruff"; ruff check .
	@echo "[lint] yamllint"; yamllint -s .
	@echo "[lint] ansible-lint (production profile)"; ansible-lint --offline -q

unit: venv
	@$(PY) -m pytest -q tests/unit

integration: setup lab-images
	@$(LAB) exec --services -- $(PY) -m pytest -q tests/integration

molecule: setup lab-images
	@$(LAB) exec --services -- bash lab/run-molecule.sh $(MOLECULE_SCENARIOS)

collection-build: venv
	@$(PY) -m pytest -q tests/integration/test_collection_build.py

test: setup lint lab-images
	@$(MAKE) --no-print-directory molecule
	@$(LAB) exec --services -- $(PY) -m pytest tests

bench: setup lab-images
	@$(LAB) exec --services -- bash -c 'for b in bench/*.py; do echo "[bench] $$b"; $(PY) $$b || exit 1; done'

changelog: venv
	@antsibull-changelog lint

clean: lab-down
	rm -rf $(VENV) .collections .cache tests/output
