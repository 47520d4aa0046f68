"""Safe column names from JSON paths, and identifier quoting.

A name is the path's keys joined with `__`, with control characters, dots and backticks replaced
by `_` (dots would make ClickHouse treat the column as part of a Nested structure), empty keys
spelled `_`, and truncated to `MAX_NAME` characters. Names equal after this normalisation (or
equal ignoring case, which confuses users and some clients) get `_2`, `_3`… in first-seen order.
The exact path is kept in the column comment, so normalisation never loses where a value came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SEPARATOR = "__"
MAX_NAME = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f.`\\'\"]")


def column_name(path: Sequence[str]) -> str:
    """The normalised name of one path (before de-duplication)."""
    name = SEPARATOR.join(_UNSAFE.sub("_", key) or "_" for key in path)
    return name[:MAX_NAME]


def column_names(paths: Sequence[Sequence[str]], taken: Sequence[str] = ()) -> list[str]:
    """One unique name per path, avoiding the names in `taken` (case-insensitively)."""
    used = {name.lower() for name in taken}
    names = []
    for path in paths:
        base = column_name(path)
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name.lower())
        names.append(name)
    return names


_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"})


def _quoted(text: str, mark: str) -> str:
    return mark + text.translate(_ESCAPES).replace(mark, "\\" + mark) + mark


def quote(identifier: str) -> str:
    """A backquoted ClickHouse identifier; any string is safe inside."""
    return _quoted(identifier, "`")


def literal(text: str) -> str:
    """A single-quoted ClickHouse string literal."""
    return _quoted(text, "'")
