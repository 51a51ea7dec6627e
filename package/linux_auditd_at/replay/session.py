"""One dataset end to end: index, token, send, verify the count, search, judge, dispatch the saved
search itself (and with ES check its risk events), compare, clean up.

The verdict starts from Splunk's own test rule: at least one result row, the risk object field(s)
(read from the server's `action.risk.param._risk`: `dest` as shipped) non-null in every row. A
dataset whose metadata names `expected_rows` is held to those rows instead (so a benign dataset
passes with no rows, a true-negative test Splunk's rule cannot express), the risk objects still
non-null in every row. Then the differential check: the embedded engine must return the same rows
on the same events. Each step is timed.

What replay creates it removes, also when the run fails or is interrupted (Ctrl-C): the HEC token
it made for the dataset (unless `--hec-token` named one), the test index in a role's default
search indexes, ES's risk events of the dispatch (once its search id is known), and the test index
(unless `--keep`, or the index was there before).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path

from linux_auditd_at.attack_data import Dataset
from linux_auditd_at.detection import load_detection
from linux_auditd_at.errors import ToolkitError
from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.compare import compare_rows, describe
from linux_auditd_at.replay.hec import HECClient, SendReport
from linux_auditd_at.replay.splunkd import SavedSearch, SearchResult, Splunkd, index_search, quote
from linux_auditd_at.risk import RiskAction, RiskEvent
from linux_auditd_at.runner import compile_detection, load_events
from linux_auditd_at.spl import Context
from linux_auditd_at.spl.values import format_number, to_number

Rows = list[dict[str, object]]
Engine = Callable[[list[dict[str, object]]], Rows]
RiskEngine = Callable[[list[dict[str, object]]], list[RiskEvent]]


@dataclass
class Outcome:
    """What happened to one dataset."""

    dataset: Dataset
    index: str
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    sent: int = 0  # events HEC accepted (200), each once
    indexed: int = 0
    rows: Rows = field(default_factory=list)
    saved_rows: int | None = None  # rows of the saved search dispatched itself

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        """The PASS/FAIL line with the timings, then notes, failures and differences."""
        timings = " ".join(f"{step}={seconds:.2f}s" for step, seconds in self.timings.items())
        lines = [f"{'PASS' if self.passed else 'FAIL'} {self.dataset.name}: index={self.index} "
                 f"sent={self.sent} indexed={self.indexed} rows={len(self.rows)}"
                 + (f" saved_rows={self.saved_rows}" if self.saved_rows is not None else "")
                 + f" {timings}"]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  fail: {failure}" for failure in self.failures]
        lines += [f"  diff: {line}" for line in self.differences]
        return "\n".join(lines)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.timings[step] = time.monotonic() - start


@dataclass
class Replay:
    """Everything a replay needs that does not change from one dataset to the next."""

    splunkd: Splunkd
    hec: HECClient  # its token is replaced by one of our own per dataset when `own_token`
    app: str
    saved_search: SavedSearch
    engine: Engine | None
    keep: bool = False
    own_token: bool = False
    dispatch: bool = True  # also dispatch the saved search object itself
    risk: RiskEngine | None = None  # with ES: dispatch with actions, check the risk events
    index_timeout: float = 300.0
    search_timeout: float = 300.0
    poll: float = 1.0

    def run(self, dataset: Dataset, index: str) -> Outcome:
        outcome = Outcome(dataset, index)
        created, token_name = False, None
        with outcome.timed("total"):
            try:
                with outcome.timed("prepare_index"):
                    created = not self.splunkd.index_exists(index)  # before creating: Ctrl-C
                    self.prepare_index(index, created, outcome)     # may come at any point
                hec = self.hec
                if self.own_token:
                    token_name = index
                    token = self.splunkd.create_hec_token(token_name, index)
                    hec = replace(self.hec, token=token, channel=str(uuid.uuid4()))
                events = read_events(dataset, index, outcome)
                if self.send(hec, events, outcome):
                    self.search(dataset, events, outcome)
            except ToolkitError as exc:
                outcome.failures.append(str(exc))
            finally:  # also on KeyboardInterrupt: nothing of ours stays on the server
                if token_name is not None:
                    self.clean_up(outcome, f"HEC token {token_name}",
                                  lambda: self.splunkd.delete_hec_token(token_name))
                if created and not self.keep:
                    self.clean_up(outcome, f"index {index}", lambda: self.splunkd.delete_index(index))
        return outcome

    def send(self, hec: HECClient, events: list[dict[str, object]], outcome: Outcome) -> bool:
        """Send the events and check the index holds exactly them; False (with a failure) if not."""
        report, index = SendReport(), outcome.index
        with outcome.timed("send"):
            try:
                hec.send(events, index, report)
            finally:  # what HEC accepted, also when it then failed
                outcome.sent = report.accepted
        if report.index_wait:
            outcome.notes.append(f"HEC refused the new index (code 7) for "
                                 f"{report.index_wait:.2f}s, then accepted it")
        if report.retries or report.resent_unacked:
            outcome.notes.append(f"HEC: {report.retries} retried requests, "
                                 f"{report.resent_unacked} unacknowledged batches resent")
        if not report.acknowledged:
            outcome.notes.append("HEC token has no indexer acknowledgement (useACK); "
                                 "relying on the count check alone")
        with outcome.timed("verify_count"):
            outcome.indexed = self.await_count(index, outcome.sent)
        if outcome.indexed == outcome.sent:
            return True
        extra = outcome.indexed - outcome.sent
        outcome.failures.append(
            f"index {index} holds {outcome.indexed} events, {outcome.sent} were sent"
            + (f" ({extra} duplicated: a batch resent after a dropped connection had been "
               "indexed)" if extra > 0 else " (events lost)"))
        return False

    def search(self, dataset: Dataset, events: list[dict[str, object]], outcome: Outcome) -> None:
        """The search ad hoc over the test index, judged; then the saved search itself; then the
        embedded engine on the same events."""
        with outcome.timed("search"):
            result = self.splunkd.search(index_search(outcome.index, self.saved_search.search),
                                         app=self.app, timeout=self.search_timeout, poll=self.poll)
        outcome.rows = result.rows
        expected = dataset.expected()
        outcome.failures.extend(judge(result.rows, self.saved_search.risk_fields,
                                      expected is not None))
        if expected is not None:
            self.differ(outcome, result.rows, expected, "expected",
                        f"differences from the expected rows ({dataset.expected_rows})")
        if self.dispatch and events:
            with outcome.timed("saved_search"):
                saved = self.dispatch_saved(events, outcome)
            try:
                self.differ(outcome, saved.rows, result.rows, "ad-hoc", "differences between the "
                            "saved search dispatched itself and the ad-hoc search")
                if self.risk is not None:
                    with outcome.timed("risk"):
                        self.check_risk(saved.sid, self.risk(events), outcome)
            finally:
                if self.risk is not None:
                    self.clean_up(outcome, f"the risk events of {saved.sid}",
                                  lambda: self.splunkd.search(risk_search(saved.sid) + " | delete",
                                                              app=self.app, timeout=self.search_timeout,
                                                              poll=self.poll))
        if self.engine is not None:
            with outcome.timed("compare"):
                self.differ(outcome, result.rows, self.engine(events), "embedded",
                            "differences between Splunk's rows and the embedded engine's")

    @staticmethod
    def differ(outcome: Outcome, rows: Rows, other: Rows, name: str, failure: str) -> None:
        """Each difference between `rows` (Splunk's) and `other` (`name`), one failure if any."""
        lines = describe(compare_rows(rows, other), name)
        outcome.differences.extend(lines)
        if lines:
            outcome.failures.append(f"{len(lines)} {failure}")

    def dispatch_saved(self, events: list[dict[str, object]], outcome: Outcome) -> SearchResult:
        """The saved search object dispatched over the span of the events, actions not triggered
        (its own window would miss replayed data). A search naming no index reads the user's
        default indexes, so the test index is added to them for the dispatch when no pattern
        covers it, as contentctl does for its test index, and removed again afterwards."""
        times = [float(str(event["_time"])) for event in events]  # str() round-trips the float
        earliest, latest = str(math.floor(min(times))), str(math.floor(max(times)) + 1)
        with self.searched_by_default(outcome):
            result = self.splunkd.dispatch_saved(self.app, self.saved_search.name, earliest=earliest,
                                                 latest=latest, trigger_actions=self.risk is not None,
                                                 timeout=self.search_timeout, poll=self.poll)
        outcome.saved_rows = len(result.rows)
        return result

    def check_risk(self, sid: str, expected: list[RiskEvent], outcome: Outcome) -> None:
        """ES's risk events for the dispatch (index=risk, orig_sid) against `linux-auditd-at
        risk`'s on the same events: risk object, its type, score and filled message."""
        deadline = time.monotonic() + self.search_timeout
        while True:
            found = self.splunkd.search(risk_search(sid), app=self.app, timeout=self.search_timeout,
                                        poll=self.poll).rows
            if len(found) >= len(expected) or time.monotonic() >= deadline:
                break
            time.sleep(self.poll)
        outcome.notes.append(f"ES wrote {len(found)} risk events for {sid}, "
                             f"`linux-auditd-at risk` expects {len(expected)}")
        self.differ(outcome, [compared_risk(e) for e in found],
                    [compared_risk(e.to_json()) for e in expected], "risk",
                    "differences between ES's risk events and `linux-auditd-at risk`")

    @contextmanager
    def searched_by_default(self, outcome: Outcome) -> Iterator[None]:
        index = outcome.index
        defaults = self.splunkd.search_defaults()
        if defaults.cover(index):
            yield
            return
        role = defaults.role
        try:  # the change inside: Ctrl-C while it is being posted still restores the role
            self.splunkd.set_default_indexes(role, (*defaults.own, index))
            outcome.notes.append(f"index {index} was among role {role}'s default search indexes "
                                 "for the saved-search dispatch only")
            yield
        finally:
            self.clean_up(outcome, f"index {index} from role {role}'s default search indexes",
                          lambda: self.splunkd.set_default_indexes(role, defaults.own))

    def prepare_index(self, index: str, create: bool, outcome: Outcome) -> None:
        """Create the index and wait until it is enabled, or check that the existing one is empty."""
        if not create:
            held = self.count(index)
            if held:
                raise ReplayError(f"index {index} already holds {held} events; replay needs an "
                                  "empty index (remove it or pick another name)")
            return
        self.splunkd.create_index(index)
        waited = self.splunkd.await_index_enabled(index, timeout=self.index_timeout, poll=self.poll)
        if waited:
            outcome.notes.append(f"new index {index} enabled after {waited:.2f}s")

    @staticmethod
    def clean_up(outcome: Outcome, what: str, remove: Callable[[], object]) -> None:
        try:
            remove()
        except ToolkitError as exc:
            outcome.notes.append(f"could not remove {what}: {exc}")

    def count(self, index: str) -> int:
        return self.splunkd.count(index, app=self.app, timeout=self.search_timeout, poll=self.poll)

    def await_count(self, index: str, sent: int) -> int:
        """The indexed count once it equals `sent` on two polls in a row, or whatever it is at the
        timeout; more than `sent` returns at once (duplicates never go away)."""
        deadline = time.monotonic() + self.index_timeout
        seen_equal = False
        while True:
            count = self.count(index)
            if count > sent or (count == sent and seen_equal) or time.monotonic() >= deadline:
                return count
            seen_equal = count == sent
            time.sleep(self.poll)


def read_events(dataset: Dataset, index: str, outcome: Outcome) -> list[dict[str, object]]:
    """Every event of the dataset (no prefilter: all are sent), with its metadata and the test
    index; lines that are not audit records are noted."""
    events, stats = load_events(None, [str(dataset.path)], host=dataset.host, index=index)
    metadata = dataset.metadata()
    for event in events:
        event.update(metadata)
    warning = stats.warning()
    if warning:
        outcome.notes.append(f"not sent: {warning}")
    return events


def judge(rows: Rows, risk_fields: tuple[str, ...], expected_given: bool = False) -> list[str]:
    """Splunk's test rule: results exist (unless the dataset says what to expect) and every risk
    object field is set in every row."""
    if not rows:
        return [] if expected_given else ["the saved search returned no results"]
    failures = []
    for name in risk_fields:
        missing = [n for n, row in enumerate(rows) if row.get(name) in (None, "", [])]
        if missing:
            failures.append(f"{len(missing)} of {len(rows)} result rows have no {name} "
                            f"(rows {missing[:5]})")
    return failures


RISK_FIELDS = ("risk_object", "risk_object_type", "risk_score", "risk_message")


def risk_search(sid: str) -> str:
    """The risk events ES wrote for the search job `sid` (contentctl looks them up the same way:
    index=risk by orig_sid)."""
    return f"search index=risk orig_sid={quote(sid)}"


def compared_risk(event: Mapping[str, object]) -> dict[str, object]:
    """The compared fields of a risk event, the score as Splunk prints a number."""
    fields = {key: event.get(key) for key in RISK_FIELDS}
    score = to_number(fields["risk_score"])
    fields["risk_score"] = format_number(score) if score is not None else fields["risk_score"]
    return fields


def embedded_risk(app_dir: Path | None, tz: tzinfo) -> RiskEngine:
    """`linux-auditd-at risk` on a list of events: the risk events the app's risk action gives
    for the embedded engine's rows."""
    action = RiskAction.from_detection(load_detection(app_dir))
    engine = embedded_engine(app_dir, tz)

    def run(events: list[dict[str, object]]) -> list[RiskEvent]:
        return action.events(engine(events), time.time())

    return run


def embedded_engine(app_dir: Path | None, tz: tzinfo) -> Engine:
    """The embedded engine running the app's search (`local/` over `default/`) over all time."""
    _, pipeline = compile_detection(app_dir)

    def run(events: list[dict[str, object]]) -> Rows:
        return pipeline.execute(events, Context(now=time.time(), tz=tz)).rows

    return run
