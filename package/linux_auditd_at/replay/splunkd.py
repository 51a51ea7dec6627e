"""The management API (port 8089) through splunk-sdk: what replay asks of splunkd.

Every call asks for `output_mode=json`. Jobs are dispatched in the app's namespace
(`/servicesNS/nobody/<app>/search/jobs`) so the app's macros resolve as they do for the scheduled
search, then polled and read at `/services/search/jobs/<sid>`.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal, overload
from xml.etree.ElementTree import ParseError

from splunklib import binding, client

from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.tls import checked_url
from linux_auditd_at.replay.transport import SDKHandler, TransportError, excerpt
from linux_auditd_at.risk import RISK_KEY

INDEX_TERM = re.compile(r"(?<![\w.])index\s*(=|::|\s+IN\s*\()", re.IGNORECASE)


@dataclass(frozen=True)
class SearchResult:
    """Rows of a finished job as Splunk's JSON gives them (str, list of str, or absent)."""

    sid: str
    rows: list[dict[str, object]]
    messages: list[str]


def split_url(url: str) -> tuple[str, str, int]:
    """scheme, host and port of a management URL; port 8089 when none is given."""
    return checked_url(url, "--url", 8089)


@dataclass(frozen=True)
class SavedSearch:
    """The saved search as the server has it: its name, text and its risk objects' fields."""

    name: str
    search: str
    risk_fields: tuple[str, ...]


@dataclass(frozen=True)
class SearchDefaults:
    """Which indexes a search that names none reads for this user: the user's first role, that
    role's own `srchIndexesDefault`, and every default index pattern of all the user's roles
    (their own and imported ones)."""

    role: str
    own: tuple[str, ...]
    patterns: tuple[str, ...]

    def cover(self, index: str) -> bool:
        return any(fnmatchcase(index, pattern) for pattern in self.patterns)


class Splunkd:
    """A logged-in management connection; every request ends within `timeout` seconds."""

    def __init__(self, service: client.Service, url: str):
        self.service, self.url = service, url

    @classmethod
    def connect(cls, url: str, *, context: ssl.SSLContext, timeout: float = 60.0,
                username: str | None = None, password: str | None = None,
                token: str | None = None) -> Splunkd:
        """Log in with a user and password (session key) or an authentication token (Bearer)."""
        scheme, host, port = split_url(url)
        if not token and not (username and password):
            raise ReplayError("no Splunk credentials: pass --username and --password (or set "
                              "$SPLUNK_USERNAME and $SPLUNK_PASSWORD), or --token ($SPLUNK_TOKEN)")
        auth = {"splunkToken": token} if token else {"username": username, "password": password}
        handler = SDKHandler(context, timeout)
        try:
            service = client.connect(scheme=scheme, host=host, port=port, handler=handler,
                                     autologin=False, **auth)
        except binding.AuthenticationError as exc:
            raise ReplayError(f"{url}: login failed (HTTP 401): check the user and password "
                              "(--username/--password or $SPLUNK_USERNAME/$SPLUNK_PASSWORD)") from exc
        except binding.HTTPError as exc:
            raise ReplayError(f"{url}: cannot log in: {_splunk_message(exc)}") from exc
        except TransportError as exc:
            raise ReplayError(f"{url}: cannot log in: {exc}") from exc
        except ParseError as exc:  # splunk-sdk reads the login answer as XML
            raise ReplayError(f"{url}: cannot log in: the answer is not splunkd's XML "
                              f"({excerpt(handler.last_body)}); is --url splunkd's management "
                              "port?") from exc
        if not token and service.token in ("Splunk None", "Splunk "):
            raise ReplayError(f"{url}: cannot log in: the answer has no sessionKey "
                              f"({excerpt(handler.last_body)})")
        return cls(service, url)

    def _call(self, method: str, path, *, missing_ok: bool = False, **kwargs) -> object:
        """One REST call with JSON output: the parsed answer, EMPTY for an empty body (splunkd's
        204), None for a 404 when `missing_ok`."""
        try:
            response = getattr(self.service, method)(path, output_mode="json", **kwargs)
        except binding.HTTPError as exc:
            if exc.status == 404 and missing_ok:
                return None
            if exc.status == 401:
                raise ReplayError(f"{self.url}: not authorised (HTTP 401): the token or session "
                                  "was rejected") from exc
            raise ReplayError(f"{self.url}: {method.upper()} {path}: {_splunk_message(exc)}") from exc
        data = response.body.read()
        if not data.strip():
            return EMPTY
        try:
            return json.loads(data)
        except ValueError as exc:  # a proxy or a web page, not splunkd
            raise ReplayError(f"{self.url}: {method.upper()} {path}: the answer is not JSON "
                              f"({excerpt(data)}); is --url splunkd's management port?") from exc

    @overload
    def _entity(self, method: str, path: str, *, missing_ok: Literal[False] = ..., **kwargs) -> dict: ...
    @overload
    def _entity(self, method: str, path: str, *, missing_ok: Literal[True], **kwargs) -> dict | None: ...

    def _entity(self, method: str, path: str, *, missing_ok: bool = False, **kwargs) -> dict | None:
        """The `content` of the first entry of an entity feed; a ReplayError quoting any other
        shape (`{}`, `[]`, an entry without content)."""
        body = self._call(method, path, missing_ok=missing_ok, **kwargs)
        if body is None:
            return None
        content = _first_content(body)
        if content is None:
            raise unexpected(self.url, f"{method.upper()} {path}", body)
        return content

    def app_state(self, app: str) -> str:
        """"missing", "disabled" or "enabled"."""
        content = self._entity("get", _path("apps/local", app), missing_ok=True)
        if content is None:
            return "missing"
        return "disabled" if _true(content.get("disabled")) else "enabled"

    def require_app(self, app: str) -> None:
        """The app must be installed and enabled."""
        state = self.app_state(app)
        if state == "missing":
            raise ReplayError(f"{self.url}: app {app} is not installed: install "
                              f"dist/{app}-<version>.tar.gz (make package; make splunk-up does it)")
        if state == "disabled":
            raise ReplayError(f"{self.url}: app {app} is installed but disabled: enable it in Apps")

    def saved_search(self, app: str, name: str) -> SavedSearch:
        """The saved search as the server has it (local/ edits included): its `search` and the
        risk object fields of its `action.risk.param._risk`."""
        path = _path("saved/searches", name)
        content = self._entity("get", path, owner="nobody", app=app, missing_ok=True)
        if content is None:
            raise ReplayError(f"{self.url}: saved search {name!r} not found in app {app}")
        if not isinstance(content.get("search"), str):
            raise unexpected(self.url, f"GET {path}", content)
        return SavedSearch(name, content["search"],
                           risk_fields(self.url, name, content.get(RISK_KEY)))

    def macro_definition(self, app: str, name: str) -> str | None:
        """The server's definition of a macro as the app sees it (local/ edits included)."""
        content = self._entity("get", _path("configs/conf-macros", name), owner="nobody", app=app,
                               missing_ok=True)
        definition = None if content is None else content.get("definition")
        return definition if isinstance(definition, str) else None

    def global_macro_copies(self) -> dict[str, dict[str, str]]:
        """Every globally shared macro on the server, in every app: stanza -> app -> definition
        (one listing of `/servicesNS/-/-/configs/conf-macros`)."""
        body: Any = self._call("get", "configs/conf-macros", owner="-", app="-", count=0)
        copies: dict[str, dict[str, str]] = {}
        try:
            for entry in body["entry"]:
                if entry["acl"]["sharing"] == "global":
                    copies.setdefault(entry["name"], {})[entry["acl"]["app"]] = entry["content"]["definition"]
        except (KeyError, TypeError) as exc:
            raise unexpected(self.url, "GET configs/conf-macros", body) from exc
        return copies

    def macros_naming_an_index(self, app: str, saved_search: str) -> dict[str, str]:
        """The argument-less macros of the saved search whose server definition has an `index`
        term. Such a macro ANDs with the test index replay adds (`index="at_replay_1" index=os`
        matches nothing), so the search returns no rows however right it is."""
        named = {}
        for name in dict.fromkeys(re.findall(r"`([^`(]+)`", saved_search)):
            definition = self.macro_definition(app, name)
            if definition and INDEX_TERM.search(definition):
                named[name] = definition
        return named

    def index_exists(self, name: str) -> bool:
        return self._call("get", _path("data/indexes", name), missing_ok=True) is not None

    def create_index(self, name: str) -> None:
        self._call("post", "data/indexes", name=name)

    def await_index_enabled(self, name: str, *, timeout: float, poll: float) -> float:
        """Seconds until the index reports `disabled` false (splunk-sdk's own tests wait for a new
        index this way: tests/integration/test_index.py, `index.refresh()["disabled"] == "0"`)."""
        start = time.monotonic()
        while True:
            content = self._entity("get", _path("data/indexes", name))
            waited = time.monotonic() - start
            if not _true(content.get("disabled")):
                return waited
            if waited >= timeout:
                raise ReplayError(f"{self.url}: index {name} still disabled after {timeout:g} s")
            time.sleep(poll)

    def delete_index(self, name: str) -> None:
        """Remove the index; one that is not there (never created: Ctrl-C came first) is fine."""
        self._call("delete", _path("data/indexes", name), missing_ok=True)

    def create_hec_token(self, name: str, index: str) -> str:
        """A HEC token of our own that may write `index` only, with indexer acknowledgement
        (contentctl creates its test token the same way: useACK, an index and an `indexes` list;
        Splunk's REST reference: POST data/inputs/http with name, index, indexes, useACK)."""
        content = self._entity("post", HEC_TOKENS, owner="nobody", app=HEC_APP, name=name,
                               index=index, indexes=index, useACK="1")
        token = content.get("token")
        if not isinstance(token, str) or not token:
            raise unexpected(self.url, f"POST {HEC_TOKENS}", content)
        return token

    def delete_hec_token(self, name: str) -> None:
        """Remove the token `create_hec_token` made (its REST name is `http://<name>`); one that is
        not there (never created: Ctrl-C came first) is fine."""
        self._call("delete", _path(HEC_TOKENS, f"http://{name}"), owner="nobody", app=HEC_APP,
                   missing_ok=True)

    def search_defaults(self) -> SearchDefaults:
        """The user's default search indexes (Splunk's REST reference, access endpoints:
        authentication/current-context lists the user's roles; authorization/roles/{name} gives
        srchIndexesDefault and imported_srchIndexesDefault)."""
        context = self._entity("get", "authentication/current-context")
        roles = context.get("roles")
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
            raise unexpected(self.url, "GET authentication/current-context", context)
        own, patterns = None, []
        for role in roles:
            content = self._entity("get", _path("authorization/roles", role))
            mine = _index_list(content.get("srchIndexesDefault"))
            own = mine if own is None else own
            patterns += [*mine, *_index_list(content.get("imported_srchIndexesDefault"))]
        return SearchDefaults(roles[0], tuple(own or ()), tuple(patterns))

    def set_default_indexes(self, role: str, indexes: tuple[str, ...]) -> None:
        """Set the role's own srchIndexesDefault, `;`-separated as authorize.conf writes it
        (contentctl's configure_imported_roles posts its test index to the role this way)."""
        self._call("post", _path("authorization/roles", role), srchIndexesDefault=";".join(indexes))

    def search(self, spl: str, *, app: str, timeout: float, poll: float = 0.5) -> SearchResult:
        """Run `spl` over all time in a normal job, wait for it, and read every result row."""
        job = self._call("post", "search/jobs", owner="nobody", app=app, search=spl,
                         earliest_time="0", exec_mode="normal")
        return self._finish(_sid(self.url, job), spl, timeout, poll)

    def dispatch_saved(self, app: str, name: str, *, earliest: str, latest: str,
                       trigger_actions: bool, timeout: float, poll: float = 0.5) -> SearchResult:
        """Dispatch the saved search itself over [earliest, latest) and read its rows; actions
        run only when `trigger_actions` (contentctl dispatches with trigger_actions to get risk
        events; Splunk's REST reference: saved/searches/{name}/dispatch, dispatch.* overrides)."""
        path = _path("saved/searches", name) + "/dispatch"
        job = self._call("post", path, owner="nobody", app=app, trigger_actions=int(trigger_actions),
                         missing_ok=False,  # named, so mypy does not match the dict below to it
                         **{"dispatch.earliest_time": earliest, "dispatch.latest_time": latest})
        return self._finish(_sid(self.url, job), f"saved search {name!r}", timeout, poll)

    def _finish(self, sid: str, what: str, timeout: float, poll: float) -> SearchResult:
        """Wait for the job, read its rows, delete it (also when waiting fails)."""
        status = _path("search/jobs", sid)
        try:
            content = self._await_job(status, sid, what, timeout, poll)
            results = self._call("get", status + "/results", count=0)
        finally:
            self._call("delete", status, missing_ok=True)
        if not isinstance(results, dict) or not isinstance(results.get("results"), list):
            raise unexpected(self.url, f"GET {status}/results", results)
        messages = [m.get("text", "") for m in results.get("messages") or [] if isinstance(m, dict)]
        return SearchResult(sid, results["results"], messages + _job_messages(content))

    def _await_job(self, status, sid: str, what: str, timeout: float, poll: float) -> dict:
        """Poll the job until it is done. Not ready yet: an empty answer (splunkd's 204 while the
        job is being set up) and the states QUEUED, PARSING, RUNNING, FINALIZING, PAUSED
        (splunk-sdk's Job.is_ready: 204, QUEUED and PARSING are not ready; Job.is_done then
        needs isDone)."""
        deadline = time.monotonic() + timeout
        while True:
            body = self._call("get", status)
            content = None if body is EMPTY else _first_content(body)
            if body is not EMPTY and (content is None or "dispatchState" not in content):
                raise unexpected(self.url, f"GET {status}", body)
            if content is not None:
                if _true(content.get("isFailed")) or content["dispatchState"] == "FAILED":
                    why = "; ".join(_job_messages(content)) or "no message"
                    raise ReplayError(f"{self.url}: search job {sid} failed: {why}; search was: {what}")
                if _true(content.get("isDone")) and content["dispatchState"] not in NOT_READY:
                    return content
            if time.monotonic() >= deadline:
                raise ReplayError(f"{self.url}: search job {sid} not done after {timeout:g} s")
            time.sleep(poll)

    def count(self, index: str, *, app: str, timeout: float, poll: float = 0.5) -> int:
        """How many events `index` holds (over all time)."""
        rows = self.search(f"search index={quote(index)} | stats count", app=app, timeout=timeout,
                           poll=poll).rows
        if not rows:
            return 0
        try:
            return int(str(rows[0]["count"]))  # a JSON result value: text
        except (KeyError, TypeError, ValueError):
            raise unexpected(self.url, f"stats count of index {index}", rows[0]) from None


EMPTY = object()  # an answer without a body
NOT_READY = ("QUEUED", "PARSING", "RUNNING", "FINALIZING", "PAUSED")
HEC_APP = "splunk_httpinput"
HEC_TOKENS = "data/inputs/http"


def unexpected(url: str, what: str, body: object) -> ReplayError:
    """The error for an answer of a shape splunkd does not give, quoting (a bounded excerpt of) it."""
    return ReplayError(f"{url}: {what}: unexpected answer {excerpt(b'' if body is EMPTY else body)}")


def risk_fields(url: str, name: str, value: object) -> tuple[str, ...]:
    """The `risk_object_field` of each entry of the server's `action.risk.param._risk`."""
    try:
        entries = json.loads(value) if isinstance(value, str) else ()
        fields = tuple(entry["risk_object_field"] for entry in entries)
    except (ValueError, TypeError, KeyError):
        fields = ()
    if not fields or not all(isinstance(f, str) and f for f in fields):
        raise ReplayError(f"{url}: saved search {name!r} has no usable {RISK_KEY} on the server "
                          f"({excerpt(value)}); replay checks its risk objects")
    return fields


def _index_list(value: object) -> list[str]:
    """An index list as splunkd's JSON gives it (a list) or as a conf value (`a;b`)."""
    if isinstance(value, str):
        return [v for v in value.split(";") if v]
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _first_content(body: object) -> dict | None:
    if isinstance(body, dict) and isinstance(body.get("entry"), list) and body["entry"]:
        entry = body["entry"][0]
        if isinstance(entry, dict) and isinstance(entry.get("content"), dict):
            return entry["content"]
    return None


def _sid(url: str, job: object) -> str:
    if isinstance(job, dict) and isinstance(job.get("sid"), str) and job["sid"]:
        return job["sid"]
    raise unexpected(url, "POST search/jobs", job)


def _path(collection: str, name: str) -> binding.UrlEncoded:
    return binding.UrlEncoded(collection + "/", skip_encode=True) + binding.UrlEncoded(
        name, encode_slash=True)


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _true(value: object) -> bool:
    return value in (True, 1, "1", "true", "True")


def _job_messages(content: dict) -> list[str]:
    """The job's FATAL and ERROR messages. splunkd gives them as a list of {type, text}; a
    {type: text or [texts]} mapping (the shape of the job's XML `messages` dict) is read too."""
    messages = content.get("messages") or []
    if isinstance(messages, dict):
        messages = [{"type": kind.upper(), "text": text} for kind, texts in messages.items()
                    for text in (texts if isinstance(texts, list) else [texts])]
    return [f"{m.get('type', '')} {m.get('text', '')}".strip() for m in messages
            if isinstance(m, dict) and m.get("type") in ("FATAL", "ERROR")]


def _splunk_message(exc: binding.HTTPError) -> str:
    try:
        messages = json.loads(exc.body).get("messages", [])
        detail = "; ".join(m.get("text", "") for m in messages)
    except (ValueError, AttributeError):
        detail = ""
    return f"HTTP {exc.status} {exc.reason}" + (f": {detail}" if detail else "")


def index_search(index: str, saved_search: str) -> str:
    """The server's saved search limited to `index`: `search index="X" <saved search text>`.

    The saved search starts with search terms (a macro and field terms); prefixing `index="X"`
    ANDs one more term onto them. SPL evaluates OR before AND, so `index="X" a OR b` is
    `index="X" AND (a OR b)`: the restriction holds whatever the first clause contains. A saved
    search that starts with a generating command (`| tstats ...`) cannot be limited this way.
    """
    text = saved_search.strip()
    if text.startswith("|"):
        raise ReplayError("the saved search starts with a generating command; replay can only limit "
                          "a search that starts with search terms to the test index")
    if text.lower().startswith("search "):
        text = text[len("search "):]
    return f"search index={quote(index)} {text}"
