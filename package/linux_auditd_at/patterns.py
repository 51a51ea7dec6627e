"""`compiled(pattern)`: a regex compiled on its first use, then kept.

For the patterns most runs never match (syslog and journal headers, `ausearch -i` stamps, eval
tokens, the terminal's control characters): a module names its pattern as text and compiles it
when a line or a search first needs it, so start-up compiles none of them. Looked up in a dict of
its own: `re.compile`'s cache costs about twice as much per call, which a per-line check pays.
"""

from __future__ import annotations

import functools
import re


@functools.cache
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
