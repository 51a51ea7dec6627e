# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
TOOL       := $(BIN)/linux-auditd-at
APP_ID     := DA-ESS-linux_auditd_at
VERSION    := 1.0.0
PACKAGE    := dist/$(APP_ID)-$(VERSION).tar.gz
SAMPLE     := attack_data/T1053.002/linux_auditd_at/auditd_at_execution.log

.PHONY: venv run test lint package inspect bench dataset splunk-up splunk-down replay clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: venv
	$(TOOL) run $(SAMPLE)

test: venv lint
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check package tests bench
	$(TOOL) lint

package: venv
	$(TOOL) package --output-dir dist

inspect: package

bench: venv

dataset: venv

splunk-up:

splunk-down:

replay: venv

clean:
	rm -rf dist $(VENV) .pytest_cache .ruff_cache
