"""Checks of the app that AppInspect does not make, so a broken detection fails before it ships.

AppInspect checks the package's structure and conf syntax per spec file, but not whether the ES
correlation search works: the risk JSON, the fields it names, macro argument counts, the filter
macro's place, the schedule and window, the label. Every saved search with a `search` is checked
as Splunk sees it (`local/` over `default/`); each finding names the file that sets the key, the
stanza and the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from croniter import croniter

from linux_auditd_at.app.identity import read_identity
from linux_auditd_at.conf import LAYERS, default_path, is_true, key_origin, read_conf_file, read_layered
from linux_auditd_at.detection import Detection, filter_macro_name, macros_from_conf
from linux_auditd_at.errors import ConfError, Location, SPLError, UnsupportedSPLError, located
from linux_auditd_at.lookups import LookupResolver
from linux_auditd_at.risk import (
    ANNOTATIONS_KEY,
    MESSAGE_KEY,
    RISK_KEY,
    RISK_OBJECT_TYPES,
    TOKEN,
    RiskAction,
    setting_error,
)
from linux_auditd_at.spl.lexer import split_pipeline
from linux_auditd_at.spl.timemodifiers import resolve_time

DETECTION_TYPES = ("TTP", "Anomaly", "Hunting", "Correlation")
MITRE_ID = re.compile(r"T\d{4}(\.\d{3})?")


@dataclass(frozen=True)
class Finding:
    """One problem, as a value: which rule found it, what is wrong, and where (file, stanza, key).
    A warning (valid SPL the offline engine cannot run) does not fail the lint."""

    rule: str
    message: str
    location: Location
    warning: bool = False

    @classmethod
    def of(cls, rule: str, error: ConfError, warning: bool = False) -> Finding:
        """The finding `rule` makes of a conf error (its message and location)."""
        return cls(rule, error.message, error.location, warning)

    def __str__(self) -> str:
        return f"{'warning: ' if self.warning else ''}{located(self.message, self.location)} [{self.rule}]"


@dataclass
class SavedSearch:
    """One saved search under lint (layered, as Splunk sees it) and the time the lint runs at."""

    detection: Detection
    now: datetime

    @property
    def name(self) -> str:
        return self.detection.name

    @property
    def settings(self) -> dict[str, str]:
        return self.detection.settings

    def finding(self, rule: str, key: str, message: str) -> Finding:
        return Finding.of(rule, setting_error(self.detection, key, message))

    def enabled(self, key: str) -> bool:
        return is_true(self.settings.get(key))

    @cached_property
    def macro_error(self) -> SPLError | None:
        """Why the search's macros do not expand (undefined, wrong argument count), if they do not."""
        try:
            self.detection.expanded_search()
        except SPLError as exc:
            return exc
        return None

    @cached_property
    def filter_problem(self) -> Finding | None:
        """Why the filter macro's definition (the part users edit, often in local/) does not run
        where the search calls it, after a `|`: `filter-spl` when it is not valid SPL,
        `filter-lookup` when a lookup it names cannot be found, `filter-offline` (a warning) when
        it is valid SPL the offline engine cannot run; None when it runs or is not defined."""
        name = filter_macro_name(self.name)
        macro = self.detection.macros.get(name)
        if macro is None or self.macro_error is not None:
            return None
        path = str(key_origin(self.detection.app_dir, "macros", name, "definition"))

        def found(rule: str, message: str, warning: bool = False) -> Finding:
            return Finding.of(rule, ConfError(message, path=path, stanza=name, key="definition"), warning)

        try:
            error = self.detection.filter_error(macro.definition)
        except ConfError as exc:
            return found("filter-lookup", str(exc))
        if error is None:
            return None
        if isinstance(error, UnsupportedSPLError):
            return found("filter-offline", f"valid SPL, not supported by the offline engine: {error}", True)
        return found("filter-spl", f"not valid SPL after a '|': {error}")

    @cached_property
    def outputs(self) -> list[str] | None:
        """The result fields, as the embedded engine derives them from the macro-expanded search's
        commands (the last stats' by-fields and `as` names, then rename/eval/convert/fields/table);
        None when no command fixes them (no stats: events carry every extracted field)."""
        columns = None
        for stage in self.detection.compile().stages:
            columns = stage.command.columns(stage.node, columns)
        return columns


# --- rules: each takes a SavedSearch and yields findings ----------------------------------------


def check_macros(search: SavedSearch) -> Iterator[Finding]:
    """Every macro the search calls is defined, with as many arguments as its stanza declares."""
    if search.macro_error is not None:
        yield search.finding("macros", "search", str(search.macro_error))


def check_filter_spl(search: SavedSearch) -> Iterator[Finding]:
    """The filter macro's definition runs (see SavedSearch.filter_problem); the finding names the
    macros.conf that sets it."""
    if search.filter_problem is not None:
        yield search.filter_problem


def check_filter_last(search: SavedSearch) -> Iterator[Finding]:
    """A correlation search ends with its filter macro, so tuning can drop any result it makes."""
    if not search.enabled("action.correlationsearch.enabled"):
        return
    spl = search.settings["search"]
    try:
        start, end = split_pipeline(spl)[-1]
    except SPLError as exc:
        yield search.finding("filter-last", "search", str(exc))
        return
    expected, last = f"`{filter_macro_name(search.name)}`", spl[start:end].strip()
    if last != expected:
        yield search.finding("filter-last", "search",
                             f"the last command is {last!r}, not the filter macro {expected}")


def check_risk(search: SavedSearch) -> Iterator[Finding]:
    """`_risk` is a JSON list of risk objects (read as ES's risk action reads it) whose fields the
    search outputs, and so is every `$token$` of `_risk_message`."""
    if not search.enabled("action.risk"):
        return
    try:
        action = RiskAction.from_detection(search.detection)
    except ConfError as exc:
        yield Finding.of("risk-json", exc)
        return
    for spec in action.objects:
        if spec.type not in RISK_OBJECT_TYPES:
            yield search.finding("risk-json", RISK_KEY, f"risk_object_type {spec.type!r} of {spec.field!r} "
                                                        f"is not one of {', '.join(RISK_OBJECT_TYPES)}")
    if not action.message.strip():
        yield search.finding("risk-message", MESSAGE_KEY, "the risk action has no risk message")
    named = [(RISK_KEY, spec.field) for spec in action.objects]
    named += [(MESSAGE_KEY, token) for token in TOKEN.findall(action.message)]
    if search.macro_error is not None or search.filter_problem is not None:
        return  # the macros or filter-spl rule reports it; the fields can be checked once the SPL is sound
    try:
        outputs = search.outputs
    except SPLError as exc:
        yield search.finding("risk-fields", "search", f"cannot tell which fields the search outputs: {exc}")
        return
    if outputs is None:
        yield search.finding("risk-fields", "search", "no stats (or table) fixes the result fields, "
                                                      "so the risk fields cannot be checked")
        return
    for key, name in named:
        if name not in outputs:
            what = "token" if key == MESSAGE_KEY else "risk object field"
            yield search.finding("risk-fields", key, f"{what} {name!r} is not a field the search outputs "
                                                     f"({', '.join(sorted(outputs))})")


def check_schedule(search: SavedSearch) -> Iterator[Finding]:
    """A scheduled search has a valid cron expression and a window whose start precedes its end."""
    if not search.enabled("enableSched"):
        return
    cron = search.settings.get("cron_schedule", "")
    if not croniter.is_valid(cron):
        yield search.finding("cron", "cron_schedule", f"not a valid cron expression: {cron!r}")
    bounds = {}
    for key in ("dispatch.earliest_time", "dispatch.latest_time"):
        try:
            bounds[key] = resolve_time(search.settings.get(key, ""), search.now)
        except SPLError as exc:
            yield search.finding("time-window", key, str(exc))
    if len(bounds) == 2 and not bounds["dispatch.earliest_time"] < bounds["dispatch.latest_time"]:
        yield search.finding("time-window", "dispatch.earliest_time",
                             f"{search.settings['dispatch.earliest_time']!r} is not before "
                             f"dispatch.latest_time {search.settings['dispatch.latest_time']!r}")


def check_correlation_search(search: SavedSearch) -> Iterator[Finding]:
    """An ES correlation search's label is its stanza name and its annotations are valid JSON."""
    if not search.enabled("action.correlationsearch.enabled"):
        return
    label_key = "action.correlationsearch.label"
    label = search.settings.get(label_key, "")
    if label != search.name:
        yield search.finding("label", label_key, f"label {label!r} differs from the stanza name")
    try:
        annotations = json.loads(search.settings.get(ANNOTATIONS_KEY, ""))
    except ValueError as exc:
        yield search.finding("annotations", ANNOTATIONS_KEY, f"not valid JSON ({exc})")
        return
    for problem in _annotation_problems(annotations):
        yield search.finding("annotations", ANNOTATIONS_KEY, problem)


def _annotation_problems(annotations: object) -> Iterator[str]:
    if not isinstance(annotations, dict):
        yield "must be a JSON object"
        return
    for key in ("analytic_story", "mitre_attack"):
        values = annotations.get(key)
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            yield f"{key} must be a non-empty list of strings"
    for technique in annotations.get("mitre_attack") or []:
        if isinstance(technique, str) and not MITRE_ID.fullmatch(technique):
            yield f"{technique!r} is not a MITRE ATT&CK technique id (T1234 or T1234.567)"
    for key in ("confidence", "impact"):
        value = annotations.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            yield f"{key} must be an integer from 0 to 100"
    if annotations.get("type") not in DETECTION_TYPES:
        yield f"type must be one of {DETECTION_TYPES}"


SEARCH_RULES: tuple[Callable[[SavedSearch], Iterator[Finding]], ...] = (
    check_macros, check_filter_spl, check_filter_last, check_risk, check_schedule, check_correlation_search)


# --- app-level rules ----------------------------------------------------------------------------


def check_conf_syntax(app_dir: Path) -> list[Finding]:
    """Every .conf and .meta file parses with splunkd's line rules (ksconf's strict parser)."""
    paths = sorted(p for layer in LAYERS for p in (app_dir / layer).glob("*.conf"))
    paths += sorted((app_dir / "metadata").glob("*.meta"))
    findings = []
    for path in paths:
        try:
            read_conf_file(path)
        except ConfError as exc:
            findings.append(Finding.of("conf-syntax", exc))
    return findings


def check_manifest(app_dir: Path) -> list[Finding]:
    """app.manifest, if present, is strict JSON naming the id and version app.conf has."""
    path = app_dir / "app.manifest"
    if not path.is_file():
        return []
    try:
        identity = read_identity(app_dir)
    except ConfError as exc:
        return [Finding.of("manifest", exc)]
    try:
        app_id = json.loads(path.read_text())["info"]["id"]
    except (ValueError, KeyError, TypeError) as exc:
        return [Finding.of("manifest", ConfError(f"not strict JSON with info.id ({exc})", path=str(path)))]
    problems = [f"info.id.{key} is {app_id.get(key)!r}, app.conf has {want!r}"
                for key, want in (("name", identity.app_id), ("version", identity.version))
                if app_id.get(key) != want]
    return [Finding.of("manifest", ConfError(problem, path=str(path))) for problem in problems]


def lint_app(app_dir: Path, *, now: datetime | None = None,
             lookup_dirs: tuple[Path, ...] = ()) -> list[Finding]:
    """Every finding for the app in `app_dir` (lookups also looked for in `lookup_dirs`); no
    finding but warnings means it passes."""
    findings = check_conf_syntax(app_dir)
    if findings:
        return findings  # the rules below would only repeat the parse errors
    findings += check_manifest(app_dir)
    macros = macros_from_conf(read_layered(app_dir, "macros"))
    now = now or datetime.now(UTC)
    searches = {name: settings for name, settings in read_layered(app_dir, "savedsearches").items()
                if settings.get("search", "").strip()}
    if not searches:
        path = default_path(app_dir, "savedsearches")
        findings.append(Finding.of("conf-syntax", ConfError("no saved search with a search", path=str(path))))
    lookups = LookupResolver(app_dir, lookup_dirs)
    for name, settings in searches.items():
        search = SavedSearch(Detection(app_dir, name, settings, macros, lookups), now)
        for rule in SEARCH_RULES:
            findings += rule(search)
    return findings
