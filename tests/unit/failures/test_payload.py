"""How raw payloads are shown to data stewards."""

from __future__ import annotations

import pytest

from spotlight_nifi.failures import migrations, payload_text, payload_view
from spotlight_nifi.failures.payload import HEX_LIMIT, TEXT_LIMIT, hex_dump


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


@pytest.mark.parametrize(("raw", "kind", "shown", "utf8"), [
    (b'{"a":[1,{"b":"\xe2\x80\xae"}]}', "json", '{\n  "a": [\n    1,\n    {\n      "b": "\\u202e"\n    }\n  ]\n}', True),
    (b"<script>x</script>", "text", "<script>x</script>", True),
    (b"not json\x1b[2J", "text", "not json\\x1b[2J", True),
    (b"\xff\x00<b>", "hex", "00000000  ff 00 3c 62 3e" + " " * 33 + "  ..<b>", False),
    (b"", "text", "", True),
])
def test_payload_view(raw: bytes, kind: str, shown: str, utf8: bool) -> None:
    view = payload_view(raw)
    assert (view.kind, view.shown, view.utf8, view.size, view.truncated) == (kind, shown, utf8, len(raw), False)


def test_a_large_payload_is_shown_only_in_part() -> None:
    text = payload_view(b'"' + b"a" * (TEXT_LIMIT * 2) + b'"')
    assert (text.kind, len(text.shown), text.truncated) == ("json", TEXT_LIMIT, True)
    binary = payload_view(b"\xff" * (HEX_LIMIT + 1))
    assert (binary.kind, binary.shown.count("\n") + 1, binary.truncated) == ("hex", HEX_LIMIT // 16, True)


def test_hex_dump_lines() -> None:
    assert hex_dump(bytes(range(0x41, 0x41 + 17))).splitlines() == [
        "00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP",
        "00000010  51" + " " * 45 + "  Q",
    ]
