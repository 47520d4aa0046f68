"""Detection predicates: each takes one JSON value and returns the type it proves, or None.

Only canonical spellings are detected, so the value read back from ClickHouse is the same text:
lowercase hyphenated UUIDs, dotted-quad IPv4 without leading zeros, RFC 5952 IPv6, ISO-8601 dates,
and ISO-8601 date-times in UTC (`Z`, `+00:00` or no offset) with at most 6 fractional digits.
Epoch numbers become DateTime64 only when the field name says it is a time (`EPOCH_NAME`) and the
value lies between `EPOCH_SECONDS` or `EPOCH_MILLIS`: a bare number is never taken for a time.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime, timezone
from decimal import Decimal

from spotlight_nifi.infer.types import CHType, t

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|\+00:00)?")
EPOCH_NAME = re.compile(r"(^|_)(ts|time|timestamp|date|created|updated|edited|modified|deleted)(_|$)|_at$|_utc$|_on$")
EPOCH_SECONDS = (946684800, 4102444800)  # 2000-01-01 … 2100-01-01
EPOCH_MILLIS = (EPOCH_SECONDS[0] * 1000, EPOCH_SECONDS[1] * 1000)
DATE_RANGES = {"Date": ("1970-01-01", "2149-06-06"), "Date32": ("1900-01-01", "2299-12-31")}
"""The ISO dates each ClickHouse date type holds, narrowest first."""


def uuid(value: str) -> CHType | None:
    return t("UUID") if len(value) == 36 and _UUID.fullmatch(value) else None


def ipv4(value: str) -> CHType | None:
    if not 7 <= len(value) <= 15 or not value[0].isdigit():
        return None
    try:
        return t("IPv4") if str(ipaddress.IPv4Address(value)) == value else None
    except ValueError:
        return None


def ipv6(value: str) -> CHType | None:
    if ":" not in value or len(value) > 39:
        return None
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return None
    return t("IPv6") if address.ipv4_mapped is None and str(address) == value else None


def iso_date(value: str) -> CHType | None:
    if len(value) != 10 or not _DATE.fullmatch(value):
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        return None
    return next((t(name) for name, (low, high) in DATE_RANGES.items() if low <= value <= high), None)


def iso_datetime(value: str) -> CHType | None:
    """DateTime64 with the precision the string carries (0, 3 or 6)."""
    match = _DATETIME.fullmatch(value) if 19 <= len(value) <= 32 else None
    if match is None or not "1900" <= value[:4] <= "2299":
        return None
    try:
        parse_datetime(value)
    except ValueError:
        return None
    digits = len(match.group(3) or "")
    return t("DateTime64", 0 if digits == 0 else 3 if digits <= 3 else 6, "UTC")


def parse_datetime(value: str) -> datetime:
    """An ISO-8601 UTC string as an aware datetime; ValueError when not one."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    if parsed.utcoffset() != timezone.utc.utcoffset(None):
        raise ValueError("not UTC")
    return parsed


STRING_DETECTIONS = (uuid, ipv4, ipv6, iso_date, iso_datetime)
"""Tried in order on every distinct string of a column; the first that holds for all values wins."""


def fraction_digits(value: float) -> int:
    """Digits after the point in the shortest repr of `value` (what the JSON text said)."""
    text = repr(value)
    if "e" not in text and "n" not in text:
        return len(text) - text.index(".") - 1 if text[-2:] != ".0" else 0
    exponent = Decimal(text).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 99


def epoch(name: str, lo: float, hi: float, max_fraction: int) -> CHType | None:
    """DateTime64 for numbers named like a time and inside the plausible epoch range."""
    if not EPOCH_NAME.search(name.lower()):
        return None
    if EPOCH_SECONDS[0] <= lo and hi <= EPOCH_SECONDS[1] and max_fraction <= 6:
        return t("DateTime64", 0 if max_fraction == 0 else 3 if max_fraction <= 3 else 6, "UTC")
    if EPOCH_MILLIS[0] <= lo and hi <= EPOCH_MILLIS[1] and max_fraction == 0:
        return t("DateTime64", 3, "UTC")
    return None
