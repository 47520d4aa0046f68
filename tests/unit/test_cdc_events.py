"""Debezium change events (after ExtractNewRecordState) → ClickHouse rows through the caster, exactly."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.cdc import table as cdc_table
from spotlight_nifi.cdc.events import EventConverter
from spotlight_nifi.cdc.source import SourceColumn, SourceTable
from spotlight_nifi.cdc.types import SourceType
from spotlight_nifi.errors import RecordCastError

NUMERIC_12_2 = (12 << 16 | 2) + 4
TABLE = SourceTable("public", "orders", (
    SourceColumn("id", SourceType("int8", "bigint"), True),
    SourceColumn("amount", SourceType("numeric", "numeric(12,2)", NUMERIC_12_2), True),
    SourceColumn("exact", SourceType("numeric", "numeric"), False),
    SourceColumn("born", SourceType("date", "date"), False),
    SourceColumn("at", SourceType("timestamp", "timestamp without time zone"), True),
    SourceColumn("at_ms", SourceType("timestamp", "timestamp(3) without time zone", 3), False),
    SourceColumn("seen", SourceType("timestamptz", "timestamp with time zone"), False),
    SourceColumn("ref", SourceType("uuid", "uuid"), False),
    SourceColumn("days", SourceType("date", "date[]", array=True), False),
    SourceColumn("tags", SourceType("text", "text[]", array=True), True),
    SourceColumn("mood", SourceType("mood", "mood", enum=True), True),
    SourceColumn("doc", SourceType("jsonb", "jsonb"), False),
    SourceColumn("ok", SourceType("bool", "boolean"), True),
    SourceColumn("note", SourceType("text", "text"), False),
    SourceColumn("big", SourceType("numeric", "numeric(20,4)", (20 << 16 | 4) + 4), False),
), ("id",))
COLUMNS = cdc_table.columns(TABLE)
NAMES = [c.name for c in COLUMNS]


def event(**values: Any) -> dict[str, Any]:
    base = {"id": 7, "amount": "1234.50", "exact": "3.14159265358979323846", "born": 19000,
            "at": 1_700_000_000_123_456, "at_ms": 1_700_000_000_123, "seen": "2024-03-01T10:20:30.5Z",
            "ref": "0e0b9c8e-0c4b-4f43-9a43-7b7b8f0e2a11", "days": [0, None], "tags": ["a", None],
            "mood": "happy", "doc": '{"a": [1, 2]}', "ok": True, "note": None,
            "big": "123456789.0001", "__lsn": 24_023_128, "__op": "u", "__deleted": "false"}
    return {**base, **values}


def row(values: dict[str, Any]) -> dict[str, Any]:
    converted = EventConverter.build(TABLE).record(values)
    return dict(zip(NAMES, compile_caster(COLUMNS).cast(converted)))


def test_every_encoding_lands_as_the_exact_value() -> None:
    assert row(event()) == {
        "id": 7, "amount": Decimal("1234.50"), "exact": "3.14159265358979323846", "born": date(2022, 1, 8),
        "at": datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=timezone.utc),
        "at_ms": datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc),
        "seen": datetime(2024, 3, 1, 10, 20, 30, 500000, tzinfo=timezone.utc),
        "ref": UUID("0e0b9c8e-0c4b-4f43-9a43-7b7b8f0e2a11"), "days": [date(1970, 1, 1), None], "tags": ["a", None],
        "mood": "happy", "doc": '{"a": [1, 2]}', "ok": True, "note": None, "big": Decimal("123456789.0001"),
        "_version": 24_023_128, "_is_deleted": 0}


@pytest.mark.parametrize(("zoned", "utc"), [
    ("2024-03-01T10:20:30Z", datetime(2024, 3, 1, 10, 20, 30, tzinfo=timezone.utc)),
    ("2024-03-01T12:20:30.000001+02:00", datetime(2024, 3, 1, 10, 20, 30, 1, tzinfo=timezone.utc)),
    ("1969-12-31T23:59:59.999999Z", datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)),
])
def test_a_zoned_timestamp_is_read_in_utc(zoned: str, utc: datetime) -> None:
    assert row(event(seen=zoned))["seen"] == utc


def test_times_before_1970_and_integral_decimals_convert() -> None:
    found = row(event(at=-1, born=-1, amount="12"))
    assert (found["at"], found["born"], found["amount"]) == (
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc), date(1969, 12, 31), Decimal("12.00"))


def test_a_decimal_keeps_every_digit_postgresql_sent() -> None:
    assert row(event(big="1234567890123456.7891"))["big"] == Decimal("1234567890123456.7891")


def test_a_delete_keeps_the_key_and_fills_what_postgresql_did_not_send() -> None:
    deleted = {"id": 7, **{name: None for name in NAMES[1:-2]}, "__lsn": 99, "__op": "d", "__deleted": "true"}
    found = row(deleted)
    assert (found["id"], found["_version"], found["_is_deleted"], found["amount"], found["tags"], found["born"]) == (
        7, 99, 1, Decimal("0"), [], None)


@pytest.mark.parametrize(("values", "reason"), [
    ({"amount": "12345678901.123"}, "field `amount` 12345678901.123 does not fit Decimal(12, 2)"),
    ({"amount": "NaN"}, "field `amount` `NaN` has no ClickHouse Decimal"),
    ({"born": "2024-01-01"}, "field `born` is str, not epoch days"),
    ({"seen": "infinity"}, "field `seen` `infinity` is not an ISO-8601 time with its offset"),
    ({"at": 10**17}, 'field `at` "5138-11-16 09:46:40.000000" is not an ISO-8601 UTC time'),
    ({"at": 10**19}, "field `at` 10000000000000000000 is not a time ClickHouse holds"),
    ({"note": "__debezium_unavailable_value"}, "field `note` is a TOASTed value PostgreSQL did not send with the "
                                               "update: run `ALTER TABLE public.orders REPLICA IDENTITY FULL` so "
                                               "updates carry whole rows"),
    ({"__lsn": None}, "field `__lsn` is None, not the change's LSN (the transform's `add.fields` must include `lsn`)"),
    ({"__deleted": None}, "field `__deleted` is None, not \"true\" or \"false\" (the transform must rewrite deletes)"),
    ({"coupon": "SPRING"}, "field `coupon` has no column"),
    ({"mood": None}, "field `mood` is null and column `mood` is not Nullable"),
])
def test_a_value_that_does_not_convert_exactly_has_one_reason(values: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordCastError) as error:
        row(event(**values))
    assert error.value.reason.startswith(reason), error.value.reason


def test_an_event_that_is_not_an_object_names_the_transform() -> None:
    with pytest.raises(RecordCastError, match="ExtractNewRecordState"):
        EventConverter.build(TABLE).record([1])
