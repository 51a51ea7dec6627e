"""A stand-in for splunkd's REST API and the HTTP Event Collector, for tests only.

No Splunk can run on the CI machine, so this serves, over real HTTPS on 127.0.0.1, the endpoints
`linux-auditd-at replay` uses, answering the way Splunk documents them (status codes, JSON bodies,
HEC codes) and searching with the embedded engine over Splunk-style search-time fields. It can
fail the way Splunk fails: wrong password (401), bad HEC token (403, code 4), unknown index
(400, code 7), server busy (503, code 9), HEC unhealthy (503, code 18), missing channel (400,
code 10), batches never acknowledged, connections dropped mid-request, app or saved search missing,
job status answered with 204 or QUEUED/PARSING/FINALIZING before it is done, a new index that is
disabled at first and refuses HEC events (code 7) for a while. It creates and deletes HEC tokens
over REST. Where Splunk's behaviour is not obvious the double follows a named source (splunk-sdk's
code and tests, contentctl, Splunk's REST reference), each cited where it is coded.

It is a test double: nothing in `package/` imports it.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlsplit

from linux_auditd_at.audit.record import extract_fields
from linux_auditd_at.detection import Detection
from linux_auditd_at.errors import SPLError
from linux_auditd_at.risk import RiskAction
from linux_auditd_at.spl import Context, compile_search
from linux_auditd_at.spl.macros import Macro, expand_macros

ES_APP = "SplunkEnterpriseSecuritySuite"  # contentctl's ES_APP_NAME

LOGIN_FAILED = ('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <messages>\n'
                '    <msg type="WARN" code="incorrect_username_or_password">Login failed</msg>\n'
                '  </messages>\n</response>\n')
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass
class Faults:
    """What to break; counters are consumed by the HEC event posts they hit."""

    busy: int = 0                 # next N event posts answer 503 code 9
    drop: int = 0                 # next N event posts: body read, connection closed, nothing indexed
    drop_after_index: int = 0     # next N event posts: indexed, then the connection is closed
    unacked_posts: set[int] = field(default_factory=set)  # 1-based event posts: never indexed, ack false
    failing_jobs: str | None = None  # every search job fails at run time with this FATAL message
    unhealthy: int = 0            # next N health checks answer 503 code 18 (queues full)
    html_pages: bool = False      # after login, splunkd answers like a web page (a proxy in between)
    # Job status answers before the job is done, one per poll: "204" is an empty 204 answer (as
    # splunk-sdk's Job.is_ready expects while a job is being set up: splunklib/client.py), any other
    # value a dispatchState (QUEUED, PARSING, RUNNING, FINALIZING) with isDone false.
    job_states: tuple[str, ...] = ("RUNNING",)
    job_status_body: str | None = None  # every job status poll answers 200 with this body
    # A new index reports disabled=1 for its first N GETs (splunk-sdk's tests wait for a new index
    # to report disabled == "0": tests/integration/test_index.py setUp, test_input.py) and refuses
    # refuses its first `index_hec_refusals` HEC event posts with code 7 (a count, not a time, so
    # that a loaded test machine cannot skip the race).
    index_disabled_polls: int = 0
    index_hec_refusals: int = 0
    hang_event_posts: threading.Event | None = None  # event posts wait until this is set
    roles_ignored: bool = False  # role changes answer 200 but do not take effect
    risk_after_searches: int = 0  # ES's risk events appear after this many more search jobs
    risk_score: float | None = None  # ES writes this score instead of the risk action's


@dataclass
class HECToken:
    """A token created over REST: its name, the indexes it may write, indexer acknowledgement."""

    name: str
    indexes: set[str]
    use_ack: bool


@dataclass
class Job:
    search: str
    rows: list[dict[str, object]]
    error: str | None
    polls: int = 0
    states: tuple[str, ...] = ("RUNNING",)


class FakeSplunk:
    """Management and HEC servers sharing one state; `start()` them, `stop()` when done."""

    def __init__(self, server_context: ssl.SSLContext, *, password: str, hec_token: str,
                 apps: dict[str, bool], saved_searches: dict[tuple[str, str], dict[str, str]],
                 macros: dict[str, Macro], use_ack: bool = True, auth_tokens: tuple[str, ...] = (),
                 hec_indexes: set[str] | None = None, hec_tls: bool = True):
        self.password, self.hec_token, self.use_ack = password, hec_token, use_ack
        self.hec_indexes = hec_indexes  # the token's allowed indexes (None: any)
        self.apps, self.saved_searches, self.macros = apps, saved_searches, macros
        self.foreign_macros: dict[tuple[str, str], str] = {}  # (other app, stanza) -> definition, global
        self.auth_tokens = set(auth_tokens)
        self.sessions: set[str] = set()
        self.auth_used: set[str] = set()  # cookie, Splunk (session key header), Bearer
        self.indexes: dict[str, list[dict[str, object]]] = {"main": []}
        self.refusals: dict[str, int] = {}  # new index -> HEC event posts it still refuses
        self.index_gets: dict[str, int] = {}
        self.tokens: dict[str, HECToken] = {}  # token value -> the token replay created
        # Splunk's default authorize.conf: role_user's srchIndexesDefault is main, which admin
        # imports (importRoles = power;user); admin's own list is left empty here
        self.roles = {"admin": {"srchIndexesDefault": [], "imported_srchIndexesDefault": ["main"]}}
        self.dispatches: list[dict[str, str]] = []  # the form of each saved-search dispatch
        self.pending_risk: list[list] = []  # [searches to wait, risk events] ES has yet to write
        self.role_posts: list[tuple[str, str]] = []  # (role, srchIndexesDefault) of each change
        self.hec_tokens_used: list[str] = []  # per HEC post: "provisioned" or the created token's name
        self.jobs: dict[str, Job] = {}
        self.channels: dict[str, dict[int, bool]] = {}  # channel -> ackId -> indexed
        self.next_ack: dict[str, itertools.count] = {}  # Splunk counts ackIds from 0 per channel
        self.event_posts = 0
        self.faults = Faults()
        self.log: list[tuple[str, str, str]] = []  # (server, method, path)
        self.lock = threading.Lock()
        self._servers = [self._server("mgmt", server_context),
                         self._server("hec", server_context if hec_tls else None)]

    def _server(self, kind: str, context: ssl.SSLContext | None) -> _Server:
        """One listener; HEC without TLS (`hec_tls=False`) as inputs.conf's `enableSSL = 0` gives."""
        server = _Server(("127.0.0.1", 0), _Handler)
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
        server.tls = context is not None
        server.daemon_threads = True
        server.kind, server.fake = kind, self
        return server

    @property
    def mgmt_url(self) -> str:
        return f"https://127.0.0.1:{self._servers[0].server_address[1]}"

    @property
    def hec_url(self) -> str:
        scheme = "https" if self._servers[1].tls else "http"
        return f"{scheme}://127.0.0.1:{self._servers[1].server_address[1]}"

    def start(self) -> FakeSplunk:
        for server in self._servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    # -- search: the embedded engine over search-time fields, as splunkd would extract them

    def events(self, indexes: set[str] | None = None,
               window: tuple[float, float] = (float("-inf"), float("inf"))) -> list[dict[str, object]]:
        """Stored events with search-time fields, from `indexes` (all) within [earliest, latest)."""
        out = []
        for index, stored in self.indexes.items():
            if indexes is not None and index not in indexes:
                continue
            for event in stored:
                if not window[0] <= float(event["_time"]) < window[1]:
                    continue
                fields = extract_fields(str(event["_raw"]))
                fields.update(event)
                fields["index"] = index
                out.append(fields)
        return out

    def write_risk(self, name: str, sid: str, saved: dict[str, str], rows) -> None:
        """ES's risk action for a dispatch with trigger_actions: one event per risk object per row
        in index=risk, with search_name and orig_sid (the fields contentctl's RiskEvent reads and
        looks risk events up by). The rows become risk events by the toolkit's own RiskAction, so
        tests with this double check replay's plumbing, not ES's risk semantics. ES writes them
        after the search: they are visible once `risk_after_searches` more jobs were created."""
        detection = Detection(Path("."), name, saved, {})
        events = RiskAction.from_detection(detection).events(rows, time.time())
        stored = []
        for event in events:
            fields = {"search_name": name, "orig_sid": sid, "risk_object": event.risk_object,
                      "risk_object_type": event.risk_object_type,
                      "risk_score": str(self.faults.risk_score or event.risk_score),
                      "risk_message": event.risk_message}
            stored.append({"_raw": json.dumps(fields), "_time": event.time, "host": "es",
                           "source": name, "sourcetype": "stash", **fields})
        self.pending_risk.append([self.faults.risk_after_searches, stored])

    def age_pending_risk(self) -> None:
        with self.lock:
            for pending in list(self.pending_risk):
                pending[0] -= 1
                if pending[0] < 0:
                    self.indexes.setdefault("risk", []).extend(pending[1])
                    self.pending_risk.remove(pending)

    def delete(self, rows) -> None:
        """`| delete`: the events the search returned are gone from their index (contentctl
        removes its risk events with `search index=risk ... | delete`)."""
        gone = {(row["index"], row["_raw"], float(row["_time"])) for row in rows}
        with self.lock:
            for index, stored in self.indexes.items():
                stored[:] = [e for e in stored if (index, e["_raw"], float(e["_time"])) not in gone]

    def run_search(self, spl: str, **scope) -> Job:
        """The search over every event, or those `events(**scope)` selects."""
        text = spl.strip()
        if not text.startswith("|") and not text.lower().startswith("search "):
            text = "search " + text
        try:
            pipeline = compile_search(expand_macros(text, self.macros))
            with self.lock:
                events = self.events(**scope)
            rows = pipeline.execute(events, Context(now=time.time(), tz=UTC)).rows
        except SPLError as exc:
            return Job(spl, [], str(exc))
        return Job(spl, rows, None)


class _Server(ThreadingHTTPServer):
    """One listener of the double: `kind` "mgmt" or "hec", `tls` whether it speaks TLS."""

    kind: str
    tls: bool
    fake: FakeSplunk

    def handle_error(self, request, client_address):
        """A client that hung up (replay giving up after --timeout, Ctrl-C) is not an error of
        the double; anything else is reported as usual."""
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):
        """Keep test output quiet."""
        pass

    @property
    def fake(self) -> FakeSplunk:
        return self.server.fake

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.fake.log.append((self.server.kind, method, parts.path))
        if self.server.kind == "hec":
            self._hec(method, parts.path)
        else:
            self._mgmt(method, parts.path)

    # -- responses

    def _send(self, status: int, body, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        data = (json.dumps(body) if not isinstance(body, str) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.headers.get("Connection", "").lower() == "close":  # splunkd echoes it, then closes
            self.send_header("Connection", "Close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _messages(self, status: int, text: str, kind: str = "ERROR") -> None:
        self._send(status, {"messages": [{"type": kind, "text": text}]})

    def _drop(self) -> None:
        """Close the connection without a response, as a crashed or restarted server does."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    # -- splunkd

    def _form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}

    def _authenticated(self) -> bool:
        """A session key (header or `splunkd_<port>` cookie) or a bearer token; which one is
        recorded in `fake.auth_used`."""
        kind, _, credential = self.headers.get("Authorization", "").partition(" ")
        cookies = dict(c.strip().partition("=")[::2] for c in self.headers.get("Cookie", "").split(";") if c)
        if cookies.get(f"splunkd_{self.server.server_address[1]}") in self.fake.sessions:
            kind = "cookie"
        elif not ((kind == "Splunk" and credential in self.fake.sessions)
                  or (kind == "Bearer" and credential in self.fake.auth_tokens)):
            return False
        self.fake.auth_used.add(kind)
        return True

    def _mgmt(self, method: str, path: str) -> None:
        fake = self.fake
        if method == "POST" and path == "/services/auth/login":
            form = self._form()
            if form.get("username") != "admin" or form.get("password") != fake.password:
                self._send(401, LOGIN_FAILED, "text/xml")
                return
            key = secrets.token_hex(16)
            fake.sessions.add(key)
            # XML whatever output_mode says, and with cookie=1 (splunk-sdk sends it) the session
            # also as the `splunkd_<port>` cookie, which splunk-sdk then authenticates with
            cookie = {"Set-Cookie": f"splunkd_{self.server.server_address[1]}={key}; Path=/; Secure; "
                                    "HttpOnly"} if form.get("cookie") == "1" else None
            self._send(200, f"<response>\n  <sessionKey>{key}</sessionKey>\n  <messages>\n"
                            '    <msg code=""></msg>\n  </messages>\n</response>\n', "text/xml", cookie)
            return
        if not self._authenticated():
            self._messages(401, "call not properly authenticated", "WARN")
            return
        match = re.fullmatch(r"/services/(.+)|/servicesNS/([^/]+)/([^/]+)/(.+)", path)
        if not match:
            self._messages(404, f"Not Found: {path}")
            return
        app = unquote_plus(match.group(3)) if match.group(3) else None
        segments = [unquote_plus(s) for s in (match.group(1) or match.group(4)).split("/")]
        route = (method, *segments[:2])
        if fake.faults.html_pages:
            self._send(200, "<html><body>Splunk Web</body></html>", "text/html")
        elif route[:3] == ("GET", "apps", "local") and len(segments) == 3:
            name = segments[2]
            if name not in fake.apps:
                self._messages(404, f"Could not find object id={name}")
                return
            self._send(200, _feed(name, {"disabled": not fake.apps[name], "version": "1.0.0"}))
        elif route == ("GET", "saved", "searches") and len(segments) == 3:
            search = fake.saved_searches.get((app, segments[2])) if app not in (None, "-") else next(
                (s for (a, n), s in fake.saved_searches.items() if n == segments[2]), None)
            if search is None:
                self._messages(404, f"Could not find object id={segments[2]}")
                return
            self._send(200, _feed(segments[2], {**search, "disabled": True}))
        elif route == ("GET", "configs", "conf-macros") and len(segments) == 2:
            # every app's copy, each with its acl: `macros` are those of the saved search's app,
            # exported as its default.meta does (UNVERIFIED that splunkd lists per-app copies so;
            # see coexistence.py)
            home = next(iter(fake.saved_searches))[0]
            copies = [(home, name, macro.definition) for name, macro in fake.macros.items()]
            self._send(200, _macro_listing(copies + [(a, n, d) for (a, n), d in fake.foreign_macros.items()]))
        elif route == ("GET", "configs", "conf-macros") and len(segments) == 3:
            macro = fake.macros.get(segments[2])
            if macro is None:
                self._messages(404, f"Could not find object id={segments[2]}")
                return
            self._send(200, _feed(segments[2], {"definition": macro.definition,
                                                "iseval": macro.iseval, "disabled": False}))
        elif segments[:3] == ["data", "inputs", "http"] and app == "splunk_httpinput":
            self._hec_tokens(method, segments[3] if len(segments) == 4 else None)
        elif route == ("POST", "saved", "searches") and segments[3:] == ["dispatch"]:
            self._dispatch_saved(app, segments[2])
        elif route == ("GET", "authentication", "current-context"):
            # Splunk's REST reference (access endpoints): one entry, "context", with the user's
            # name and roles
            self._send(200, _feed("context", {"username": "admin", "roles": sorted(fake.roles)}))
        elif segments[:2] == ["authorization", "roles"] and len(segments) == 3:
            self._role(method, segments[2])
        elif segments[:2] == ["data", "indexes"]:
            self._indexes(method, segments[2] if len(segments) == 3 else None)
        elif segments[:2] == ["search", "jobs"]:
            self._jobs(method, segments[2:])
        else:
            self._messages(404, f"Not Found: {path}")

    def _role(self, method: str, name: str) -> None:
        """A role's default search indexes: srchIndexesDefault (its own) and
        imported_srchIndexesDefault (from imported roles), as lists; a POST sets its own from a
        `;`-separated value, as contentctl's configure_imported_roles sends it."""
        role = self.fake.roles.get(name)
        if role is None:
            self._messages(404, f"Could not find object id={name}")
        elif method == "POST":
            value = self._form().get("srchIndexesDefault", "")
            self.fake.role_posts.append((name, value))
            if not self.fake.faults.roles_ignored:
                role["srchIndexesDefault"] = [i for i in value.split(";") if i]
            self._send(200, _feed(name, role))
        else:
            self._send(200, _feed(name, role))

    def _dispatch_saved(self, app: str | None, name: str) -> None:
        """POST saved/searches/{name}/dispatch (Splunk's REST reference): `dispatch.*` override the
        saved settings, `trigger_actions` runs the alert actions; the answer is the new sid. The
        search names no index, so it reads the user's default indexes (srchIndexesDefault of
        their roles, own and imported; `*` does not match internal `_` indexes)."""
        fake = self.fake
        saved = fake.saved_searches.get((app, name))
        if saved is None:
            self._messages(404, f"Could not find object id={name}")
            return
        form = self._form()
        fake.dispatches.append(form)
        patterns = [p for role in fake.roles.values()
                    for p in role["srchIndexesDefault"] + role["imported_srchIndexesDefault"]]
        indexes = {i for i in fake.indexes if any(fnmatchcase(i, p) and not (i.startswith("_")
                                                                               and p == "*")
                                                  for p in patterns)}
        window = (float(form.get("dispatch.earliest_time", "0")),
                  float(form.get("dispatch.latest_time", "inf")))
        job = fake.run_search(saved["search"], indexes=indexes, window=window)
        sid = f"scheduler__admin__{name[:8]}_{secrets.token_hex(3)}"
        job.states = fake.faults.job_states
        fake.jobs[sid] = job
        if form.get("trigger_actions") == "1" and fake.apps.get(ES_APP):
            fake.write_risk(name, sid, saved, job.rows)
        self._send(201, {"sid": sid})

    def _hec_tokens(self, method: str, name: str | None) -> None:
        """HEC tokens over REST, as Splunk's docs show them (Getting Data In, "Use cURL to manage
        HTTP Event Collector tokens": POST servicesNS/<user>/splunk_httpinput/data/inputs/http
        with name, index, indexes, useACK; the answer's content holds the generated `token`; the
        entity's name is `http://<name>`, which contentctl's configure_hec also reads back)."""
        fake = self.fake
        if method == "POST" and name is None:
            form = self._form()
            token_name = form.get("name", "")
            indexes = {i for i in form.get("indexes", "").split(",") if i}
            with fake.lock:
                if any(t.name == token_name for t in fake.tokens.values()):
                    self._messages(409, f"Could not create token: token name {token_name} exists")
                    return
                value = str(uuid.uuid4())
                fake.tokens[value] = HECToken(token_name, indexes, form.get("useACK") in ("1", "true"))
            self._send(201, _feed(f"http://{token_name}", {
                "token": value, "index": form.get("index", "default"), "indexes": sorted(indexes),
                "useACK": form.get("useACK", "0"), "disabled": False}))
        elif method == "DELETE" and name is not None:
            with fake.lock:
                value = next((v for v, t in fake.tokens.items() if f"http://{t.name}" == name), None)
                if value is None:
                    self._messages(404, f"Could not find object id={name}")
                    return
                del fake.tokens[value]
            self._send(200, {"entry": []})
        else:
            self._messages(405, "Method not allowed")

    def _indexes(self, method: str, name: str | None) -> None:
        fake = self.fake
        if method == "POST" and name is None:
            name = self._form().get("name", "")
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
                self._messages(400, f"Index name={name} contains invalid characters")
                return
            with fake.lock:
                if name in fake.indexes:
                    self._messages(409, f"Index {name} already exists")
                    return
                fake.indexes[name] = []
                fake.refusals[name] = fake.faults.index_hec_refusals
                fake.index_gets[name] = 0
            self._send(201, _feed(name, {"totalEventCount": 0}))
        elif method == "GET" and name is not None:
            if name not in fake.indexes:
                self._messages(404, f"Could not find object id={name}")
                return
            gets = fake.index_gets.get(name)
            if gets is not None:
                fake.index_gets[name] = gets + 1
            disabled = gets is not None and gets < fake.faults.index_disabled_polls
            self._send(200, _feed(name, {"totalEventCount": len(fake.indexes[name]),
                                         "disabled": disabled}))
        elif method == "DELETE" and name is not None:
            with fake.lock:
                removed = fake.indexes.pop(name, None)
            if removed is None:
                self._messages(404, f"Could not find object id={name}")
                return
            self._send(200, {"entry": []})
        else:
            self._messages(405, "Method not allowed")

    def _jobs(self, method: str, rest: list[str]) -> None:
        fake = self.fake
        if method == "POST" and not rest:
            form = self._form()
            fake.age_pending_risk()
            text, deleting = re.subn(r"\|\s*delete\s*$", "", form.get("search", ""))
            job = fake.run_search(text)
            if deleting and not job.error:
                fake.delete(job.rows)
            if job.error:  # splunkd rejects SPL it cannot parse when the job is created
                self._messages(400, f"Error in 'search' command: {job.error}", "FATAL")
                return
            sid = f"{time.time():.3f}_{secrets.token_hex(3)}"
            job.states = fake.faults.job_states
            fake.jobs[sid] = job
            self._send(201, {"sid": sid})
            return
        job = fake.jobs.get(rest[0]) if rest else None
        if job is None:
            self._messages(404, f"Unknown sid: {rest[0] if rest else ''}")
            return
        if method == "GET" and len(rest) == 1:
            job.polls += 1
            if fake.faults.job_status_body is not None:
                self._send(200, fake.faults.job_status_body)
                return
            done = job.polls > len(job.states)  # each state answers one poll, then DONE
            state = "DONE" if done else job.states[job.polls - 1]
            if state == "204":  # the job is not set up yet: 204, no body (splunk-sdk Job.is_ready)
                self.send_response(204)
                self.end_headers()
                return
            failed = done and fake.faults.failing_jobs is not None
            self._send(200, _feed(rest[0], {
                "sid": rest[0], "isDone": done, "isFailed": failed,
                "dispatchState": "FAILED" if failed else state,
                "resultCount": 0 if failed else len(job.rows),
                "messages": [{"type": "FATAL", "text": fake.faults.failing_jobs}] if failed else []}))
        elif method == "GET" and rest[1:] == ["results"]:
            # Splunk's JSON: every value a string, a multivalue a list of strings, null fields left
            # out; `count` rows from `offset` (default 100, 0 for all: a client that forgets it
            # silently loses rows past 100 on a real server too)
            count, offset = int(self.query.get("count", 100)), int(self.query.get("offset", 0))
            rows = [{k: _splunk_value(v) for k, v in row.items() if v is not None and v != []}
                    for row in job.rows][offset:offset + count if count else None]
            fields = list(dict.fromkeys(k for row in rows for k in row))
            self._send(200, {"preview": False, "init_offset": 0, "messages": [],
                             "fields": [{"name": f} for f in fields], "results": rows})
        elif method == "DELETE" and len(rest) == 1:
            del fake.jobs[rest[0]]
            self._send(200, {"messages": [{"type": "INFO", "text": "Search job cancelled."}]})
        else:
            self._messages(405, "Method not allowed")

    # -- HEC

    def _hec_error(self, status: int, text: str, code: int, **extra) -> None:
        self._send(status, {"text": text, "code": code, **extra})

    def _hec(self, method: str, path: str) -> None:
        fake = self.fake
        if path in ("/services/collector/health", "/services/collector/health/1.0"):
            if method != "GET":
                self._hec_error(405, "The requested URL was not found on this server.", 404)
            elif fake.faults.unhealthy:  # the token is not checked here, as on Splunk
                fake.faults.unhealthy -= 1
                self._hec_error(503, "HEC is unhealthy, queues are full", 18)
            else:
                self._hec_error(200, "HEC is healthy", 17)
            return
        if path not in ("/services/collector/event", "/services/collector/ack", "/services/collector"):
            self._hec_error(404, "The requested URL was not found on this server.", 404)
            return
        if method != "POST":  # Splunk answers a known path's wrong method with 405 and this body
            self._hec_error(405, "The requested URL was not found on this server.", 404)
            return
        header = self.headers.get("Authorization")
        if not header:
            self._hec_error(401, "Token is required", 2)
            return
        kind, _, token = header.partition(" ")
        if kind != "Splunk" or not token:
            self._hec_error(401, "Invalid authorization", 3)
            return
        if token == fake.hec_token:
            self.use_ack, self.allowed = fake.use_ack, fake.hec_indexes
        elif token in fake.tokens:
            self.use_ack, self.allowed = fake.tokens[token].use_ack, fake.tokens[token].indexes
        else:
            self._hec_error(403, "Invalid token", 4)
            return
        channel = self.headers.get("X-Splunk-Request-Channel") or self.query.get("channel")
        if path == "/services/collector/ack":
            self._ack(channel)
            return
        fake.hec_tokens_used.append("provisioned" if token == fake.hec_token else fake.tokens[token].name)
        if fake.faults.hang_event_posts is not None:
            fake.faults.hang_event_posts.wait()
        if self.use_ack and not channel:
            self._hec_error(400, "Data channel is missing", 10)
            return
        if channel and not GUID.match(channel):
            self._hec_error(400, "Invalid data channel", 11)
            return
        with fake.lock:
            fake.event_posts += 1
            post = fake.event_posts
            if fake.faults.busy:
                fake.faults.busy -= 1
                self._hec_error(503, "Server is busy", 9)
                return
            if fake.faults.drop:
                fake.faults.drop -= 1
                self._drop()
                return
            events, error = self._parse_events()
            if post not in fake.faults.unacked_posts:  # a bad event stops the batch; those before it stay
                for event in events:
                    fake.indexes[event.pop("index")].append(event)
            if error is not None:
                self._send(400, error)
                return
            if fake.faults.drop_after_index:
                fake.faults.drop_after_index -= 1
                self._drop()
                return
            if not self.use_ack:
                self._hec_error(200, "Success", 0)
                return
            ack_id = next(fake.next_ack.setdefault(channel, itertools.count()))
            fake.channels.setdefault(channel, {})[ack_id] = post not in fake.faults.unacked_posts
        self._send(200, {"text": "Success", "code": 0, "ackId": ack_id})

    def _parse_events(self) -> tuple[list[dict[str, object]], dict[str, object] | None]:
        """The batch's events up to the first bad one, and HEC's 400 body for that one (or None).

        As Splunk answers: `invalid-event-number` is the bad event's 0-based position, except for
        code 7 (index not allowed) where Splunk names the position after it (one event with a bad
        index: 1); a null or false `event` is code 6, a blank string code 13."""
        text = self.body.decode("utf-8", "replace")
        decoder = json.JSONDecoder()
        position, events = 0, []

        def bad(text: str, code: int, number: int):
            return events, {"text": text, "code": code, "invalid-event-number": number}

        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position == len(text):
                break
            number = len(events)
            try:
                item, position = decoder.raw_decode(text, position)
            except ValueError:
                return bad("Invalid data format", 6, number)
            if not isinstance(item, dict):
                return bad("Invalid data format", 6, number)
            if "event" not in item:
                return bad("Event field is required", 12, number)
            event = item["event"]
            if event is None or event is False:
                return bad("Invalid data format", 6, number)
            if isinstance(event, str) and not event.strip():
                return bad("Event field cannot be blank", 13, number)
            index = item.get("index", "main")
            not_yet = self.fake.refusals.get(index, 0) > 0
            if not_yet:
                self.fake.refusals[index] -= 1
            if (index not in self.fake.indexes or not_yet
                    or (self.allowed is not None and index not in self.allowed)):
                return bad("Incorrect index", 7, number + 1)
            raw = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
            events.append({"_raw": raw, "_time": float(item.get("time", time.time())),
                           "host": item.get("host", "fake-hec"), "source": item.get("source", "http:replay"),
                           "sourcetype": item.get("sourcetype", "httpevent"), "index": index})
        if not events:
            return events, {"text": "No data", "code": 5}
        return events, None

    def _ack(self, channel: str | None) -> None:
        fake = self.fake
        if not self.use_ack:
            self._hec_error(400, "ACK is disabled", 14)
            return
        if not channel:
            self._hec_error(400, "Data channel is missing", 10)
            return
        try:
            wanted = json.loads(self.body)["acks"]
        except (ValueError, KeyError, TypeError):
            self._hec_error(400, "Invalid data format", 6)
            return
        with fake.lock:
            status = fake.channels.get(channel, {})
            answer = {str(i): bool(status.get(i)) for i in wanted}
            for i in wanted:  # Splunk forgets an ackId once it has reported it true
                if status.get(i):
                    del status[i]
        self._send(200, {"acks": answer})


_SplunkValue = str | list["_SplunkValue"]


def _splunk_value(value: object) -> _SplunkValue:
    if isinstance(value, list | tuple):
        return [_splunk_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _feed(name: str, content: dict[str, object]) -> dict[str, object]:
    """splunkd's JSON for one entity (`output_mode=json`)."""
    return {"links": {}, "origin": "", "updated": "", "generator": {"version": "9.4.3"},
            "entry": [{"name": name, "id": f"/services/x/{name}", "content": content,
                       "acl": {"app": "search", "owner": "nobody", "sharing": "app"}}],
            "paging": {"total": 1, "perPage": 30, "offset": 0}, "messages": []}


def _macro_listing(copies: list[tuple[str, str, str]]) -> dict[str, object]:
    """splunkd's JSON listing of globally shared macros: (app, stanza, definition) each."""
    feed = _feed("", {})
    feed["entry"] = [{"name": name, "id": f"/servicesNS/nobody/{app}/configs/conf-macros/{name}",
                      "content": {"definition": definition, "disabled": False},
                      "acl": {"app": app, "owner": "nobody", "sharing": "global"}}
                     for app, name, definition in copies]
    feed["paging"]["total"] = len(copies)
    return feed
