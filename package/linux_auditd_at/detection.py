"""The detection as the app ships it: the correlation search and the macros it uses.

Everything that evaluates the search (run, explain, risk, backtest, tune, replay's differential
check) loads it through `load_detection`, so `local/` tuning and `--filter` apply the same way
everywhere.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from linux_auditd_at.conf import default_path, is_true, key_origin, read_layered
from linux_auditd_at.errors import ConfError, SPLError
from linux_auditd_at.lookups import LookupResolver
from linux_auditd_at.spl import Pipeline, compile_search
from linux_auditd_at.spl.lookups import Lookups
from linux_auditd_at.spl.macros import Macro, expand_macros
from linux_auditd_at.structs import Struct, replace

APP_ID = "DA-ESS-linux_auditd_at"
SEARCH_NAME = "Linux Auditd At Application Execution - Rule"
APP_DIR_ENV = "LINUX_AUDITD_AT_APP_DIR"
BY_FIELDS = ("comm", "exe", "SYSCALL", "UID", "ppid", "pid", "dest")
"""The shipped search's `stats ... by` fields (`dest` is `host` renamed): one row per distinct
combination, and a record missing any of them is dropped."""


def filter_macro_name(search_name: str) -> str:
    """ESCU's filter macro for a detection: its name without ` - Rule`, snake_cased, `_filter`."""
    return re.sub(r"[^a-z0-9]+", "_", search_name.removesuffix(" - Rule").lower()).strip("_") + "_filter"


FILTER_MACRO = filter_macro_name(SEARCH_NAME)


def macros_from_conf(stanzas: dict[str, dict[str, str]]) -> dict[str, Macro]:
    """Layered macros.conf stanzas to Macro objects keyed by stanza name (`iseval` a .conf boolean)."""
    return {
        name: Macro(
            name=name,
            definition=keys.get("definition", ""),
            args=tuple(a.strip() for a in keys.get("args", "").split(",") if a.strip()),
            iseval=is_true(keys.get("iseval")),
            description=keys.get("description", ""),
        )
        for name, keys in stanzas.items()
    }


FROM_OPTION = "from --app-dir"
FROM_ENV = f"from ${APP_DIR_ENV}"
FROM_WORKING_DIR = "found upwards from the working directory"
FROM_CHECKOUT = "the toolkit's source checkout: no app folder above the working directory"


def locate_app_dir(start: Path | None = None) -> tuple[Path, str]:
    """The app folder and where it came from: $LINUX_AUDITD_AT_APP_DIR, else the nearest folder
    holding default/savedsearches.conf upwards from `start` (the working directory), else the
    source checkout this toolkit runs from."""
    if os.environ.get(APP_DIR_ENV):
        return Path(os.environ[APP_DIR_ENV]), FROM_ENV
    searches = ((start or Path.cwd(), FROM_WORKING_DIR), (Path(__file__).resolve().parent, FROM_CHECKOUT))
    for origin, source in searches:
        for folder in (origin, *origin.parents):
            if default_path(folder, "savedsearches").is_file():
                return folder, source
    raise ConfError("no app folder with default/savedsearches.conf found; "
                    f"pass --app-dir or set {APP_DIR_ENV}")


def app_dir_or_found(app_dir: Path | None = None) -> Path:
    """`app_dir` (the --app-dir option) or else the one `locate_app_dir` finds, checked to be an
    app folder, so every verb says the same thing, and where the folder came from, when it is not."""
    app_dir, source = (app_dir, FROM_OPTION) if app_dir else locate_app_dir()
    if not default_path(app_dir, "savedsearches").is_file():
        raise ConfError(f"not an app folder ({source}): it has no default/savedsearches.conf",
                        path=str(app_dir))
    return app_dir


class Detection(Struct):
    """The saved search stanza (layered), the app's macros (layered) and its lookup tables
    (`lookups.LookupResolver`; copies made by `with_filter` share it, so each file is read once)."""

    app_dir: Path
    name: str
    settings: dict[str, str]
    macros: dict[str, Macro]
    lookups: Lookups | None = None

    @property
    def search(self) -> str:
        """The search as written in savedsearches.conf, macros unexpanded."""
        return self.settings["search"]

    @property
    def filter_macro(self) -> str:
        """The stanza of this search's filter macro (ESCU names it after the search)."""
        return filter_macro_name(self.name)

    def expanded_search(self) -> str:
        """The SPL Splunk would run, every macro expanded."""
        return expand_macros(self.search, self.macros)

    def compile(self, spl: str | None = None) -> Pipeline:
        """The expanded search (or `spl`, already expanded) compiled with the app's lookups."""
        return compile_search(self.expanded_search() if spl is None else spl, self.lookups)

    def with_filter(self, definition: str) -> Detection:
        """A copy whose filter macro is `definition`, to try a tuning without saving it."""
        key = self.filter_macro
        if key not in self.macros:
            raise ConfError("filter macro is not defined", path=str(default_path(self.app_dir, "macros")),
                            stanza=key)
        error = self.filter_error(definition)
        if error is not None:
            raise type(error)(f"--filter: {error.message}", spl=error.spl, position=error.position)
        macros = dict(self.macros)
        macros[key] = replace(macros[key], definition=definition)
        return replace(self, macros=macros)

    def filter_error(self, definition: str) -> SPLError | None:
        """Why `definition` is not SPL the engine runs where the search calls its filter macro
        (after a `|`), positioned in the definition (macros in it expanded) rather than in the
        whole search; None when it compiles. A lookup it names that cannot be read is a ConfError,
        raised."""
        try:
            expanded = expand_macros(definition, self.macros)
            self.compile(AFTER_A_PIPE + expanded)
        except SPLError as exc:
            if exc.position is None or exc.position < len(AFTER_A_PIPE):
                return exc
            return type(exc)(exc.message, spl=expanded, position=exc.position - len(AFTER_A_PIPE))
        return None


AFTER_A_PIPE = "search * | "
"""What precedes the filter macro's text where the search calls it, for parsing it alone."""


def load_detection(app_dir: Path | None = None, *, name: str = SEARCH_NAME,
                   filter_definition: str | None = None, lookup_dirs: tuple[Path, ...] = ()) -> Detection:
    """Read the saved search `name` and the macros, `local/` over `default/`; lookups are looked
    for in `lookup_dirs` (--lookups), then the app's lookups/ (see `lookups`)."""
    app_dir = app_dir_or_found(app_dir)
    saved_searches = default_path(app_dir, "savedsearches")
    searches = read_layered(app_dir, "savedsearches")
    if name not in searches:
        raise ConfError("saved search not found", path=str(saved_searches), stanza=name)
    settings = searches[name]
    if not settings.get("search", "").strip():
        raise ConfError("saved search has no search", stanza=name, key="search",
                        path=str(key_origin(app_dir, "savedsearches", name, "search")))
    detection = Detection(app_dir, name, settings, macros_from_conf(read_layered(app_dir, "macros")),
                          LookupResolver(app_dir, lookup_dirs))
    return detection if filter_definition is None else detection.with_filter(filter_definition)
