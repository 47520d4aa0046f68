"""How values read on the stewards' page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from spotlight_nifi.web.display import preview, size, source, when


@pytest.mark.parametrize(("topic", "partition", "offset", "text"), [
    ("orders", 2, 41, "orders · partition 2 · offset 41"),
    ("http:batch-7", 0, 0, "HTTP batch batch-7, record 1"),
    ("orders", 1, None, "orders · partition 1 · offset ?"),
    (None, None, None, "not from Kafka (coordinates unknown)"),
])
def test_source(topic: str | None, partition: int | None, offset: int | None, text: str) -> None:
    assert source(topic, partition, offset) == text


@pytest.mark.parametrize(("raw", "text"), [
    (b'{"id": 1}\n', '{"id": 1}\\n'),
    (b"\xff\x1b[2J", "\\xff\\x1b[2J"),
    (b"a" * 100, "a" * 80 + "…"),
    (None, ""),
])
def test_preview(raw: bytes | None, text: str) -> None:
    assert preview(raw) == text


@pytest.mark.parametrize(("count", "text"), [(0, "0 bytes"), (1023, "1023 bytes"), (1024 * 1024 + 10, "1.0 MiB")])
def test_size(count: int, text: str) -> None:
    assert size(count) == text


def test_when_is_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert when(datetime(2026, 3, 1, 13, 0, 5, tzinfo=paris)) == "2026-03-01 12:00:05 UTC"
    assert when(None) == ""
