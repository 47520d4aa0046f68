"""Debezium change events → records the caster takes, with the version and delete flag.

The connector's ExtractNewRecordState transform (`connector.py`) makes every event a flat row:
the row after the change (for a delete, the row before it, which holds only the key under the
default REPLICA IDENTITY) plus `__lsn`, `__op` and `__deleted`. `EventConverter.record` turns
Debezium's spelling of each value (`types.Encoding`) into the form `spotlight_nifi.cast` reads,
adds `_version` (the LSN) and `_is_deleted`, and fills the non-key columns a delete lacks with
placeholders. Fields it does not know pass through unchanged, so a column added on the source
reaches the caster as a field without a column: the signal to follow the schema. A value it cannot
convert exactly raises `RecordCastError`, whose reason goes to the failure DB.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from spotlight_nifi.cdc.source import SourceTable
from spotlight_nifi.cdc.types import DELETED, VERSION, Encoding, Mapped, zero
from spotlight_nifi.errors import RecordCastError

LSN, OP, DELETED_FLAG = "__lsn", "__op", "__deleted"
UNAVAILABLE = "__debezium_unavailable_value"
"""Debezium's placeholder for a TOASTed value an update left unchanged (PostgreSQL does not send
it under the default REPLICA IDENTITY)."""
_EPOCH = datetime(1970, 1, 1)
_EPOCH_DAY = date(1970, 1, 1).toordinal()


class _Unfit(Exception):
    """A value Debezium spelled in a way that has no exact conversion; `record` names the field."""


def _iso(moment: datetime, digits: int) -> str:
    return moment.isoformat(sep=" ", timespec="microseconds")[: 19 + (digits and digits + 1)]


def _decimal(value: Any) -> Decimal:
    """A decimal string as the exact number the caster fits to the column's precision and scale."""
    if type(value) is not str:
        raise _Unfit(f"is {type(value).__name__}, not Debezium's decimal string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _Unfit(f"`{value}` is not a decimal") from None
    if not number.is_finite():
        raise _Unfit(f"`{value}` has no ClickHouse Decimal")
    return number


def _date(value: Any) -> str:
    if type(value) is not int:
        raise _Unfit(f"is {type(value).__name__}, not epoch days")
    try:
        return date.fromordinal(_EPOCH_DAY + value).isoformat()
    except (ValueError, OverflowError):
        raise _Unfit(f"{value} days from 1970-01-01 is not a date ClickHouse holds") from None


def _timestamp(unit: int, digits: int) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if type(value) is not int:
            raise _Unfit(f"is {type(value).__name__}, not an epoch timestamp")
        try:
            return _iso(_EPOCH + timedelta(microseconds=value * unit), digits)
        except (OverflowError, ValueError):
            raise _Unfit(f"{value} is not a time ClickHouse holds") from None
    return convert


def _zoned(digits: int) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if type(value) is not str:
            raise _Unfit(f"is {type(value).__name__}, not an ISO-8601 time")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _Unfit(f"`{value}` is not an ISO-8601 time with its offset") from None
        if moment.tzinfo is None:
            raise _Unfit(f"`{value}` has no offset")
        return _iso(moment.astimezone(timezone.utc).replace(tzinfo=None), digits)
    return convert


def _plain(value: Any) -> Any:
    return value


def _scalar(encoding: Encoding, digits: int) -> Callable[[Any], Any]:
    return {"plain": _plain, "decimal": _decimal, "date": _date, "timestamp_ms": _timestamp(1000, digits),
            "timestamp_us": _timestamp(1, digits), "zoned": _zoned(digits)}[encoding]


def _digits(typed: Mapped) -> int:
    inner = typed.type.inner()
    while inner.name in ("Array", "Variant"):
        inner = inner.args[0].inner()  # type: ignore[union-attr]
    return int(inner.args[0]) if inner.name == "DateTime64" else 0  # type: ignore[arg-type]


def _value_converter(typed: Mapped) -> Callable[[Any], Any] | None:
    """The conversion of a non-null value (None when Debezium's spelling is the caster's); arrays
    convert each non-null element."""
    one = _scalar(typed.encoding, _digits(typed))
    if one is _plain:
        return None
    if typed.type.inner().name in ("Array", "Variant"):
        def each(value: Any) -> Any:
            if type(value) is not list:
                return value
            return [None if item is None else one(item) for item in value]
        return each
    return one


@dataclass(frozen=True)
class EventConverter:
    """The conversion for one table's events, built once per table definition."""

    table: SourceTable
    converters: tuple[tuple[str, Callable[[Any], Any]], ...]
    """(column, conversion) for the columns whose values Debezium spells otherwise than the caster reads."""
    placeholders: Mapping[str, Any]
    """The value of each non-Nullable, non-key column in a delete event that lacks it."""

    @classmethod
    def build(cls, table: SourceTable) -> EventConverter:
        mapping = table.mapping()
        placeholders = {name: zero(typed.type) for name, typed in mapping.items()
                        if not typed.type.nullable and name not in table.primary_key}
        converters = ((name, _value_converter(typed)) for name, typed in mapping.items())
        return cls(table, tuple((name, convert) for name, convert in converters if convert is not None), placeholders)

    def record(self, event: Any) -> dict[str, Any]:
        """The caster's record for one parsed event (the dict itself, converted in place); RecordCastError
        naming the field when a value does not convert."""
        if type(event) is not dict:
            raise RecordCastError("", None, "the change event is not a JSON object (is the connector's "
                                            "ExtractNewRecordState transform configured?)")
        lsn, deleted = event.pop(LSN, None), event.pop(DELETED_FLAG, None)
        event.pop(OP, None)
        if type(lsn) is not int or lsn < 0:
            raise RecordCastError(LSN, VERSION, f"field `{LSN}` is {lsn!r}, not the change's LSN (the transform's "
                                                "`add.fields` must include `lsn`)")
        if deleted not in ("true", "false"):
            raise RecordCastError(DELETED_FLAG, DELETED, f"field `{DELETED_FLAG}` is {deleted!r}, not \"true\" or "
                                                         "\"false\" (the transform must rewrite deletes)")
        if UNAVAILABLE in event.values():
            name = next(name for name, value in event.items() if value == UNAVAILABLE)
            raise RecordCastError(name, name, f"field `{name}` is a TOASTed value PostgreSQL did not send with "
                                              f"the update: run `ALTER TABLE {self.table.qualified} REPLICA "
                                              "IDENTITY FULL` so updates carry whole rows")
        for name, convert in self.converters:
            value = event.get(name)
            if value is not None:
                try:
                    event[name] = convert(value)
                except _Unfit as unfit:
                    raise RecordCastError(name, name, f"field `{name}` {unfit}") from None
        if deleted == "true":
            for name, placeholder in self.placeholders.items():
                if event.get(name) is None:
                    event[name] = placeholder
        event[VERSION] = lsn
        event[DELETED] = 1 if deleted == "true" else 0
        return event
