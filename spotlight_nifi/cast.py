"""Cast JSON records to ClickHouse rows: pure, fast, and lossless or loud.

`compile_caster(columns)` builds one converter per column once; `Caster.cast(record)` walks the
record, returns the row (a tuple in column order) or raises `RecordCastError` with one reason.
Records that fit take a fast walk; any misfit is walked again by the reasoning walk, which names
the first field that does not fit (so speed never changes a reason).
A value either fits its column exactly or the record is rejected: no rounding, no overflow, no
bool-as-number, no dropped field (a field without a column is a reason), no NULL into a
non-Nullable column. Rows hold Python values both backends insert: int, float, bool, str, Decimal,
date, datetime (UTC), UUID, IPv4Address/IPv6Address, lists. Imports neither chdb nor
clickhouse-connect, so NiFi Python processors can use it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Context, Decimal, InvalidOperation
from socket import inet_aton
from typing import Any
from uuid import UUID

import orjson

from spotlight_nifi.errors import RecordCastError
from spotlight_nifi.infer import detect
from spotlight_nifi.infer.types import INTEGER_RANGES, MAX_EXACT_FLOAT_INT, CHType, Column

Converter = Callable[[Any], Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_WIDE = Context(prec=100)  # Decimal(76, S) needs more than the default 28 digits
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}", re.ASCII)
"""Exactly the strings `detect.ipv4` accepts (canonical dotted quads), without parsing them twice."""
_DATETIME = re.compile(r"((?:19|2[0-2])\d\d-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?)(?:Z|\+00:00)?", re.ASCII)
"""The ASCII spellings `detect.iso_datetime` accepts, years 1900-2299, all UTC: the local time
(group 1) is parsed once and no type is built."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class _Unfit(Exception):
    """A value does not fit a type; the caster adds the field and column."""


def _show(value: Any) -> str:
    text = json_text(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_bytes(value: Any) -> bytes:
    """The compact UTF-8 JSON of a value (exact for integers beyond 64 bits, which orjson refuses)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def json_text(value: Any) -> str:
    """`json_bytes` as text."""
    return json_bytes(value).decode()


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", dict: "an object",
            list: "an array", type(None): "null"}.get(type(value), type(value).__name__)


def _integer(typ: CHType) -> Converter:
    lo, hi = INTEGER_RANGES[typ.name]

    def convert(value: Any) -> int:
        if type(value) is not int:
            raise _Unfit(f"is {_kind(value)}, not an integer")
        if not lo <= value <= hi:
            raise _Unfit(f"{value} is outside {typ.name} [{lo}, {hi}]")
        return value
    return convert


def _float64(typ: CHType) -> Converter:
    def convert(value: Any) -> float:
        kind = type(value)
        if kind is float:
            return value
        if kind is int and -MAX_EXACT_FLOAT_INT <= value <= MAX_EXACT_FLOAT_INT:
            return float(value)
        raise _Unfit(f"is {_kind(value)}, not a number exact in Float64" if kind is int else f"is {_kind(value)}, not a number")
    return convert


def _decimal(typ: CHType) -> Converter:
    precision, scale = int(typ.args[0]), int(typ.args[1])  # type: ignore[arg-type]

    def convert(value: Any) -> Decimal:
        if type(value) not in (int, float):
            raise _Unfit(f"is {_kind(value)}, not a number")
        number = Decimal(repr(value)) if type(value) is float else Decimal(value)
        try:
            exact = number.quantize(Decimal(1).scaleb(-scale), context=_WIDE)
        except InvalidOperation:
            raise _Unfit(f"{_show(value)} does not fit {typ}") from None
        if exact != number or len(exact.as_tuple().digits) > precision:
            raise _Unfit(f"{_show(value)} does not fit {typ}")
        return exact
    return convert


def _bool(typ: CHType) -> Converter:
    def convert(value: Any) -> bool:
        if type(value) is not bool:
            raise _Unfit(f"is {_kind(value)}, not a boolean")
        return value
    return convert


def _string(typ: CHType) -> Converter:
    def convert(value: Any) -> str:
        if type(value) is not str:
            raise _Unfit(f"is {_kind(value)}, not a string")
        return value
    return convert


def _detected(detector: Callable[[str], CHType | None], make: Callable[[str], Any], what: str) -> Callable[[CHType], Converter]:
    def factory(typ: CHType) -> Converter:
        def convert(value: Any) -> Any:
            if type(value) is not str or detector(value) is None:
                raise _Unfit(f"{_show(value)} is not {what}")
            return make(value)
        return convert
    return factory


def _ipv4(typ: CHType) -> Converter:
    def convert(value: Any) -> ipaddress.IPv4Address:
        if type(value) is not str or _IPV4.fullmatch(value) is None:
            raise _Unfit(f"{_show(value)} is not an IPv4 address")
        return ipaddress.IPv4Address(int.from_bytes(inet_aton(value), "big"))
    return convert


def _ipv6(typ: CHType) -> Converter:
    """`detect.ipv6` (RFC 5952 spelling, not IPv4-mapped), parsing the address once."""
    def convert(value: Any) -> ipaddress.IPv6Address:
        if type(value) is str and ":" in value and len(value) <= 39:
            try:
                address = ipaddress.IPv6Address(value)
            except ValueError:
                address = None
            if address is not None and address.ipv4_mapped is None and str(address) == value:
                return address
        raise _Unfit(f"{_show(value)} is not a canonical IPv6 address")
    return convert


def _date(typ: CHType) -> Converter:
    low, high = detect.DATE_RANGES[typ.name]

    def convert(value: Any) -> date:
        if type(value) is str and len(value) == 10 and _DATE.fullmatch(value) is not None and low <= value <= high:
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        found = detect.iso_date(value) if type(value) is str else None
        if found is None or (typ.name == "Date" and found.name != "Date"):
            raise _Unfit(f"{_show(value)} is not an ISO date within {typ.name}")
        return date.fromisoformat(value)
    return convert


def _datetime64(typ: CHType) -> Converter:
    precision = int(typ.args[0])  # type: ignore[arg-type]
    if typ.args[1:] not in ((), ("UTC",)):
        raise ValueError(f"the caster only writes DateTime64 in UTC, not {typ}")
    digits = 0 if precision < 3 else 3 if precision < 6 else 6  # detect.iso_datetime's precisions: 0, 3, 6
    longest = len("2000-01-01T00:00:00") + (digits and 1 + digits)

    def convert(value: Any) -> datetime:
        kind = type(value)
        if kind is str:
            fast = _DATETIME.fullmatch(value)
            if fast is not None and len(local := fast[1]) <= longest:
                try:
                    return datetime.fromisoformat(local + "+00:00")  # `replace(tzinfo=)` costs 5x more
                except ValueError:
                    pass
            found = detect.iso_datetime(value)
            if found is None or found.args[0] > precision:  # type: ignore[operator]
                raise _Unfit(f"{_show(value)} is not an ISO-8601 UTC time with at most {precision} fractional digits")
            return detect.parse_datetime(value)
        if kind is int or kind is float:
            lo, hi = detect.EPOCH_SECONDS
            fraction = detect.fraction_digits(value) if kind is float else 0
            if lo <= value <= hi and fraction <= precision:
                micros = int(Decimal(repr(value)) * 1_000_000) if kind is float else value * 1_000_000
                return _EPOCH + timedelta(microseconds=micros)
            lo, hi = detect.EPOCH_MILLIS
            if kind is int and lo <= value <= hi and precision >= 3:
                return _EPOCH + timedelta(milliseconds=value)
        raise _Unfit(f"{_show(value)} is not an ISO-8601 UTC time or an epoch in seconds/milliseconds")
    return convert


CONVERTERS: dict[str, Callable[[CHType], Converter]] = {
    **{name: _integer for name in INTEGER_RANGES},
    "Float64": _float64,
    "Decimal": _decimal,
    "Bool": _bool,
    "String": _string,
    "UUID": _detected(detect.uuid, UUID, "a lowercase UUID"),
    "IPv4": _ipv4,
    "IPv6": _ipv6,
    "Date": _date,
    "Date32": _date,
    "DateTime64": _datetime64,
}
"""Type name → factory of the converter for that type; wrappers are handled by `converter`."""


def converter(typ: CHType) -> Converter:
    """The converter for a (possibly wrapped) type; ValueError for types the caster cannot write."""
    if typ.name == "LowCardinality":
        return converter(typ.args[0])  # type: ignore[arg-type]
    if typ.name == "Nullable" or (typ.name == "Variant" and len(typ.args) == 1 and typ.args[0].name == "Array"):  # type: ignore[union-attr]
        inner = converter(typ.args[0])  # type: ignore[arg-type]
        return lambda value: None if value is None else inner(value)
    if typ.name == "Array":
        return _array(typ.args[0])  # type: ignore[arg-type]
    factory = CONVERTERS.get(typ.name)
    if factory is None:
        raise ValueError(f"the caster cannot write ClickHouse type {typ}")
    return factory(typ)


def _array(of: CHType) -> Converter:
    element = converter(of)
    lo, hi = INTEGER_RANGES.get(of.name, (1, 0))

    def convert(value: Any) -> list[Any]:
        if type(value) is not list:
            raise _Unfit(f"is {_kind(value)}, not an array")
        for item in value:  # integers are their own value: checked without a call each
            if type(item) is not int or not lo <= item <= hi:
                return [element(item) for item in value]
        return list(value)
    return convert


def _dotted(path: Sequence[str]) -> str:
    return ".".join(path)


FastWalk = Callable[[dict[str, Any], list[Any]], bool]


def _fast_walk(tree: dict[str, Any], convert: tuple[Converter, ...]) -> FastWalk:
    """The walk for records that fit: no paths, no flags; `_Unfit` at the first doubt. True when
    every field under `tree` was there (no missing column to look for)."""
    entries: dict[str, Any] = {key: node if type(node) is int else _fast_walk(node, convert)
                               for key, node in tree.items()}
    size = len(entries)

    def walk(obj: dict[str, Any], row: list[Any]) -> bool:
        complete = len(obj) == size
        for key, value in obj.items():
            entry = entries.get(key)
            if type(entry) is int:
                row[entry] = convert[entry](value)
            elif entry is None:
                raise _Unfit
            elif type(value) is dict:
                complete = entry(value, row) and complete
            elif value is None:
                complete = False
            else:
                raise _Unfit
        return complete
    return walk


_ABSENT = object()
"""A required column's slot before its field is seen (converters never return it)."""


@dataclass(frozen=True)
class Caster:
    """Compiled casting for one table's columns."""

    columns: tuple[Column, ...]
    _tree: dict[str, Any]
    _convert: tuple[Converter, ...]
    _required: tuple[int, ...]
    _fast: FastWalk
    _blank: tuple[Any, ...]

    def cast(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row for `record`, or RecordCastError with the one reason it does not fit."""
        if type(record) is dict:
            row = list(self._blank)
            try:
                complete = self._fast(record, row)
            except _Unfit:
                complete = None
            if complete or (complete is False and all(row[index] is not _ABSENT for index in self._required)):
                return tuple(row)
        return self._reasoned(record)

    def _reasoned(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row, walked field by field so a misfit names its field, column and reason."""
        if type(record) is not dict:
            raise RecordCastError("", None, f"record is {_kind(record)}, not an object")
        row: list[Any] = [None] * len(self.columns)
        seen = [False] * len(self.columns)
        self._walk(record, self._tree, row, seen, ())
        for index in self._required:
            if not seen[index]:
                column = self.columns[index]
                field = _dotted(column.path)
                raise RecordCastError(field, column.name,
                                      f"field `{field}` is missing and column `{column.name}` is not Nullable")
        return tuple(row)

    def _walk(self, obj: dict[str, Any], tree: dict[str, Any], row: list[Any], seen: list[bool],
              prefix: tuple[str, ...]) -> None:
        for key, value in obj.items():
            node = tree.get(key)
            if node is None:
                field = _dotted((*prefix, key))
                raise RecordCastError(field, None, f"field `{field}` has no column")
            if type(node) is int:
                try:
                    row[node] = self._convert[node](value)
                except _Unfit as unfit:
                    column = self.columns[node]
                    field = _dotted(column.path)
                    reason = f"is null and column `{column.name}` is not Nullable" if value is None else \
                        f"{unfit} (column `{column.name}` {column.type})"
                    raise RecordCastError(field, column.name, f"field `{field}` {reason}") from None
                seen[node] = True
            elif value is not None:
                if type(value) is not dict:
                    field = _dotted((*prefix, key))
                    raise RecordCastError(field, None, f"field `{field}` is {_kind(value)}, but its columns expect an object")
                self._walk(value, node, row, seen, (*prefix, key))


def _json_converter(typ: CHType) -> Converter:
    nullable = typ.nullable
    return lambda value: None if value is None and nullable else json_text(value)


def compile_caster(columns: Iterable[Column]) -> Caster:
    """A Caster for these columns; ValueError when a type cannot be written or paths collide."""
    cols = tuple(columns)
    tree: dict[str, Any] = {}
    for index, column in enumerate(cols):
        node = tree
        for key in column.path[:-1]:
            node = node.setdefault(key, {})
            if type(node) is int:
                raise ValueError(f"column `{column.name}` path `{_dotted(column.path)}` is inside another column")
        if column.path[-1] in node:
            raise ValueError(f"column `{column.name}` path `{_dotted(column.path)}` is already another column")
        node[column.path[-1]] = index
    convert = tuple(_json_converter(c.type) if c.json_text else converter(c.type) for c in cols)
    required = tuple(i for i, c in enumerate(cols) if not c.type.nullable)
    blank = tuple(_ABSENT if i in required else None for i in range(len(cols)))
    return Caster(cols, tree, convert, required, _fast_walk(tree, convert), blank)
