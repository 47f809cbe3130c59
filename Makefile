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
# Python requirements, hashed locks compiled by `make lock`: runtime (controller; from the loose,
# bounded requirements.txt that the collection ships), dev (tests, lint; includes runtime) and
# lab (lab tools), each from its .in file.
REQUIREMENTS := requirements.lock.txt requirements-dev.txt requirements-lab.txt
# The lock tool, pinned; it lives in its own venv (never in $(VENV)) and reads PyPI only.
LOCK_TOOL := uv==0.13.8
LOCK_VENV ?= $(CURDIR)/.cache/lock-tool
LOCK := $(LOCK_VENV)/bin/uv pip compile --quiet --no-config --index-url https://pypi.org/simple \
        --generate-hashes --universal --python-version 3.11 --custom-compile-command "make lock"

.PHONY: setup setup-system venv lab-images lab-tools demo test lint unit integration molecule \
        collection-build bench clean lab-down changelog sanity lock falco-fields fuzz

setup: setup-system venv lab-tools

setup-system:
	@bash lab/setup-system.sh

venv: $(VENV)/.installed $(COLLECTION_LINK)

$(VENV)/.installed: $(REQUIREMENTS)
	@echo "[setup] python venv $(VENV) from $(REQUIREMENTS) (hash-checked)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --require-hashes $(addprefix -r ,$(REQUIREMENTS))
	@touch $@

# Regenerate the hashed requirement files: the runtime lock from requirements.txt, the others
# from their .in files. Existing pins are kept unless a source file changes; dev is held to the
# runtime lock's pins and lab to the dev pins, so the three install together without conflicts. The Pulumi project and its policy pack have their own
# (each installs into its own virtualenv).
lock:
	@test -x $(LOCK_VENV)/bin/uv || { python3 -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/python -m pip install -q $(LOCK_TOOL); }
	$(LOCK) -o requirements.lock.txt requirements.txt
	$(LOCK) -c requirements.lock.txt -o requirements-dev.txt requirements-dev.in
	$(LOCK) -c requirements-dev.txt -o requirements-lab.txt requirements-lab.in
	$(LOCK) -o pulumi/requirements.txt pulumi/requirements.in
	$(LOCK) -o pulumi/policy/requirements.txt pulumi/policy/requirements.in

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

# Regenerate the Falco rules linter's field catalog (plugins/module_utils/falco/fields.py and
# the sysdig fixtures it comes from) with the newest sysdig Debian sid serves, in a lab rootfs of
# its own per FALCO_FIELDS_SNAPSHOT (empty: the tests' cached sysdig). Needs root (chroot).
FALCO_FIELDS_SNAPSHOT ?= $(shell date -u +%Y-%m)
falco-fields:
	$(PY) tests/tools/gen_falco_fields.py --fixtures tests/fixtures/falco \
	  --lab-snapshot "$(FALCO_FIELDS_SNAPSHOT)" --output plugins/module_utils/falco/fields.py

lab-tools: venv
	@$(LAB) tools >/dev/null

lab-images: setup
	@$(LAB) images

lab-down:
	@$(LAB) down --all

demo: setup lab-images
	@$(LAB) fleet up
	@$(LAB) exec --services -- ansible-playbook -i playbooks/lab/fleet_inventory.yml playbooks/lab/demo.yml
	@echo "[demo] the fleet stays up for a second run (changed=0); 'make lab-down' removes it"

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
	@$(PY) -m pytest -q tests/integration/test_collection_build.py tests/integration/test_execution_environment.py

# Phases one after another, each timed (lab/run-phases.sh prints a table at the end): setup,
# lint, sanity, the lab images, then molecule, the fleet suite and the rest of pytest as three
# lanes side by side (lab/run-tests.sh; each lane's output is printed whole once all are done).
MAKE_QUIET := $(MAKE) --no-print-directory
test:
	@bash lab/run-phases.sh "setup=$(MAKE_QUIET) setup" "lint=$(MAKE_QUIET) lint" \
	  "sanity=$(MAKE_QUIET) sanity" "lab-images=$(MAKE_QUIET) lab-images" \
	  "lanes=$(LAB) exec --services -- env PYTHON=$(PY) bash lab/run-tests.sh"

bench: setup lab-images
	@$(LAB) exec --services -- bash -c 'for b in bench/*.py; do echo "[bench] $$b"; $(PY) $$b || exit 1; done'

# The property tests with 50 times the CI example budget (tests/properties/conftest.py); not in
# CI. The README's Reliability section quotes its figures.
fuzz: venv
	@HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests/properties

changelog: venv
	@antsibull-changelog lint

clean: lab-down
	rm -rf $(VENV) .collections .cache tests/output
