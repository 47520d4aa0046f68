"""Showing a raw payload to a person: readable when it is text, never raw control bytes.

The same rules serve the terminal and the web page (where the template escapes HTML on top):
undecodable bytes are never guessed at, control and bidirectional-override characters (which can
rewrite a terminal or disguise text) are shown as escapes, and a large payload is shown only in
part, with its size, so that one 1 MB record cannot flood a screen or a page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

_KEEP = {"\n", "\t"}
TEXT_LIMIT = 64 * 1024
"""Characters of text or pretty JSON a page shows; the whole payload is a download."""
HEX_LIMIT = 16 * 1024
"""Bytes of a non-UTF-8 payload a page shows as a hex dump."""


def _escaped(text: str) -> str:
    return "".join(
        ch if ch in _KEEP or ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in text
    )


def payload_text(raw: bytes) -> tuple[str, bool]:
    """The payload as printable text, and whether it was valid UTF-8.

    Undecodable bytes become `\\xNN`; control characters (escape sequences could rewrite the
    steward's terminal) become `\\xNN` or `\\uNNNN` too. Newlines and tabs are kept.
    """
    try:
        text, valid = raw.decode("utf-8"), True
    except UnicodeDecodeError:
        text, valid = raw.decode("utf-8", errors="backslashreplace"), False
    return _escaped(text), valid


def hex_dump(raw: bytes) -> str:
    """Offset, 16 bytes in hex, and those bytes as ASCII (`.` for anything else), one line each."""
    lines = []
    for at in range(0, len(raw), 16):
        chunk = raw[at:at + 16]
        ascii_ = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{at:08x}  {chunk.hex(' '):<47}  {ascii_}")
    return "\n".join(lines)


@dataclass(frozen=True)
class PayloadView:
    """A payload as a page shows it: pretty JSON, text, or a hex dump, maybe only its start."""

    size: int
    utf8: bool
    kind: Literal["json", "text", "hex"]
    shown: str
    truncated: bool


def payload_view(raw: bytes) -> PayloadView:
    """JSON pretty-printed when it parses, else the text when it is UTF-8, else a hex dump."""
    text, utf8 = payload_text(raw)
    if not utf8:
        return PayloadView(len(raw), False, "hex", hex_dump(raw[:HEX_LIMIT]), len(raw) > HEX_LIMIT)
    try:
        shown, kind = _escaped(json.dumps(json.loads(raw), indent=2, ensure_ascii=False)), "json"
    except (ValueError, RecursionError):
        shown, kind = text, "text"
    return PayloadView(len(raw), True, kind, shown[:TEXT_LIMIT], len(shown) > TEXT_LIMIT)  # type: ignore[arg-type]
