"""Type parsing and the widening lattice."""

from __future__ import annotations

import pytest

from spotlight_nifi.infer.types import integer_type, nullable, parse_type, widening

TYPES = ["UInt8", "Nullable(Int64)", "LowCardinality(Nullable(String))", "Array(Array(Nullable(UInt8)))",
         "DateTime64(3, 'UTC')", "Decimal(76, 0)", "Variant(Array(String))", "Map(String, Array(UInt8))"]


@pytest.mark.parametrize("text", TYPES)
def test_parse_renders_back(text: str) -> None:
    assert str(parse_type(text)) == text


@pytest.mark.parametrize("text", ["", "Array(", "UInt8)", "Array(UInt8) x", "1"])
def test_parse_refuses_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="cannot parse ClickHouse type"):
        parse_type(text)


WIDENINGS = [
    ("UInt8", "UInt16", None),
    ("UInt8", "Int16", None),
    ("Int8", "UInt16", "Int8 → UInt16 is not a safe widening"),
    ("UInt64", "Int64", "UInt64 → Int64 is not a safe widening"),
    ("Int32", "Float64", None),
    ("Int64", "Float64", "Int64 → Float64 is not a safe widening"),
    ("UInt16", "UInt8", "UInt16 → UInt8 is not a safe widening"),
    ("UInt8", "Nullable(UInt16)", None),
    ("Nullable(UInt8)", "UInt16", "Nullable(UInt8) → UInt16 would drop NULLs"),
    ("LowCardinality(String)", "String", None),
    ("DateTime64(0, 'UTC')", "DateTime64(3, 'UTC')", None),
    ("DateTime64(6, 'UTC')", "DateTime64(3, 'UTC')", "DateTime64(6, 'UTC') → DateTime64(3, 'UTC') would truncate sub-seconds"),
    ("Date", "DateTime64(0, 'UTC')", None),
    ("Array(UInt8)", "Array(Int32)", None),
    ("Array(UInt8)", "Variant(Array(UInt8))", None),
    ("UUID", "String", None),
    ("String", "UUID", "String → UUID is not a safe widening"),
    ("Bool", "UInt8", "Bool → UInt8 is not a safe widening"),
    ("Float64", "String", "Float64 → String is not a safe widening"),
]


@pytest.mark.parametrize(("old", "new", "reason"), WIDENINGS, ids=[f"{o}->{n}" for o, n, _ in WIDENINGS])
def test_widening(old: str, new: str, reason: str | None) -> None:
    assert widening(parse_type(old), parse_type(new)) == reason


def test_nullable_wraps_where_clickhouse_allows() -> None:
    assert [str(nullable(parse_type(t))) for t in ("UInt8", "Array(UInt8)", "LowCardinality(String)", "Nullable(UInt8)")] == [
        "Nullable(UInt8)", "Variant(Array(UInt8))", "LowCardinality(Nullable(String))", "Nullable(UInt8)"]


@pytest.mark.parametrize(("lo", "hi", "expected"), [(0, 15, "UInt8"), (0, 16, "UInt16"), (-8, 7, "Int8"),
                                                    (0, 2**64 - 1, "UInt64"), (0, 2**64, "UInt128")])
def test_integer_type(lo: int, hi: int, expected: str) -> None:
    assert str(integer_type(lo, hi)) == expected
