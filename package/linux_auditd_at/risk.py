"""The risk events ES writes for each result row, from the saved search's risk action settings.

Mirrors the rules of ES's risk modular action (`collectrisk`, SA-ThreatIntelligence):
- risk objects come from the `_risk` JSON list; for each entry, the row's `risk_object` field wins
  over `risk_object_field`; a multivalue risk-object field gives one risk event per value; a row
  without the field gives no risk event for that entry (ES logs a warning and skips it);
- the score is the row's `risk_score` field if present (1.0 if that is not a number), else the
  entry's `risk_score`, as a float;
- the message is `_risk_message` with each `$field$` token filled from the row. ES hands the
  token expander the row as Splunk's results CSV holds it, where a multivalue field's plain
  column is its values joined by a newline; so a multivalue field renders newline-joined. ES's
  expander source is not public: a field missing from the row renders as an empty string here
  (UNVERIFIED; pinned by a test);
- `source` of the risk event is the search name; the time is the row's `_time`, else the time
  the search ran (a `stats` row has no `_time`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from linux_auditd_at.conf import is_true, key_origin
from linux_auditd_at.detection import Detection
from linux_auditd_at.errors import ConfError
from linux_auditd_at.spl import Row
from linux_auditd_at.spl.values import as_text, to_number, values_of

TOKEN = re.compile(r"\$([A-Za-z0-9_.:-]+)\$")
RISK_KEY = "action.risk.param._risk"
MESSAGE_KEY = "action.risk.param._risk_message"
ANNOTATIONS_KEY = "action.correlationsearch.annotations"
INVALID_SCORE = 1.0
RiskObjectType = Literal["system", "user", "other"]
"""The risk object types ES knows (lint checks `_risk` against them; ES itself takes any string)."""
RISK_OBJECT_TYPES: tuple[RiskObjectType, ...] = get_args(RiskObjectType)


@dataclass(frozen=True)
class RiskObjectSpec:
    """One entry of the `_risk` JSON list."""

    field: str
    type: str
    score: float


@dataclass(frozen=True)
class RiskEvent:
    """What ES indexes into the risk index for one risk object of one result row."""

    time: float
    search_name: str
    risk_object: str
    risk_object_type: str
    risk_score: float
    risk_message: str
    annotations: dict[str, object] = field(default_factory=dict)
    row: Row = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The event as ES's risk index shows it: `source` is the search name."""
        return {
            "_time": self.time,
            "source": self.search_name,
            "search_name": self.search_name,
            "risk_object": self.risk_object,
            "risk_object_type": self.risk_object_type,
            "risk_score": self.risk_score,
            "risk_message": self.risk_message,
            **{f"annotations.{key}": value for key, value in self.annotations.items()},
            "result": self.row,
        }


def render_value(value: object) -> str:
    """A row value as a `$token$` renders it: multivalue newline-joined, missing as ''."""
    return "\n".join(as_text(v) for v in values_of(value))


def fill_tokens(template: str, row: Row) -> str:
    """`template` with every `$field$` replaced from `row`."""
    return TOKEN.sub(lambda m: render_value(row.get(m.group(1))), template)


def setting_error(detection: Detection, key: str, message: str) -> ConfError:
    """An error in the saved search's `key`, naming the file that sets it (`local/` or `default/`)."""
    path = key_origin(detection.app_dir, "savedsearches", detection.name, key)
    return ConfError(message, path=str(path), stanza=detection.name, key=key)


def _json_setting(detection: Detection, key: str) -> object:
    text = detection.settings.get(key, "")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise setting_error(detection, key, f"not valid JSON ({exc.msg} at char {exc.pos})") from exc


@dataclass(frozen=True)
class RiskAction:
    """The saved search's risk action: who gets risk, how much, and the message."""

    search_name: str
    objects: tuple[RiskObjectSpec, ...]
    message: str
    annotations: dict[str, object]

    @classmethod
    def from_detection(cls, detection: Detection) -> RiskAction:
        """Read `action.risk*` and the annotations; a search without a risk action is an error."""
        settings = detection.settings
        if not is_true(settings.get("action.risk")):
            raise setting_error(detection, "action.risk",
                                "the saved search has no risk action (action.risk is not 1)")
        entries = _json_setting(detection, RISK_KEY)
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) or not entries:
            raise setting_error(detection, RISK_KEY, "must be a non-empty JSON list of objects")
        objects = []
        for number, entry in enumerate(entries, 1):
            missing = [k for k in ("risk_object_field", "risk_object_type", "risk_score") if k not in entry]
            if missing:
                raise setting_error(detection, RISK_KEY, f"entry {number} lacks {', '.join(missing)}")
            try:
                score = float(entry["risk_score"])
            except (TypeError, ValueError) as exc:
                raise setting_error(detection, RISK_KEY, f"entry {number}: risk_score "
                                                         f"{entry['risk_score']!r} is not a number") from exc
            objects.append(RiskObjectSpec(str(entry["risk_object_field"]), str(entry["risk_object_type"]),
                                          score))
        annotations = _json_setting(detection, ANNOTATIONS_KEY) if settings.get(ANNOTATIONS_KEY) else {}
        if not isinstance(annotations, dict):
            raise setting_error(detection, ANNOTATIONS_KEY, "must be a JSON object")
        return cls(detection.name, tuple(objects), settings.get(MESSAGE_KEY, ""), annotations)

    def events_for(self, row: Row, run_time: float) -> list[RiskEvent]:
        """The risk events one result row gives (none when the row lacks its risk object)."""
        events = []
        time = to_number(row.get("_time"))
        for spec in self.objects:
            source_field = "risk_object" if row.get("risk_object") else spec.field
            score = _score(row.get("risk_score"), spec.score)
            for obj in values_of(row.get(source_field)):
                if obj in ("", None):
                    continue
                filled = {**row, "risk_object": obj, "risk_object_type": row.get("risk_object_type")
                          or spec.type}
                filled["risk_score"] = str(score)  # ES sets the float: `$risk_score$` renders 9.0
                events.append(RiskEvent(
                    time=float(time) if time is not None else run_time,
                    search_name=self.search_name,
                    risk_object=as_text(obj),
                    risk_object_type=str(filled["risk_object_type"]),
                    risk_score=score,
                    risk_message=fill_tokens(self.message, filled),
                    annotations=self.annotations,
                    row=row,
                ))
        return events

    def events(self, rows: list[Row], run_time: float) -> list[RiskEvent]:
        """The risk events of all result rows of one run, in row order."""
        return [event for row in rows for event in self.events_for(row, run_time)]


def _score(value: object, default: float) -> float:
    """The row's own `risk_score` when it has one, else the spec's; ES falls back to 1.0 when
    the row's value is not a number."""
    if value is None:
        return default
    try:
        return float(value)  # type: ignore[arg-type]  # any row value; what float() refuses is caught
    except (TypeError, ValueError):
        return INVALID_SCORE

