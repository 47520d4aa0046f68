"""How raw payloads are shown to data stewards."""

from __future__ import annotations

import pytest

from spotlight_nifi.failures import migrations, payload_text


@pytest.mark.parametrize(
    ("raw", "text", "valid"),
    [
        (b'{"id": 1}', '{"id": 1}', True),
        ("héllo\n\tok".encode(), "héllo\n\tok", True),
        (b"\xff\xfeab", "\\xff\\xfeab", False),
        (b"\x1b[2Jwipe", "\\x1b[2Jwipe", True),
        (b"nul\x00", "nul\\x00", True),
        ("\u202eevil".encode(), "\\u202eevil", True),
        (b"", "", True),
    ],
)
def test_payload_text(raw: bytes, text: str, valid: bool) -> None:
    assert payload_text(raw) == (text, valid)


def test_migrations_are_numbered_in_order() -> None:
    found = migrations()
    assert [m.version for m in found] == [f"{n:04d}" for n in range(1, len(found) + 1)]
    assert found[0].name == "0001_failures.sql"
