"""The one TLS setting both connections use, so management and HEC verify the same way.

Verification is on by default against the system trust store; `ca_file` trusts a private CA
(Splunk's default certificates are signed by its own CA, shipped as `cacert.pem`); `insecure`
turns verification off and is only ever the user's explicit choice. A URL without a scheme is
https, for both connections alike.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from linux_auditd_at.replay import ReplayError


def url_parts(url: str) -> SplitResult:
    """A --url or --hec-url split into its parts, https when it names no scheme."""
    return urlsplit(url if "://" in url else f"https://{url}")


def checked_url(url: str, option: str, default_port: int) -> tuple[str, str, int]:
    """scheme, host and port of a --url or --hec-url, or a ReplayError naming the option. A URL
    with `user:password@` is refused without being echoed: the secret would otherwise show in every
    message naming the server (credentials have their own flags and variables)."""
    if "@" in url.split("://", 1)[-1].partition("/")[0]:
        raise ReplayError(f"{option} must not carry credentials (user:password@): pass --username/"
                          "--password or --token, and --hec-token, or their environment variables")
    try:
        parts = url_parts(url)
        port = parts.port or default_port
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", ...
        raise ReplayError(f"{option} {url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ReplayError(f"{option} {url!r} is not a URL such as https://localhost:{default_port}")
    return parts.scheme, parts.hostname, port


def ssl_context(ca_file: Path | None = None, insecure: bool = False) -> ssl.SSLContext:
    """A client context: verifying (optionally against `ca_file`) unless `insecure`."""
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ReplayError(f"{ca_file}: cannot load CA file: {exc}") from exc


def explain_tls_failure(url: str, exc: BaseException) -> ReplayError:
    """The message for a certificate that does not verify, saying what to do about it."""
    return ReplayError(f"{url}: TLS certificate verification failed ({exc}); pass --ca-file with the "
                       "CA that signed the server's certificate (or --insecure to skip verification)")
