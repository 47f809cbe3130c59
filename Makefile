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
        collection-build bench clean lab-down changelog sanity

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

# ansible-test sanity (ansible-core's own checks for collections), run locally, no containers
# (tools/sanity.sh; 2 to 5 minutes by machine load, once ~/.ansible/test/venv holds its venvs).
# - ansible-test only runs inside .../ansible_collections/bulwark/container_security and resolves
#   symlinks, so the .collections link does not do: the files git knows about are copied to
#   .cache/sanity/ansible_collections/... with a fresh `git init` there (ansible-test lists the
#   files to check with git; without it, it finds this checkout's .git and sees nothing).
# - It bootstraps pip in each venv with get-pip.py from ci-files.testing.ansible.com, which these
#   machines cannot reach, unless ~/.ansible/test/cache/get_pip_24_2.py exists. The script puts
#   tools/get_pip_standin.py there: ensurepip, then pip installs the pinned packages from PyPI.
# - Targets: Python 3.9 (oldest the modules support, tests/config.yml) and the venv's 3.11.
# - Skipped: shellcheck and pslint (no shellcheck or pwsh here; no shell or PowerShell plugins).
sanity: venv
	@VENV_BIN=$(BIN) bash tools/sanity.sh

collection-build: venv
	@$(PY) -m pytest -q tests/integration/test_collection_build.py

test: setup lint sanity lab-images
	@$(MAKE) --no-print-directory molecule
	@$(LAB) exec --services -- $(PY) -m pytest tests

bench: setup lab-images
	@$(LAB) exec --services -- bash -c 'for b in bench/*.py; do echo "[bench] $$b"; $(PY) $$b || exit 1; done'

changelog: venv
	@antsibull-changelog lint

clean: lab-down
	rm -rf $(VENV) .collections .cache tests/output
