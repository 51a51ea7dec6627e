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

from splunklib import binding, client

from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.tls import explain_tls_failure, url_parts

INDEX_TERM = re.compile(r"(?<![\w.])index\s*(=|::|\s+IN\s*\()", re.IGNORECASE)


@dataclass(frozen=True)
class SearchResult:
    """Rows of a finished job as Splunk's JSON gives them (str, list of str, or absent)."""

    sid: str
    rows: list[dict[str, object]]
    messages: list[str]


def refuse_credentials(url: str, option: str) -> None:
    """A URL with `user:password@` would put the secret in every message naming the server, so it
    is refused (without echoing it); credentials have their own flags and variables."""
    if "@" in url_parts(url).netloc:
        raise ReplayError(f"{option} must not carry credentials (user:password@): pass --username/"
                          "--password or --token, and --hec-token, or their environment variables")


def split_url(url: str) -> tuple[str, str, int]:
    """scheme, host and port of a management URL; port 8089 when none is given."""
    refuse_credentials(url, "--url")
    parts = url_parts(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ReplayError(f"{url!r} is not a management URL such as https://localhost:8089")
    return parts.scheme, parts.hostname, parts.port or 8089


class Splunkd:
    """A logged-in management connection."""

    def __init__(self, service: client.Service, url: str):
        self.service, self.url = service, url

    @classmethod
    def connect(cls, url: str, *, context: ssl.SSLContext, username: str | None = None,
                password: str | None = None, token: str | None = None) -> Splunkd:
        """Log in with a user and password (session key) or an authentication token (Bearer)."""
        scheme, host, port = split_url(url)
        if not token and not (username and password):
            raise ReplayError("no Splunk credentials: pass --username and --password (or set "
                              "$SPLUNK_USERNAME and $SPLUNK_PASSWORD), or --token ($SPLUNK_TOKEN)")
        auth = {"splunkToken": token} if token else {"username": username, "password": password}
        verify = context.verify_mode != ssl.CERT_NONE
        try:
            service = client.connect(scheme=scheme, host=host, port=port, verify=verify,
                                     context=context, autologin=False, **auth)
        except binding.AuthenticationError as exc:
            raise ReplayError(f"{url}: login failed (HTTP 401): check the user and password "
                              "(--username/--password or $SPLUNK_USERNAME/$SPLUNK_PASSWORD)") from exc
        except ssl.SSLCertVerificationError as exc:
            raise explain_tls_failure(url, exc) from exc
        except (OSError, binding.HTTPError) as exc:
            raise ReplayError(f"{url}: cannot log in: {exc}") from exc
        return cls(service, url)

    def _call(self, method: str, path, *, missing_ok: bool = False, **kwargs) -> dict | None:
        """One REST call with JSON output; None for a 404 when `missing_ok`."""
        try:
            response = getattr(self.service, method)(path, output_mode="json", **kwargs)
        except binding.HTTPError as exc:
            if exc.status == 404 and missing_ok:
                return None
            if exc.status == 401:
                raise ReplayError(f"{self.url}: not authorised (HTTP 401): the token or session "
                                  "was rejected") from exc
            raise ReplayError(f"{self.url}: {method.upper()} {path}: {_splunk_message(exc)}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise explain_tls_failure(self.url, exc) from exc
        except OSError as exc:
            raise ReplayError(f"{self.url}: {method.upper()} {path}: {exc}") from exc
        data = response.body.read()
        try:
            return json.loads(data) if data.strip() else {}
        except ValueError as exc:  # a proxy or a web page, not splunkd
            raise ReplayError(f"{self.url}: {method.upper()} {path}: the answer is not JSON "
                              f"({data[:60]!r}); is --url splunkd's management port?") from exc

    def require_app(self, app: str) -> None:
        """The app must be installed and enabled."""
        body = self._call("get", _path("apps/local", app), missing_ok=True)
        if body is None:
            raise ReplayError(f"{self.url}: app {app} is not installed: install "
                              f"dist/{app}-<version>.tar.gz (make package; make splunk-up does it)")
        content = body["entry"][0]["content"]
        if _true(content.get("disabled")):
            raise ReplayError(f"{self.url}: app {app} is installed but disabled: enable it in Apps")

    def saved_search(self, app: str, name: str) -> str:
        """The `search` attribute the server has for the saved search (local/ edits included)."""
        body = self._call("get", _path("saved/searches", name), owner="nobody", app=app, missing_ok=True)
        if body is None or not body.get("entry"):
            raise ReplayError(f"{self.url}: saved search {name!r} not found in app {app}")
        return body["entry"][0]["content"]["search"]

    def macro_definition(self, app: str, name: str) -> str | None:
        """The server's definition of a macro as the app sees it (local/ edits included)."""
        body = self._call("get", _path("configs/conf-macros", name), owner="nobody", app=app,
                          missing_ok=True)
        if body is None or not body.get("entry"):
            return None
        return body["entry"][0]["content"].get("definition")

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

    def ensure_index(self, name: str) -> bool:
        """Create the index unless it exists; True when this call created it."""
        if self._call("get", _path("data/indexes", name), missing_ok=True) is not None:
            return False
        self._call("post", "data/indexes", name=name)
        return True

    def delete_index(self, name: str) -> None:
        self._call("delete", _path("data/indexes", name))

    def search(self, spl: str, *, app: str, timeout: float, poll: float = 0.5) -> SearchResult:
        """Run `spl` over all time in a normal job, wait for it, and read every result row."""
        job = self._call("post", "search/jobs", owner="nobody", app=app, search=spl,
                         earliest_time="0", exec_mode="normal")
        sid = job["sid"]
        status = _path("search/jobs", sid)
        deadline = time.monotonic() + timeout
        try:
            while True:
                content = self._call("get", status)["entry"][0]["content"]
                if _true(content.get("isFailed")) or content.get("dispatchState") == "FAILED":
                    why = "; ".join(_job_messages(content)) or "no message"
                    raise ReplayError(f"{self.url}: search job {sid} failed: {why}; search was: {spl}")
                if _true(content.get("isDone")):
                    break
                if time.monotonic() >= deadline:
                    raise ReplayError(f"{self.url}: search job {sid} not done after {timeout:.0f} s")
                time.sleep(poll)
            results = self._call("get", status + "/results", count=0)
        finally:
            self._call("delete", status, missing_ok=True)
        messages = [m.get("text", "") for m in results.get("messages", [])]
        return SearchResult(sid, list(results.get("results", [])), messages + _job_messages(content))

    def count(self, index: str, *, app: str, timeout: float, poll: float = 0.5) -> int:
        """How many events `index` holds (over all time)."""
        rows = self.search(f"search index={_quote(index)} | stats count", app=app, timeout=timeout,
                           poll=poll).rows
        return int(rows[0]["count"]) if rows else 0


def _path(collection: str, name: str) -> binding.UrlEncoded:
    return binding.UrlEncoded(collection + "/", skip_encode=True) + binding.UrlEncoded(
        name, encode_slash=True)


def _quote(value: str) -> str:
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
    return f"search index={_quote(index)} {text}"
