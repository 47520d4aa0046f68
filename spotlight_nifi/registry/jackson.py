"""JSON text laid out the way NiFi's Git flow registry clients write a flow file.

NiFi serializes snapshots with Jackson's default pretty printer (`"key" : value`, two-space
indent for objects, `[ a, b ]` arrays, `{ }` and `[ ]` when empty, no trailing newline). Writing
the same layout means a version NiFi commits on top of ours shows only what really changed.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    """`value` as Jackson's `INDENT_OUTPUT` writes it; `None` members are left out (NON_NULL)."""
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out)


def _write(value: Any, level: int, out: list[str]) -> None:
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if v is not None]
        if not items:
            out.append("{ }")
            return
        out.append("{")
        for index, (key, item) in enumerate(items):
            out.append(("," if index else "") + "\n" + "  " * (level + 1) + json.dumps(key, ensure_ascii=False) + " : ")
            _write(item, level + 1, out)
        out.append("\n" + "  " * level + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[ ]")
            return
        out.append("[ ")
        for index, item in enumerate(value):
            out.append(", " if index else "")
            _write(item, level, out)
        out.append(" ]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))
