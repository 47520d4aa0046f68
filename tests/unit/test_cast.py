"""The caster: every value fits exactly or the record is rejected with one reason."""

from __future__ import annotations

import subprocess
import sys

from datetime import date, datetime, timezone
from decimal import Decimal
from ipaddress import IPv4Address
from typing import Any
from uuid import UUID

import pytest

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.errors import RecordCastError
from spotlight_nifi.infer.types import Column, parse_type

UTC = timezone.utc


def caster(type_text: str, *, json_text: bool = False) -> Any:
    return compile_caster([Column("c", parse_type(type_text), ("c",), json_text)])


FITS = [
    ("UInt8", 255, 255),
    ("Int8", -128, -128),
    ("UInt64", 2**64 - 1, 2**64 - 1),
    ("Int128", -(2**127), -(2**127)),
    ("Float64", 2**53, float(2**53)),
    ("Float64", 1.5, 1.5),
    ("Decimal(5, 2)", 123.45, Decimal("123.45")),
    ("Decimal(5, 2)", 7, Decimal("7.00")),
    ("Bool", True, True),
    ("String", "x", "x"),
    ("LowCardinality(String)", "x", "x"),
    ("Nullable(UInt8)", None, None),
    ("UUID", "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d", UUID("8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d")),
    ("IPv4", "10.0.0.1", IPv4Address("10.0.0.1")),
    ("Date", "2024-02-29", date(2024, 2, 29)),
    ("DateTime64(3, 'UTC')", "2024-01-01T00:00:00.5Z", datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
    ("DateTime64(3, 'UTC')", 1609459200.5, datetime(2021, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
    ("DateTime64(3, 'UTC')", 1609459200123, datetime(2021, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)),
    ("Array(Nullable(UInt8))", [1, None], [1, None]),
    ("Variant(Array(UInt8))", None, None),
]


@pytest.mark.parametrize(("type_text", "value", "expected"), FITS, ids=[f"{t} {v!r}" for t, v, _ in FITS])
def test_values_that_fit(type_text: str, value: Any, expected: Any) -> None:
    assert caster(type_text).cast({"c": value}) == (expected,)


MISFITS = [
    ("UInt8", 256, "field `c` 256 is outside UInt8 [0, 255] (column `c` UInt8)"),
    ("UInt8", -1, "field `c` -1 is outside UInt8 [0, 255] (column `c` UInt8)"),
    ("Int64", 2**63, "field `c` 9223372036854775808 is outside Int64 [-9223372036854775808, 9223372036854775807] (column `c` Int64)"),
    ("UInt8", True, "field `c` is a boolean, not an integer (column `c` UInt8)"),
    ("UInt8", 1.0, "field `c` is a number, not an integer (column `c` UInt8)"),
    ("Bool", 1609459200.5, "field `c` is a number, not a boolean (column `c` Bool)"),
    ("Bool", 0, "field `c` is an integer, not a boolean (column `c` Bool)"),
    ("Float64", 2**53 + 1, "field `c` is an integer, not a number exact in Float64 (column `c` Float64)"),
    ("Decimal(5, 2)", 1.125, "field `c` 1.125 does not fit Decimal(5, 2) (column `c` Decimal(5, 2))"),
    ("Decimal(5, 2)", 1234.5, "field `c` 1234.5 does not fit Decimal(5, 2) (column `c` Decimal(5, 2))"),
    ("String", 5, "field `c` is an integer, not a string (column `c` String)"),
    ("UInt8", None, "field `c` is null and column `c` is not Nullable"),
    ("UUID", "8A7D0B2E-1C9F-4C6A-9D8B-3E2F1A0B9C7D",
     'field `c` "8A7D0B2E-1C9F-4C6A-9D8B-3E2F1A0B9C7D" is not a lowercase UUID (column `c` UUID)'),
    ("Date", "1969-12-31", 'field `c` "1969-12-31" is not an ISO date within Date (column `c` Date)'),
    ("DateTime64(0, 'UTC')", "2024-01-01T00:00:00.5Z",
     'field `c` "2024-01-01T00:00:00.5Z" is not an ISO-8601 UTC time with at most 0 fractional digits '
     "(column `c` DateTime64(0, 'UTC'))"),
    ("DateTime64(3, 'UTC')", 12, "field `c` 12 is not an ISO-8601 UTC time or an epoch in seconds/milliseconds "
     "(column `c` DateTime64(3, 'UTC'))"),
    ("Array(UInt8)", [1, 300], "field `c` 300 is outside UInt8 [0, 255] (column `c` Array(UInt8))"),
    ("Array(UInt8)", None, "field `c` is null and column `c` is not Nullable"),
]


@pytest.mark.parametrize(("type_text", "value", "reason"), MISFITS, ids=[f"{t} {v!r}" for t, v, _ in MISFITS])
def test_values_that_do_not_fit(type_text: str, value: Any, reason: str) -> None:
    with pytest.raises(RecordCastError) as error:
        caster(type_text).cast({"c": value})
    assert error.value.reason == reason


def test_json_text_keeps_kinds_apart() -> None:
    cast = caster("String", json_text=True)
    assert [cast.cast({"c": v})[0] for v in (5, "5", True, {"a": [1]}, 2**70)] == ["5", '"5"', "true", '{"a":[1]}', str(2**70)]


def test_nested_records_map_to_their_columns_by_path() -> None:
    columns = [Column("a__b", parse_type("UInt8"), ("a", "b")), Column("a_b", parse_type("Nullable(String)"), ("a.b",))]
    cast = compile_caster(columns)
    assert cast.cast({"a": {"b": 1}, "a.b": "x"}) == (1, "x")
    assert cast.cast({"a": {"b": 2}}) == (2, None)


RECORD_MISFITS = [
    ({"a": {"b": 1}, "z": 1}, "field `z` has no column"),
    ({"a": {"b": 1, "c": 2}}, "field `a.c` has no column"),
    ({"a": "x"}, "field `a` is a string, but its columns expect an object"),
    ({}, "field `a.b` is missing and column `a__b` is not Nullable"),
    ({"a": None}, "field `a.b` is missing and column `a__b` is not Nullable"),
    ([1], "record is an array, not an object"),
]


@pytest.mark.parametrize(("record", "reason"), RECORD_MISFITS, ids=[r for _, r in RECORD_MISFITS])
def test_records_that_do_not_fit(record: Any, reason: str) -> None:
    cast = compile_caster([Column("a__b", parse_type("UInt8"), ("a", "b"))])
    with pytest.raises(RecordCastError) as error:
        cast.cast(record)
    assert error.value.reason == reason


def test_unsupported_types_are_refused_when_compiling() -> None:
    with pytest.raises(ValueError, match=r"the caster cannot write ClickHouse type Map\(String, UInt8\)"):
        caster("Map(String, UInt8)")


def test_colliding_paths_are_refused_when_compiling() -> None:
    with pytest.raises(ValueError, match="is already another column"):
        compile_caster([Column("a", parse_type("UInt8"), ("a",)), Column("b", parse_type("UInt8"), ("a",))])


def test_the_caster_imports_without_clickhouse_clients() -> None:
    code = "import sys, spotlight_nifi.cast; print(sorted(m for m in ('chdb', 'clickhouse_connect') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
