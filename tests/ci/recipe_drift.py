"""Cross-checks between the CI recipes and what they drive, so the two cannot drift apart.

The recipes (.github/workflows/replay.yml, docs/ci/gitlab-ci.yml) cannot run where this project
is built (no container engine); what keeps them right is that they name the same things as the
files they drive:

- image: the GitLab service, and every `splunk/splunk:TAG` in the recipes and docs/ci.md, is the
  image of tests/splunk/compose.yml;
- make targets: every `make TARGET` line runs a target of the Makefile, every `NAME=value` on it
  sets a variable the Makefile reads as `$(NAME)`; the recipes run the targets they are built on;
- variables: every SPLUNK_* variable a recipe sets is one the compose file or `replay` reads; each
  variable the compose file requires (`${NAME:?...}`) reaches every step that runs compose, from a
  secret of the same name, checked first with the same `${NAME:?...}`, and no other secret is
  passed; the GitLab service gets the compose file's environment (same names, same fixed values,
  the same package file).

`problems(root)` returns each mismatch as a sentence; the tests run it on the checkout (none) and
on copies with one side changed (each caught).
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path, PurePosixPath

import yaml

WORKFLOW = ".github/workflows/replay.yml"
GITLAB = "docs/ci/gitlab-ci.yml"
COMPOSE = "tests/splunk/compose.yml"
MAKEFILE = "Makefile"
CI_DOC = "docs/ci.md"
FILES = (WORKFLOW, GITLAB, COMPOSE, MAKEFILE, CI_DOC)

WORKFLOW_TARGETS = {"package", "splunk-up", "replay", "splunk-down"}
GITLAB_TARGETS = {"package", "replay"}
IMAGE = re.compile(r"splunk/splunk:[\w.-]+")
REQUIRED = re.compile(r"\$\{(\w+):\?")
SECRET = re.compile(r"^\$\{\{\s*secrets\.(\w+)\s*\}\}$")


def replay_env_names() -> set[str]:
    """The environment variables `linux-auditd-at replay` reads, as its --help documents them."""
    from linux_auditd_at.cli import replay

    parser = argparse.ArgumentParser()
    replay.add_arguments(parser)
    return set(re.findall(r"\$([A-Z][A-Z0-9_]+)", parser.format_help()))


def problems(root: Path, replay_env: set[str] | None = None) -> list[str]:
    """Every mismatch between the recipes under `root` and the compose file, Makefile and replay."""
    text = {name: (root / name).read_text(encoding="utf-8") for name in FILES}
    compose = yaml.safe_load(text[COMPOSE])["services"]["splunk"]
    makefile = Makefile(text[MAKEFILE])
    known = set(compose["environment"]) | (replay_env if replay_env is not None else replay_env_names())
    required = set(REQUIRED.findall(text[COMPOSE]))
    found = _image_problems(text, compose["image"])
    found += _workflow_problems(yaml.safe_load(text[WORKFLOW]), makefile, known, required)
    found += _gitlab_problems(yaml.safe_load(text[GITLAB]), makefile, known, compose)
    found += [f"{CI_DOC}: does not name the secret {name}" for name in sorted(required)
              if name not in text[CI_DOC]]
    return found


class Makefile:
    """The targets of a Makefile, the variables its rules read, and the targets that run compose."""

    def __init__(self, text: str):
        rules = re.findall(r"^([A-Za-z][\w.-]*)\s*:(?![=:])[^\n]*\n((?:\t[^\n]*\n?)*)", text, re.M)
        self.targets = {target for target, _ in rules}
        self.compose_targets = {target for target, recipe in rules if "$(COMPOSE)" in recipe}
        self.variables = set(re.findall(r"\$\((\w+)\)", text))

    def command_problems(self, where: str, script: str) -> tuple[list[str], set[str]]:
        """Problems of the `make ...` lines of a shell script, and the targets they run."""
        found, targets = [], set()
        for line in script.splitlines():
            words = shlex.split(line, comments=True) if line.lstrip().startswith("make ") else []
            for word in words[1:]:
                name, is_assignment, _ = word.partition("=")
                if is_assignment and name not in self.variables:
                    found.append(f"{where}: `make ... {name}=` sets a variable the Makefile never reads")
                elif not is_assignment:
                    targets.add(word)
                    if word not in self.targets:
                        found.append(f"{where}: `make {word}`: the Makefile has no such target")
        return found, targets


def _image_problems(text: dict[str, str], image: str) -> list[str]:
    return [f"{name}: {other} is not the compose file's {image}"
            for name in (WORKFLOW, GITLAB, CI_DOC) for other in IMAGE.findall(text[name]) if other != image]


def _workflow_problems(workflow: dict, makefile: Makefile, known: set[str], required: set[str]) -> list[str]:
    found, ran, checked, secrets = [], set(), set(), set()
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            where = f"{WORKFLOW}: job {job_name}, step {step.get('name', step.get('uses'))!r}"
            env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            script = step.get("run", "")
            step_found, targets = makefile.command_problems(where, script)
            found += step_found
            ran |= targets
            checked |= set(REQUIRED.findall(script))
            found += _env_problems(where, env, known, secrets)
            if targets & makefile.compose_targets:
                found += [f"{where}: runs compose without {name} in its environment"
                          for name in sorted(required - set(env))]
            if "splunk-down" in targets and "always()" not in str(step.get("if")):
                found.append(f"{where}: make splunk-down must run always()")
    found += [f"{WORKFLOW}: never runs make {target}" for target in sorted(WORKFLOW_TARGETS - ran)]
    found += [f"{WORKFLOW}: secret {name} is not checked with ${{{name}:?...}} before use"
              for name in sorted(secrets - checked)]
    # the container is the only thing the secrets are for: one it does not read would reach replay
    # instead, as a credential the server does not have
    found += [f"{WORKFLOW}: passes the secret {name}, which the compose file does not require"
              for name in sorted(secrets - required)]
    return found


def _env_problems(where: str, env: dict, known: set[str], secrets: set[str]) -> list[str]:
    found = []
    for name, value in env.items():
        secret = SECRET.match(str(value))
        if secret and secret.group(1) != name:
            found.append(f"{where}: {name} comes from the secret {secret.group(1)}, not from {name}")
        elif secret:
            secrets.add(name)
        if name.startswith("SPLUNK_") and name not in known:
            found.append(f"{where}: sets {name}, which neither the compose file nor replay reads")
    return found


def _gitlab_problems(pipeline: dict, makefile: Makefile, known: set[str], compose: dict) -> list[str]:
    job = pipeline["replay"]
    script = "\n".join(job["script"])
    found, targets = makefile.command_problems(f"{GITLAB}: script", script)
    found += [f"{GITLAB}: never runs make {target}" for target in sorted(GITLAB_TARGETS - targets)]
    found += [f"{GITLAB}: sets {name}, which neither the compose file nor replay reads"
              for name in job.get("variables", {}) if name.startswith("SPLUNK_") and name not in known]
    services = [s for s in job["services"] if s["name"].startswith("splunk/splunk:")]
    if not services:
        return [*found, f"{GITLAB}: no splunk/splunk service"]
    service_env = services[0].get("variables", {})
    given = set(service_env) | set(REQUIRED.findall(script))
    wanted = compose["environment"]
    found += [f"{GITLAB}: the Splunk service lacks {name}, which the compose file sets"
              for name in sorted(set(wanted) - given)]
    found += [f"{GITLAB}: the Splunk service gets {name}, which the compose file does not set"
              for name in sorted(given - set(wanted))]
    for name in set(service_env) & set(wanted):
        if name == "SPLUNK_APPS_URL":
            same = PurePosixPath(service_env[name]).name == PurePosixPath(wanted[name]).name
        else:
            same = service_env[name] == wanted[name]
        if not same:
            found.append(f"{GITLAB}: service {name} is {service_env[name]!r}, "
                         f"the compose file's {wanted[name]!r}")
    return found
