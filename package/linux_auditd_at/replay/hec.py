"""HTTP Event Collector client: every event with its own metadata, in batches, acknowledged.

Protocol (Splunk's HEC, `/services/collector/event`): a batch is JSON event objects written one
after another; `Authorization: Splunk <token>`; with indexer acknowledgement on the token, each
request carries `X-Splunk-Request-Channel: <uuid>` and the response carries an `ackId`, which
`/services/collector/ack` reports true once the batch is indexed.

Retries and the duplicate risk:
- 503 (code 9, server busy): nothing was accepted; the batch is sent again after back-off.
- A connection that drops or times out before the response: the server may or may not have
  accepted the batch, and without an ackId there is no way to ask. The batch is sent again (losing
  it would be worse); if the first copy was in fact indexed the events are duplicated, which the
  count check after sending reports (indexed > sent) instead of hiding.
- A batch whose ackId stays false past `ack_timeout` is sent again; only unacknowledged batches
  are, never an acknowledged one. A very slow indexer could still index the first copy later,
  so `ack_timeout` is generous and the count check again has the last word.
- Any other HEC error (invalid token, incorrect index, bad data) is not retried: it is reported
  with Splunk's code and text, the events indexed so far stay where they are.
Every retry is bounded by `max_tries` with exponential back-off.
"""

from __future__ import annotations

import json
import ssl
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.tls import checked_url, url_parts
from linux_auditd_at.replay.transport import Response, TransportError, excerpt, request

HEALTH_PATH = "/services/collector/health"
EVENT_PATH = "/services/collector/event"
ACK_PATH = "/services/collector/ack"
CHANNEL_HEADER = "X-Splunk-Request-Channel"
MAX_BACKOFF = 30.0
MAX_ANSWER = 1024 * 1024  # HEC answers a few dozen bytes
INDEX_GRACE = 30.0  # how long code 7 is retried while a new index comes up

HINTS = {
    2: "no HEC token was sent: pass --hec-token or set $SPLUNK_HEC_TOKEN",
    3: "the Authorization header was not accepted",
    4: "the HEC token is not known to the server: check --hec-token / $SPLUNK_HEC_TOKEN",
    1: "the HEC token is disabled on the server",
    7: "the token may not write to this index, or the index does not exist",
    10: "the token uses acknowledgement and the request had no channel",
    11: "the channel is not valid",
}


class HECError(ReplayError):
    """HEC refused the data; carries Splunk's status code and HEC code."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None,
                 event_number: object = None):
        super().__init__(message)
        self.status, self.code, self.event_number = status, code, event_number


@dataclass
class SendReport:
    """What it took to deliver the events."""

    accepted: int = 0  # events in batches HEC answered 200 to (each batch once)
    retries: int = 0
    resent_unacked: int = 0
    acknowledged: bool = True
    index_wait: float = 0.0  # seconds HEC answered code 7 (index not writable yet) before accepting


def default_hec_url(management_url: str) -> str:
    """HEC's usual place: https on the management host, port 8088."""
    host = checked_url(management_url, "--url", 8089)[1]
    return f"https://[{host}]:8088" if ":" in host else f"https://{host}:8088"


def hec_event(event: Mapping[str, object], index: str) -> dict[str, object]:
    """The HEC envelope of one event: its own time, host, source and sourcetype, and `index`."""
    envelope: dict[str, object] = {"time": event["_time"], "index": index, "event": event["_raw"]}
    for key in ("host", "source", "sourcetype"):
        if event.get(key):
            envelope[key] = event[key]
    return envelope


@dataclass
class _Batch:
    body: bytes
    size: int
    accepted: int = 0


@dataclass
class HECClient:
    """Sends events to one HEC endpoint with one channel, TLS set like the management connection."""

    url: str
    token: str = field(repr=False)
    context: ssl.SSLContext = field(repr=False)
    batch_size: int = 500
    max_tries: int = 5
    backoff: float = 0.5
    ack_timeout: float = 120.0
    poll_interval: float = 0.5
    timeout: float = 30.0  # each request, connecting to reading the whole answer
    index_grace: float = INDEX_GRACE
    channel: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self):
        checked_url(self.url, "--hec-url", 8088)
        self.url = url_parts(self.url).geturl().rstrip("/")  # https:// when it names no scheme
        self._headers = {"Authorization": f"Splunk {self.token}", CHANNEL_HEADER: self.channel,
                         "Content-Type": "application/json"}

    def _exchange(self, method: str, path: str, payload: bytes = b"",
                  headers: dict[str, str] | None = None) -> Response:
        return request(method, self.url + path, context=self.context, timeout=self.timeout,
                       body=payload, headers=headers, limit=MAX_ANSWER)

    def check_health(self) -> None:
        """HEC answers and says it is healthy (code 17). Unreachable fails fast with a clear
        message; 503 (queues full, code 18) is waited out with back-off like a busy send."""
        url = self.url + HEALTH_PATH
        for tries in range(1, self.max_tries + 1):
            try:
                response = self._exchange("GET", HEALTH_PATH)
            except TransportError as exc:
                raise HECError(f"cannot reach HEC ({exc}); is HEC enabled, and is --hec-url "
                               "right?") from exc
            if response.status != 503 or tries == self.max_tries:
                break
            self._back_off(tries)
        body = _json(url, response)
        if response.status != 200:
            raise _error(url, response.status, body)

    def _back_off(self, tries: int) -> None:
        """Wait before try `tries + 1`: `backoff` seconds, doubled per retry, at most MAX_BACKOFF."""
        time.sleep(min(self.backoff * 2 ** (tries - 1), MAX_BACKOFF))

    def send(self, events: Iterable[Mapping[str, object]], index: str,
             report: SendReport | None = None) -> SendReport:
        """Deliver every event to `index`; returns when all are acknowledged (or raises HECError).
        `report` is filled as it goes, so a caller holding it knows what got in before an error."""
        report = SendReport() if report is None else report
        batches = self._batches(events, index)
        pending: dict[int, _Batch] = {}
        for batch in batches:
            self._post(batch, pending, report)
        while pending:
            unacked = self._await_acks(pending)
            pending = {}
            for batch in unacked:
                if batch.accepted >= self.max_tries:
                    lost = sum(b.size for b in unacked)
                    raise HECError(f"{lost} events in {len(unacked)} batches were never acknowledged "
                                   f"after {self.max_tries} tries (channel {self.channel})")
                report.resent_unacked += 1
                self._post(batch, pending, report)
        return report

    def _batches(self, events, index) -> list[_Batch]:
        batches, lines = [], []
        for event in events:
            lines.append(json.dumps(hec_event(event, index), separators=(",", ":")))
            if len(lines) == self.batch_size:
                batches.append(_Batch("\n".join(lines).encode(), len(lines)))
                lines = []
        if lines:
            batches.append(_Batch("\n".join(lines).encode(), len(lines)))
        return batches

    def _post(self, batch: _Batch, pending: dict[int, _Batch], report: SendReport) -> None:
        """One batch until HEC accepts it; its ackId goes to `pending` (none when ack is off)."""
        body = self._accepted(batch, report)
        ack_id = body.get("ackId")
        if body.get("code") != 0 or not (ack_id is None or isinstance(ack_id, int)):
            raise HECError(f"{self.url + EVENT_PATH}: unexpected answer to an accepted batch: "
                           f"{excerpt(body)}")
        batch.accepted += 1
        if batch.accepted == 1:
            report.accepted += batch.size
        if ack_id is None:
            report.acknowledged = False
        else:
            pending[ack_id] = batch

    def _accepted(self, batch: _Batch, report: SendReport) -> dict:
        """HEC's answer to the batch. While nothing has reached the index yet, code 7 (index not
        writable) is retried for `index_grace` seconds: a new index may not take events at once
        (splunk-sdk's tests wait for a new index before using it). Only when Splunk says the bad
        event was the first (invalid-event-number 1 for code 7), so nothing is duplicated."""
        started = None
        while True:
            try:
                body = self._request(EVENT_PATH, batch.body, report)
            except HECError as exc:
                now = time.monotonic()
                started = now if started is None else started
                if (exc.code != 7 or report.accepted or exc.event_number not in (None, 0, 1)
                        or now - started >= self.index_grace):
                    raise
                time.sleep(self.poll_interval)
                continue
            if started is not None:
                report.index_wait = time.monotonic() - started
            return body

    def _await_acks(self, pending: dict[int, _Batch]) -> list[_Batch]:
        """Poll until every ackId is true or `ack_timeout` passes; the batches still unacknowledged."""
        waiting = dict(pending)
        deadline = time.monotonic() + self.ack_timeout
        while waiting:
            body = self._request(ACK_PATH, json.dumps({"acks": sorted(waiting)}).encode(), None)
            acks = body.get("acks")
            if not isinstance(acks, dict):
                raise HECError(f"{self.url + ACK_PATH}: unexpected answer: "
                               f"{excerpt(body)}")
            for ack_id in [i for i in waiting if acks.get(str(i)) is True]:
                del waiting[ack_id]
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(self.poll_interval)
        return list(waiting.values())

    def _request(self, path: str, payload: bytes, report: SendReport | None) -> dict:
        """POST with back-off on 503 and dropped connections; other errors raise HECError."""
        url = self.url + path
        tries = 0
        while True:
            tries += 1
            try:
                response = self._exchange("POST", path, payload, self._headers)
                failure = None
            except TransportError as exc:
                response, failure = None, f"connection failed: {exc}"
            if response is not None:
                body = _json(url, response)
                if response.status == 200:
                    return body
                if response.status != 503:
                    raise _error(url, response.status, body)
                failure = f"HTTP 503 {body.get('text', 'Server is busy')} (code {body.get('code')})"
            if tries >= self.max_tries:
                raise HECError(f"{url}: gave up after {tries} tries: {failure}",
                               status=response.status if response is not None else None)
            if report is not None:
                report.retries += 1
            self._back_off(tries)


def _json(url: str, response: Response) -> dict:
    """HEC's JSON object; anything else (a proxy's page, `[]`, garbage) is a HECError quoting it."""
    try:
        body = json.loads(response.body)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise HECError(f"{url}: HTTP {response.status}: unexpected answer {excerpt(response.body)}; "
                       "is --hec-url Splunk's HTTP Event Collector?", status=response.status)
    return body


def _error(url: str, status: int, body: dict) -> HECError:
    code = body.get("code")
    text = f"{url}: HTTP {status}: {body.get('text', 'error')} (HEC code {code})"
    if "invalid-event-number" in body:  # quoted, not interpreted: for code 7 Splunk names the
        # position after the bad event (one event with a bad index: 1), for the others the event
        text += (f", invalid-event-number {body['invalid-event-number']} (Splunk indexed the batch's "
                 "events before the bad one)")
    if code in HINTS:
        text += f": {HINTS[code]}"
    return HECError(text, status=status, code=code, event_number=body.get("invalid-event-number"))
