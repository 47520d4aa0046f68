"""Cast JSON records to ClickHouse rows: pure, fast, and lossless or loud.

`compile_caster(columns)` builds one converter per column once; `Caster.cast(record)` walks the
record, returns the row (a tuple in column order) or raises `RecordCastError` with one reason.
Records that fit take a fast walk; any misfit is walked again by the reasoning walk, which names
the first field that does not fit (so speed never changes a reason).
A value either fits its column exactly or the record is rejected: no rounding, no overflow, no
bool-as-number, no dropped field (a field without a column is a reason), no NULL into a
non-Nullable column. A JSON column (ClickHouse's `JSON` type) takes the fields under its path that
no column claims, as an object (its row value is a dict): typed path hints are checked like
columns; other values are stored as they are, except what the type cannot read back exactly
(integers beyond 64 bits, keys holding `%2E`), which is a reason. It keeps no NULL nor empty
object (ClickHouse stores neither in a JSON column). Rows hold Python values both backends insert:
int, float, bool, str, Decimal, date, datetime (UTC), UUID, IPv4Address/IPv6Address, lists, dicts.
A table with Kafka coordinate columns (`infer.coordinates`) gets a `SourcedCaster`, whose
`cast_from(record, source)` fills them from where the record came from; a table without them gets
the plain `Caster`, whose hot path pays nothing for them.
Imports neither chdb nor clickhouse-connect, so NiFi Python processors can use it.
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
from spotlight_nifi.infer.coordinates import WHAT, is_coordinate, positions, reserved_field, reserved_reason
from spotlight_nifi.infer.types import INTEGER_RANGES, MAX_EXACT_FLOAT_INT, CHType, Column, JSONType

Converter = Callable[[Any], Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_WIDE = Context(prec=100)  # Decimal(76, S) needs more than the default 28 digits
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}", re.ASCII)
"""Exactly the strings `detect.ipv4` accepts (canonical dotted quads), without parsing them twice."""
_DATETIME = re.compile(r"((?:19|2[0-2])\d\d-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?)(?:Z|\+00:00)?", re.ASCII)
"""The ASCII spellings `detect.iso_datetime` accepts, years 1900-2299, all UTC: the local time
(group 1) is parsed once and no type is built."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class Unfit(Exception):
    """A value does not fit a type; the caster adds the field and column."""


def _show(value: Any) -> str:
    """A value as a reason quotes it: its JSON, or the digits of an exact decimal (CDC's numerics)."""
    text = format(value, "f") if type(value) is Decimal else json_text(value)
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


def _rendered(value: Any) -> Any:
    """What orjson cannot write itself, as ClickHouse reads it back: exact decimals, addresses, UUIDs, times."""
    if isinstance(value, Decimal):
        return orjson.Fragment(format(value, "f").encode())
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address, UUID)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to ClickHouse")


def _exact_integers(value: Any) -> Any:
    """Integers beyond 64 bits as raw JSON numbers (orjson refuses them)."""
    kind = type(value)
    if kind is int and not -(2**63) <= value < 2**64:
        return orjson.Fragment(str(value).encode())
    if kind is dict:
        return {k: _exact_integers(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_exact_integers(v) for v in value]
    return value


def render_row(row: Sequence[Any] | Mapping[str, Any]) -> bytes:
    """A row as one JSONCompactEachRow line (or, given column names as keys, one JSONEachRow line):
    ClickHouse reads back exactly the values a row holds (Decimals and integers beyond 64 bits as raw
    numbers, times in ISO-8601 UTC, addresses as text)."""
    try:
        return orjson.dumps(row, default=_rendered)
    except TypeError:
        return orjson.dumps(_exact_integers(row), default=_rendered)


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", dict: "an object",
            list: "an array", type(None): "null"}.get(type(value), type(value).__name__)


def _integer(typ: CHType) -> Converter:
    lo, hi = INTEGER_RANGES[typ.name]

    def convert(value: Any) -> int:
        if type(value) is not int:
            raise Unfit(f"is {_kind(value)}, not an integer")
        if not lo <= value <= hi:
            raise Unfit(f"{value} is outside {typ.name} [{lo}, {hi}]")
        return value
    return convert


def _float64(typ: CHType) -> Converter:
    def convert(value: Any) -> float:
        kind = type(value)
        if kind is float:
            return value
        if kind is int and -MAX_EXACT_FLOAT_INT <= value <= MAX_EXACT_FLOAT_INT:
            return float(value)
        raise Unfit(f"is {_kind(value)}, not a number exact in Float64" if kind is int else f"is {_kind(value)}, not a number")
    return convert


def _decimal(typ: CHType) -> Converter:
    precision, scale = int(typ.args[0]), int(typ.args[1])  # type: ignore[arg-type]

    def convert(value: Any) -> Decimal:
        kind = type(value)
        if kind not in (int, float, Decimal):
            raise Unfit(f"is {_kind(value)}, not a number")
        number = Decimal(repr(value)) if kind is float else value if kind is Decimal else Decimal(value)
        try:
            exact = number.quantize(Decimal(1).scaleb(-scale), context=_WIDE)
        except InvalidOperation:
            raise Unfit(f"{_show(value)} does not fit {typ}") from None
        if exact != number or len(exact.as_tuple().digits) > precision:
            raise Unfit(f"{_show(value)} does not fit {typ}")
        return exact
    return convert


def _bool(typ: CHType) -> Converter:
    def convert(value: Any) -> bool:
        if type(value) is not bool:
            raise Unfit(f"is {_kind(value)}, not a boolean")
        return value
    return convert


def _string(typ: CHType) -> Converter:
    def convert(value: Any) -> str:
        if type(value) is not str:
            raise Unfit(f"is {_kind(value)}, not a string")
        return value
    return convert


def _detected(detector: Callable[[str], CHType | None], make: Callable[[str], Any], what: str) -> Callable[[CHType], Converter]:
    def factory(typ: CHType) -> Converter:
        def convert(value: Any) -> Any:
            if type(value) is not str or detector(value) is None:
                raise Unfit(f"{_show(value)} is not {what}")
            return make(value)
        return convert
    return factory


def _ipv4(typ: CHType) -> Converter:
    def convert(value: Any) -> ipaddress.IPv4Address:
        if type(value) is not str or IPV4.fullmatch(value) is None:
            raise Unfit(f"{_show(value)} is not an IPv4 address")
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
        raise Unfit(f"{_show(value)} is not a canonical IPv6 address")
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
            raise Unfit(f"{_show(value)} is not an ISO date within {typ.name}")
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
                raise Unfit(f"{_show(value)} is not an ISO-8601 UTC time with at most {precision} fractional digits")
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
        raise Unfit(f"{_show(value)} is not an ISO-8601 UTC time or an epoch in seconds/milliseconds")
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
            raise Unfit(f"is {_kind(value)}, not an array")
        for item in value:  # integers are their own value: checked without a call each
            if type(item) is not int or not lo <= item <= hi:
                return [element(item) for item in value]
        return list(value)
    return convert


def _dotted(path: Sequence[str]) -> str:
    return ".".join(path)


_DYNAMIC_INT = (-(2**63), 2**64 - 1)
"""The integers a JSON column stores as numbers; beyond them it would store text."""
ESCAPED_DOT = "%2E"
"""How a JSON column spells a dot inside a key (`json_type_escape_dots_in_keys`): a key that already
holds it would read back as a dot, so it is refused."""


@dataclass(frozen=True)
class _Hint:
    """A typed path inside a JSON column: its values are checked and converted like a column's."""

    column: int
    path: tuple[str, ...]
    type: CHType
    convert: Converter


def _dynamic(value: Any) -> Any:
    """`value` unchanged when a JSON column stores it exactly; `Unfit` otherwise."""
    kind = type(value)
    if kind is int:
        if not _DYNAMIC_INT[0] <= value <= _DYNAMIC_INT[1]:
            raise Unfit
    elif kind is dict or kind is list:
        try:
            text = orjson.dumps(value)  # refuses integers beyond 64 bits, in C
        except TypeError:
            raise Unfit from None
        if ESCAPED_DOT.encode() in text and _dynamic_misfit(value, ()) is not None:
            raise Unfit
    return value


def _dynamic_misfit(value: Any, path: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    """The first place in `value` a JSON column cannot store exactly, and why."""
    kind = type(value)
    if kind is int and not _DYNAMIC_INT[0] <= value <= _DYNAMIC_INT[1]:
        return path, f"{value} is beyond 64 bits"
    items = value.items() if kind is dict else enumerate(value) if kind is list else ()
    for key, item in items:
        if type(key) is str and ESCAPED_DOT in key:
            return (*path, key), f"has `{ESCAPED_DOT}` in its key, which reads back as a dot"
        found = _dynamic_misfit(item, (*path, str(key)) if type(key) is str else path)
        if found is not None:
            return found
    return None


FastWalk = Callable[[dict[str, Any], list[Any], "dict[str, Any] | None"], bool]


def _fast_walk(tree: dict[Any, Any], convert: tuple[Converter, ...]) -> FastWalk:
    """The walk for records that fit: no paths, no flags; `Unfit` at the first doubt. `bag` is the
    object inside a JSON column that takes the fields no column claims (None outside one). True
    when every field under `tree` was there (no missing column to look for)."""
    root = tree.get(None)
    entries: dict[str, Any] = {key: node if type(node) in (int, _Hint) else _fast_walk(node, convert)
                               for key, node in tree.items() if key is not None}
    size = len(entries)

    def walk(obj: dict[str, Any], row: list[Any], bag: dict[str, Any] | None) -> bool:
        if root is not None:
            bag = row[root] = {}
        complete, matched = True, 0
        for key, value in obj.items():
            entry = entries.get(key)
            if entry is None:
                if bag is None:
                    raise Unfit
                bag[key] = _dynamic(value)
                continue
            matched += 1
            kind = type(entry)
            if kind is int:
                row[entry] = convert[entry](value)
            elif kind is _Hint:
                if value is not None:
                    bag[key] = entry.convert(value)  # type: ignore[index]
            elif type(value) is dict:
                if bag is None:
                    complete = entry(value, row, None) and complete
                else:
                    inner: dict[str, Any] = {}
                    complete = entry(value, row, inner) and complete
                    if inner:
                        bag[key] = inner
            elif value is None:
                complete = False
            elif bag is not None:
                bag[key] = _dynamic(value)  # a scalar where columns expect an object: the JSON column keeps it
                complete = False
            else:
                raise Unfit
        return complete and matched == size
    return walk


_ABSENT = object()
"""A required column's slot before its field is seen (converters never return it)."""


@dataclass(frozen=True)
class Caster:
    """Compiled casting for one table's columns."""

    columns: tuple[Column, ...]
    _tree: dict[Any, Any]
    _convert: tuple[Converter, ...]
    _required: tuple[int, ...]
    _fast: FastWalk
    _blank: tuple[Any, ...]

    @property
    def tree(self) -> dict[Any, Any]:
        """Field name → column index, the tree of a nested object, or a JSON column's typed path
        (`_Hint`); key None marks the JSON column taking a level's unclaimed fields."""
        return self._tree

    @property
    def converters(self) -> tuple[Converter, ...]:
        """Each column's converter, in column order (`Unfit` for a value that does not fit)."""
        return self._convert

    def cast(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row for `record`, or RecordCastError with the one reason it does not fit."""
        if type(record) is dict:
            row = list(self._blank)
            try:
                complete = self._fast(record, row, None)
            except Unfit:
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
        self._walk(record, self._tree, row, seen, (), None)
        for index in self._required:
            if not seen[index]:
                column = self.columns[index]
                field = _dotted(column.path)
                raise RecordCastError(field, column.name,
                                      f"field `{field}` is missing and column `{column.name}` is not Nullable")
        return tuple(row)

    def _walk(self, obj: dict[str, Any], tree: dict[Any, Any], row: list[Any], seen: list[bool],
              prefix: tuple[str, ...], scope: tuple[dict[str, Any], int] | None) -> None:
        """`scope` is the JSON column taking unclaimed fields here: its object at this level, and its index."""
        if tree.get(None) is not None:
            row[tree[None]] = {}
            scope = (row[tree[None]], tree[None])
        for key, value in obj.items():
            node = tree.get(key)
            path = (*prefix, key)
            if node is None or (type(node) is dict and value is not None and type(value) is not dict and scope):
                if scope is None:
                    raise RecordCastError(_dotted(path), None, f"field `{_dotted(path)}` has no column")
                scope[0][key] = self._stored(value, path, scope[1])
            elif type(node) is int:
                row[node] = self._converted(node, value)
                seen[node] = True
            elif type(node) is _Hint:
                if value is not None:
                    scope[0][key] = self._hinted(node, value)  # type: ignore[index]
            elif value is not None:
                if type(value) is not dict:
                    raise RecordCastError(_dotted(path), None, f"field `{_dotted(path)}` is {_kind(value)}, but its columns expect an object")
                inner: dict[str, Any] = {}
                self._walk(value, node, row, seen, path, None if scope is None else (inner, scope[1]))
                if inner and scope is not None:
                    scope[0][key] = inner

    def _converted(self, index: int, value: Any) -> Any:
        try:
            return self._convert[index](value)
        except Unfit as unfit:
            column = self.columns[index]
            field = _dotted(column.path)
            reason = f"is null and column `{column.name}` is not Nullable" if value is None else \
                f"{unfit} (column `{column.name}` {column.type})"
            raise RecordCastError(field, column.name, f"field `{field}` {reason}") from None

    def _hinted(self, hint: _Hint, value: Any) -> Any:
        try:
            return hint.convert(value)
        except Unfit as unfit:
            column = self.columns[hint.column]
            field = _dotted(hint.path)
            inside = _dotted(hint.path[len(column.path):])
            raise RecordCastError(field, column.name, f"field `{field}` {unfit} (path `{inside}` {hint.type} of JSON "
                                                      f"column `{column.name}`)") from None

    def _stored(self, value: Any, path: tuple[str, ...], index: int) -> Any:
        found = _dynamic_misfit(value, path)
        if found is None:
            return value
        column = self.columns[index]
        where, why = found
        raise RecordCastError(_dotted(where), column.name, f"field `{_dotted(where)}` {why}: JSON column "
                                                           f"`{column.name}` cannot store it exactly")


_UNKNOWN = ("only records read from Kafka (ConsumeKafka's wrapper records, or one message per FlowFile) or "
            "POSTed in a batch with a `Spotlight-Batch` header carry their coordinates")
"""How to fix an unknown coordinate: where records get theirs (`ingest.batch.Source`)."""


@dataclass(frozen=True)
class SourcedCaster(Caster):
    """A Caster for a table with Kafka coordinate columns: they take the record's source, never its fields."""

    coordinates: tuple[tuple[int, int], ...] = ()
    """(column index, index in the source's (topic, partition, offset)) per coordinate column."""

    def cast(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        """Without a source, the coordinates are unknown: the record does not fit."""
        return self.cast_from(record, (None, None, None))

    def cast_from(self, record: Mapping[str, Any], source: Sequence[Any]) -> tuple[Any, ...]:
        """The row for `record`, its coordinate columns from `source` (topic, partition, offset, ...)."""
        if type(record) is dict:
            field = reserved_field(record)
            if field is not None:
                raise RecordCastError(field, field, reserved_reason(field, field))
        row = list(Caster.cast(self, record))
        convert = self._convert
        for index, position in self.coordinates:
            try:
                row[index] = convert[index](source[position])
            except Unfit as unfit:
                raise self._misfit(index, source[position], unfit) from None
        return tuple(row)

    def _misfit(self, index: int, value: Any, unfit: Unfit) -> RecordCastError:
        column = self.columns[index]
        what = f"the record's Kafka {WHAT[column.name]}"
        if value is None:
            return RecordCastError("", column.name, f"{what} is unknown, and column `{column.name}` needs it: {_UNKNOWN}")
        return RecordCastError("", column.name, f"{what} {unfit} (column `{column.name}` {column.type})")


def _json_converter(typ: CHType) -> Converter:
    nullable = typ.nullable
    return lambda value: None if value is None and nullable else json_text(value)


def _node(tree: dict[Any, Any], path: Sequence[str], column: Column) -> dict[Any, Any]:
    node = tree
    for key in path:
        node = node.setdefault(key, {})
        if type(node) is not dict:
            raise ValueError(f"column `{column.name}` path `{_dotted(column.path)}` is inside another column")
    return node


def compile_caster(columns: Iterable[Column]) -> Caster:
    """A Caster for these columns; ValueError when a type cannot be written or paths collide.

    A JSON column takes every field under its path that no other column claims (typed columns
    may sit inside it), checking its typed path hints like columns and the rest with `_dynamic`. A
    Kafka coordinate column is no record field's: it stays out of the walks and is not required."""
    cols = tuple(columns)
    sourced = positions(cols)
    tree: dict[Any, Any] = {}
    convert: list[Converter] = []
    for index, column in enumerate(cols):
        if is_coordinate(column):
            convert.append(converter(column.type))
            continue
        if isinstance(column.type, JSONType):
            node = _node(tree, column.path, column)
            if node.get(None) is not None:
                raise ValueError(f"column `{column.name}` path `{_dotted(column.path)}` is already another JSON column")
            node[None] = index
            for path, typ in column.type.hints:
                full = (*column.path, *path)
                parent = _node(tree, full[:-1], column)
                if full[-1] in parent:
                    raise ValueError(f"column `{column.name}` hint `{_dotted(path)}` is already another column")
                parent[full[-1]] = _Hint(index, full, typ, converter(typ))
            convert.append(_dynamic)
            continue
        node = _node(tree, column.path[:-1], column)
        if column.path[-1] in node:
            raise ValueError(f"column `{column.name}` path `{_dotted(column.path)}` is already another column")
        node[column.path[-1]] = index
        convert.append(_json_converter(column.type) if column.json_text else converter(column.type))
    required = tuple(i for i, c in enumerate(cols)
                     if not c.type.nullable and not isinstance(c.type, JSONType) and not is_coordinate(c))
    blank = tuple(_ABSENT if i in required else None for i in range(len(cols)))
    parts = (cols, tree, tuple(convert), required, _fast_walk(tree, tuple(convert)), blank)
    return SourcedCaster(*parts, coordinates=sourced) if sourced else Caster(*parts)
