"""Search macros: `name` and `name(a,b)` resolved against macros.conf stanzas `[name]`/`[name(2)]`.

OWNER: SPL engine helper. Interface below is fixed; implement expand_macros.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Macro:
    """One macros.conf stanza. `name` is the stanza name, e.g. `security_content_ctime(1)`."""

    name: str
    definition: str
    args: tuple[str, ...] = ()
    iseval: bool = False
    description: str = ""


def macros_from_conf(stanzas: dict[str, dict[str, str]]) -> dict[str, Macro]:
    """Layered macros.conf stanzas to Macro objects keyed by stanza name."""
    return {
        name: Macro(
            name=name,
            definition=keys.get("definition", ""),
            args=tuple(a.strip() for a in keys.get("args", "").split(",") if a.strip()),
            iseval=keys.get("iseval", "false").strip().lower() in ("1", "true", "t", "yes", "y"),
            description=keys.get("description", ""),
        )
        for name, keys in stanzas.items()
    }


def expand_macros(spl: str, macros: dict[str, Macro]) -> str:
    """Expand every macro (nested), leaving backticks inside quoted strings alone.

    Raises SPLError naming the macro and its position when it is undefined or called with the
    wrong number of arguments.
    """
    raise NotImplementedError
