"""The app's .conf files as Splunk sees them: `default/` layered with `local/`, attribute by attribute.

Parsing is ksconf's (the same line rules as splunkd: continuation lines, comments, the global
stanza). Layering is done here once, for every caller: a `local/` stanza that sets one key keeps
every other key from `default/`, and keys of a `[default]` stanza apply to every stanza that does
not set them.
"""

from __future__ import annotations

from pathlib import Path

from ksconf.conf.parser import (
    GLOBAL_STANZA,
    PARSECONF_STRICT_NC,
    ConfParserException,
    DuplicateKeyException,
    DuplicateStanzaException,
    parse_conf,
)

from linux_auditd_at.errors import ConfError

Stanzas = dict[str, dict[str, str]]

LAYERS = ("default", "local")
TRUE_VALUES = ("1", "true", "t", "yes", "y")


def is_true(value: str | None) -> bool:
    """A .conf boolean (`action.risk`, `enableSched`, `iseval`): 1, true, t, yes or y in any case,
    spaces around ignored; anything else, and a key that is not set, is false."""
    return value is not None and value.strip().lower() in TRUE_VALUES


def read_conf_file(path: Path) -> Stanzas:
    """One .conf file, strictly parsed, comments dropped; a syntax error names the file."""
    try:
        stanzas = parse_conf(str(path), profile=PARSECONF_STRICT_NC)
    except (ConfParserException, DuplicateKeyException, DuplicateStanzaException) as exc:
        raise ConfError(str(exc), path=str(path)) from exc
    except OSError as exc:
        raise ConfError(exc.strerror or str(exc), path=str(path)) from exc
    global_keys = stanzas.pop(GLOBAL_STANZA, {})
    if global_keys:
        stanzas.setdefault("default", {}).update(global_keys)
    return stanzas


def default_path(app_dir: Path, name: str) -> Path:
    """The app's own `default/<name>.conf` (what a finding names when no `local/` file sets the key)."""
    return app_dir / "default" / f"{name}.conf"


def layer_paths(app_dir: Path, name: str) -> list[Path]:
    """The files Splunk would read for `name`.conf in this app, lowest precedence first (one that
    exists but cannot be read is kept, so reading it fails loudly instead of being skipped)."""
    return [p for p in (app_dir / layer / f"{name}.conf" for layer in LAYERS) if p.exists()]


def read_layered(app_dir: Path, name: str) -> Stanzas:
    """`name`.conf with `local/` over `default/`, and `[default]` keys inherited by every stanza."""
    merged: Stanzas = {}
    for path in layer_paths(app_dir, name):
        for stanza, keys in read_conf_file(path).items():
            merged.setdefault(stanza, {}).update(keys)
    inherited = merged.pop("default", {})
    return {stanza: {**inherited, **keys} for stanza, keys in merged.items()}


def key_origin(app_dir: Path, conf: str, stanza: str, key: str) -> Path:
    """The file whose value Splunk uses for `key`: the last layer that sets it (default/ if none does)."""
    origin = default_path(app_dir, conf)
    for path in layer_paths(app_dir, conf):
        stanzas = read_conf_file(path)
        if key in stanzas.get(stanza, {}) or key in stanzas.get("default", {}):
            origin = path
    return origin
