"""Showing a raw payload on a terminal: readable when it is text, never raw control bytes."""

from __future__ import annotations

_KEEP = {"\n", "\t"}


def payload_text(raw: bytes) -> tuple[str, bool]:
    """The payload as printable text, and whether it was valid UTF-8.

    Undecodable bytes become `\\xNN`; control characters (escape sequences could rewrite the
    steward's terminal) become `\\xNN` or `\\uNNNN` too. Newlines and tabs are kept.
    """
    try:
        text, valid = raw.decode("utf-8"), True
    except UnicodeDecodeError:
        text, valid = raw.decode("utf-8", errors="backslashreplace"), False
    safe = "".join(
        ch if ch in _KEEP or ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in text
    )
    return safe, valid
