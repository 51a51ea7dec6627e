"""Other apps on the server that define a macro this app's search uses, differently.

ESCU (`DA-ESS-ContentUpdate`) exports `linux_auditd`, `security_content_ctime(1)` and this
detection's filter macro under the same names. Splunk resolves a search's knowledge objects in
its app/user context: the user's directory, then the app the search runs in (local/, then
default/), then the exported settings of all other apps, then system/ (Admin Manual,
"Configuration file precedence",
https://docs.splunk.com/Documentation/Splunk/latest/Admin/Wheretofindtheconfigurationfiles).
The scheduled search runs in this app, so this app's copy is the one it uses; another app's
differing copy is worth a warning all the same: a site that customized ESCU's `linux_auditd`
(an index, another sourcetype) expects it to apply here, and it does not.

Only globally shared copies count (an app-level copy is not visible outside its app). That
`/servicesNS/-/-/configs/conf-macros` lists one entry per app holding a stanza, as splunkd does
for `saved/searches`, is UNVERIFIED against a live server; the fake in tests/replay does so.
"""

from __future__ import annotations

from linux_auditd_at.replay.splunkd import Splunkd
from linux_auditd_at.spl.macros import called_names


def differing_macros(splunkd: Splunkd, app: str, saved_search: str) -> list[str]:
    """One warning per macro the saved search uses (directly, or in its macros' definitions)
    that another app exports with a definition other than the one `app` uses."""
    warnings = []
    copies = splunkd.global_macro_copies()
    ours: dict[str, str] = {}
    seen: set[str] = set()
    pending = set(called_names(saved_search))
    while pending:  # a macro's definition may call macros of any name: follow calls to the end
        seen |= pending
        called: set[str] = set()
        for stanza in copies:
            if stanza.split("(")[0] in pending:
                definition = splunkd.macro_definition(app, stanza)
                if definition is not None:
                    ours[stanza] = definition
                    called.update(called_names(definition))
        pending = called - seen
    for stanza, definition in sorted(ours.items()):
        for other_app, other in sorted(copies[stanza].items()):
            if other_app != app and other.strip() != definition.strip():
                warnings.append(
                    f"app {other_app} also exports the macro `{stanza}` as {other!r}; {app}'s search uses "
                    f"its own definition {definition!r} (Splunk resolves a search's macros in its own app "
                    f"first). If your site relies on {other_app}'s, copy it to {app}'s local/macros.conf")
    return warnings
