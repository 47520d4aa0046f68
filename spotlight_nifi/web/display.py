"""How values read on the page: times in UTC, where a record came from, short safe previews.

Every function returns plain text; the templates escape it (autoescape), so nothing a record
holds is ever markup.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask

from spotlight_nifi.failures.payload import payload_text
from spotlight_nifi.ingest.batch import HTTP_TOPIC_PREFIX

PREVIEW_CHARS = 80
_UNITS = ("bytes", "KiB", "MiB", "GiB")


def when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def source(topic: str | None, partition: int | None, offset: int | None) -> str:
    """Kafka coordinates, or the HTTP batch and line, or that it is unknown."""
    if topic is None:
        return "not from Kafka (coordinates unknown)"
    if topic.startswith(HTTP_TOPIC_PREFIX):
        line = "?" if offset is None else offset + 1
        return f"HTTP batch {topic[len(HTTP_TOPIC_PREFIX):]}, record {line}"
    return f"{topic} · partition {'?' if partition is None else partition} · offset {'?' if offset is None else offset}"


def preview(raw: bytes | None) -> str:
    """The start of a payload on one line, control characters escaped."""
    if raw is None:
        return ""
    text = payload_text(raw)[0].replace("\n", "\\n").replace("\t", "\\t")
    return text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else "")


def size(count: int) -> str:
    value, unit = float(count), 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return f"{count} bytes" if unit == 0 else f"{value:.1f} {_UNITS[unit]}"


def install(app: Flask) -> None:
    app.jinja_env.filters.update(when=when, preview=preview, size=size)
    app.jinja_env.globals["source"] = source
