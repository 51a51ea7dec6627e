# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
TOOL       := $(BIN)/linux-auditd-at
SAMPLE     := attack_data/T1053.002/linux_auditd_at/auditd_at_execution.log

.PHONY: venv run test test-live lint package inspect bench dataset splunk-up compose-check splunk-down splunk-logs replay clean

# The venv is stamped with the version of the $(PYTHON) that made it: another version (say
# `make PYTHON=python3.11 run` after a try with an older python3) rebuilds it from scratch.
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
PYTHON_STAMP   := $(VENV)/.python-$(or $(PYTHON_VERSION),unknown)

$(PYTHON_STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "make: $(PYTHON) is not Python 3.11 or newer ($(or $(PYTHON_VERSION),not found));" \
		     "install one and run, e.g., make PYTHON=python3.11 run" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	touch $@

# the C extension is built by the install (in place, for this editable one): a change to it
# installs again, or the old build would go on running
EXTENSION := setup.py package/linux_auditd_at/audit/_lines.c
$(VENV)/.installed: pyproject.toml $(EXTENSION) $(PYTHON_STAMP)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Bytecode written here, on every make, even where PYTHONDONTWRITEBYTECODE is set: otherwise each
# module changed since the install (a pull, a checkout) is compiled again at every start.
venv: $(VENV)/.installed
	@$(BIN)/python -m compileall -q package

run: venv
	$(TOOL) run $(SAMPLE)

# Live captures change this machine while they run (audit rules and flag, auditd, atd, a user), so
# `make test` skips them; `make test-live` runs only them, `make test LIVE=1` everything (.ci/run).
LIVE ?=
test: venv lint
	LIVE=$(LIVE) $(BIN)/pytest

test-live: venv
	LIVE=1 $(BIN)/pytest -m live

# ruff, mypy (pyproject's [tool.mypy]), the app's own lint; also lints the CI workflow (docs/ci.md): actionlint, with shellcheck on its `run:` scripts, and
# zizmor offline (its audits that need the GitHub API are skipped).
WORKFLOWS  := .github/workflows
lint: venv
	$(BIN)/ruff check package tests bench
	$(BIN)/mypy
	$(TOOL) lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint $(WORKFLOWS)/*.yml
	$(BIN)/zizmor --offline $(WORKFLOWS)

package: venv
	$(TOOL) package --output-dir dist

# AppInspect pins old dependencies (lxml<6, croniter<2, ...), so it gets a venv of its own.
APPINSPECT_VENV    := .venv-appinspect
APPINSPECT_VERSION := 4.3.1

$(APPINSPECT_VENV)/.installed:
	$(PYTHON) -m venv $(APPINSPECT_VENV)
	$(APPINSPECT_VENV)/bin/pip install --quiet --upgrade pip
	$(APPINSPECT_VENV)/bin/pip install --quiet 'splunk-appinspect==$(APPINSPECT_VERSION)'
	touch $@

# Offline, cloud + private_victoria + private_classic tags; fails unless 0 failures and 0 warnings.
inspect: package $(APPINSPECT_VENV)/.installed
	$(BIN)/python -m linux_auditd_at.app.appinspect --appinspect $(APPINSPECT_VENV)/bin/splunk-appinspect --dist dist

bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Real captures from this machine's kernel (needs root, `apt-get install auditd at`); see README.
DATASETS   := attack_data/T1053.002/linux_auditd_at
dataset: venv
	$(TOOL) capture $(DATASETS) --name auditd_at_execution
	$(TOOL) capture $(DATASETS) --name auditd_benign --scenario benign
	$(TOOL) capture $(DATASETS) --name auditd_at_execution_raw --format raw
	$(TOOL) capture $(DATASETS) --name auditd_at_execution_node --node \
		--scenario at_root --scenario daemon_at --scenario symlink_later --scenario benign

# A local Splunk in Docker (tests/splunk/compose.yml), with our package installed; needs
# SPLUNK_PASSWORD in the environment. No HEC token is set up: replay creates its own per dataset.
COMPOSE    := docker compose -f tests/splunk/compose.yml
splunk-up: compose-check package
	$(COMPOSE) up -d --wait

# Debian's own docker.io has no compose v2 plugin; Docker's apt repository has both.
compose-check:
	@docker compose version >/dev/null 2>&1 || { echo "make splunk-up: needs 'docker compose' \
	(Docker Engine with the compose v2 plugin): install docker-ce and docker-compose-plugin \
	from Docker's apt repository, see https://docs.docker.com/engine/install/" >&2; exit 2; }

splunk-down:
	$(COMPOSE) down -v

# For a failed run: the container's splunkd.log and its console (provisioning) output, into dist/.
splunk-logs:
	-$(COMPOSE) cp splunk:/opt/splunk/var/log/splunk/splunkd.log dist/splunkd.log
	-$(COMPOSE) logs --no-color splunk > dist/splunk-container.log

# Replay the bundled datasets into $SPLUNK_URL; extra flags in REPLAY_ARGS (e.g. --insecure).
replay: venv
	$(TOOL) replay $(REPLAY_ARGS)

clean:
	rm -rf dist $(VENV) $(APPINSPECT_VENV) bench/.data .pytest_cache .ruff_cache
