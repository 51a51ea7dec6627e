"""One HTTP exchange with a deadline and a size limit, for the management port and HEC alike.

A socket timeout alone does not bound a request: a server that sends one byte every few seconds
resets it on every byte. So each request gets a deadline `timeout` seconds after it starts
(connecting, TLS, sending, status line, headers and body together); a watchdog shuts the socket
down when it passes, and the request fails with "no complete answer within N s". A body longer than
`limit` bytes is not read further. Plain http and https are both supported (https verifies as the
shared `ssl.SSLContext` says); every failure is a `TransportError` carrying a one-line message.

`SDKHandler` plugs the same function into splunk-sdk (its `handler` argument), so the
management connection gets the deadline too.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.tls import explain_tls_failure

MAX_BODY = 64 * 1024 * 1024  # a search's results; HEC answers are tiny
EXCERPT = 120


class TransportError(ReplayError):
    """No usable answer: unreachable, timed out, cut off or too large."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def excerpt(data: object) -> str:
    """A bounded, printable quote of what a server sent: its bytes, or an answer already parsed
    from JSON (shown as JSON)."""
    if not isinstance(data, bytes):
        data = json.dumps(data).encode()
    shown = repr(data[:EXCERPT])
    return shown + (f" ... ({len(data)} bytes)" if len(data) > EXCERPT else "")


def request(method: str, url: str, *, context: ssl.SSLContext, timeout: float, body: bytes = b"",
            headers: dict[str, str] | None = None, limit: int | None = None) -> Response:
    """Send one request and read the whole answer (at most `limit` bytes, MAX_BODY unless given)
    within `timeout` seconds."""
    limit = MAX_BODY if limit is None else limit
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    url = parts._replace(query="").geturl()  # messages name the endpoint, not its parameters
    if not parts.hostname:
        raise TransportError(f"{url}: the URL names no host")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                 context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        if connection.sock is not None:
            try:  # the plain socket's shutdown: a blocked TLS read then sees the connection end
                socket.socket.shutdown(connection.sock, socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(timeout, cut)
    watchdog.daemon = True
    watchdog.start()
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read(limit + 1)
    except ssl.SSLCertVerificationError as exc:
        raise explain_tls_failure(url, exc) from exc
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set() or time.monotonic() - started >= timeout:
            raise TransportError(f"{url}: no complete answer within {timeout:g} s (--timeout)") from exc
        raise TransportError(f"{url}: {_describe(exc)}") from exc
    finally:
        watchdog.cancel()
        connection.close()
    if expired.is_set():
        raise TransportError(f"{url}: no complete answer within {timeout:g} s (--timeout)")
    if len(data) > limit:
        raise TransportError(f"{url}: the answer is larger than {limit} bytes: {excerpt(data)}")
    return Response(response.status, response.reason, response.getheaders(), data)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected | http.client.IncompleteRead):
        return f"the server closed the connection without a complete answer ({exc})"
    if isinstance(exc, http.client.BadStatusLine):
        return f"the answer is not HTTP: {exc}"
    return str(exc) or type(exc).__name__


class SDKHandler:
    """A splunk-sdk `handler`: `request` with its deadline, in the shape splunk-sdk expects. Its
    `last_body` is the latest answer's body, for quoting an answer splunk-sdk could not parse."""

    def __init__(self, context: ssl.SSLContext, timeout: float):
        self.context, self.timeout = context, timeout
        self.last_body = b""

    def __call__(self, url: str, message: Mapping[str, Any], **_kwargs: object) -> dict[str, object]:
        body = message.get("body", "")
        body = body.encode() if isinstance(body, str) else body
        headers = {"Content-Length": str(len(body)), "Accept": "*/*", "Connection": "Close",
                   **dict(message["headers"])}
        answer = request(message.get("method", "GET"), url, context=self.context,
                         timeout=self.timeout, body=body, headers=headers)
        self.last_body = answer.body
        return {"status": answer.status, "reason": answer.reason, "headers": answer.headers,
                "body": io.BytesIO(answer.body)}
