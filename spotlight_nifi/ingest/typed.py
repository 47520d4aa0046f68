"""The fast accept of CastToClickHouse: a record's JSON text decoded straight into its row, checked in C.

`typed_reader(caster)` turns the caster's columns into msgspec structs: one per object level, with
no unknown field allowed, each field's type the part of its column's rules that msgspec checks
itself (integer ranges, strings, booleans, numbers exact in Float64, canonical UUIDs and IPv4
addresses, explicitly UTC ISO-8601 times on real calendar dates, arrays of those), and `Any` for
the rest, which the caster's own converter then checks in Python. A record it decodes is a record
the caster accepts, and its row holds the values the caster's row holds, as ClickHouse reads them
(a UUID, an address or a time as the text it came as, which spells that value): its rules are never
looser, only faster. Whatever it refuses (invalid JSON, a misfit, a missing nested object, a
spelling only the converter knows) goes through `read_line` and `Caster.cast`, which name the
reason exactly as before: the fast path can change speed, never an outcome. A table with a JSON
column, which it does not model, or with a key msgspec cannot name, has the caster alone.

A ConsumeKafka wrapper is decoded with its `value` kept as raw bytes, so the envelope carries the
record's own text without serialising it again, and the row goes out as JSON text ready for
ClickHouse (`render_row`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Raw

from spotlight_nifi.cast import IPV4, Caster, Converter, SourcedCaster, Unfit, render_row
from spotlight_nifi.infer.types import INTEGER_RANGES, MAX_EXACT_FLOAT_INT, CHType
from spotlight_nifi.ingest.batch import Source, key_bytes

_INT64 = (-(2**63), 2**63 - 1)
_UUID = Annotated[str, Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")]
"""`detect.uuid`: lowercase, hyphenated."""
_IPV4 = Annotated[str, Meta(pattern=rf"(?a)^{IPV4.pattern}\Z")]
_FLOAT64 = Annotated[int, Meta(ge=-MAX_EXACT_FLOAT_INT, le=MAX_EXACT_FLOAT_INT)] | float
"""Text in the row is what ClickHouse reads back exactly: a UUID or IPv4 address already in its
canonical spelling is its own text, and an integer exact in Float64 is that number."""
_LEAP_YEAR = r"(?:(?:19|2[0-2])(?:0[48]|[2468][048]|[13579][26])|2000)"
_MONTH_DAY = r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
_DATE = rf"(?:(?:19|2[0-2])[0-9][0-9]-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
"""The calendar dates of 1900-2299 and the times of day that `datetime.fromisoformat` accepts."""
_CHECKED: dict[str, Any] = {
    **{name: Annotated[int, Meta(ge=lo, le=hi)] for name, (lo, hi) in INTEGER_RANGES.items()
       if _INT64[0] <= lo and hi <= _INT64[1]},
    "String": str, "Bool": bool, "Float64": _FLOAT64, "UUID": _UUID, "IPv4": _IPV4,
}
"""Type name → the msgspec type that checks a value exactly as the caster's converter does (msgspec
bounds integers within 64 signed bits only: wider types are left to the converter)."""


class _Metadata(msgspec.Struct, gc=False):
    """ConsumeKafka's wrapper metadata: only where the record came from is read."""

    topic: Any = None
    partition: Any = None
    offset: Any = None
    timestamp: Any = None


class _Wrapper(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A USE_WRAPPER record exactly as `batch.is_wrapper` tells one: `value` and an object `metadata`."""

    value: Raw
    metadata: _Metadata
    key: Any = None
    headers: Any = None


class _SourceJSON(msgspec.Struct, gc=False):
    """`Source.as_json`, written by msgspec in one call with the line."""

    topic: Any
    partition: Any
    offset: Any
    timestamp: Any
    key: str | None


class _Line(msgspec.Struct, gc=False):
    """An envelope line of a record that fits: its value the record's own text, its row as ClickHouse
    reads it (a JSON array of plain values, or its text from `render_row`)."""

    source: _SourceJSON
    value: Raw
    row: Any


_WRAPPERS = msgspec.json.Decoder(_Wrapper)
_ENCODE = msgspec.json.Encoder().encode
_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, Unfit)


def _datetime64(typ: CHType) -> Any:
    """The ISO-8601 UTC times (explicitly UTC: `Z` or `+00:00`) that the caster's DateTime64 converter
    takes on its fast path, with at most the fractional digits it takes there: ClickHouse reads
    such a text as the same instant. Other spellings (a local time, an epoch) are left to the converter."""
    if typ.args[1:] not in ((), ("UTC",)):
        return None
    precision = int(typ.args[0])  # type: ignore[arg-type]
    digits = 0 if precision < 3 else 3 if precision < 6 else 6
    fraction = rf"(?:\.[0-9]{{1,{digits}}})?" if digits else ""
    return Annotated[str, Meta(pattern=rf"^{_DATE}[T ]{_TIME}{fraction}(?:Z|\+00:00)\Z")]


def _checked(typ: CHType) -> Any:
    """The msgspec type checking a column's values in C, or None when only the converter can."""
    if typ.name == "DateTime64":
        return _datetime64(typ)
    if typ.name == "LowCardinality":
        return _checked(typ.args[0])  # type: ignore[arg-type]
    if typ.name == "Nullable":
        inner = _checked(typ.args[0])  # type: ignore[arg-type]
        return None if inner is None else inner | None
    if typ.name == "Array":
        inner = _checked(typ.args[0])  # type: ignore[arg-type]
        return None if inner is None or typ.args[0].name == "Float64" else list[inner]  # type: ignore[union-attr]
    return _CHECKED.get(typ.name)


@dataclass
class _Layout:
    """What building the structs collects: each column's attribute path, and the columns left to Python."""

    paths: list[str]
    converted: list[int]
    count: int = 0


def _in_order(tree: dict[Any, Any], example: Any) -> list[tuple[Any, Any]]:
    """The level's entries, those of `example`'s keys first in its order: msgspec finds each key of a
    record in one comparison when the struct's fields come in the record's order, and searches the
    fields for it otherwise."""
    keys = [key for key in example if key in tree] if type(example) is dict else []
    first = set(keys)
    return [(key, tree[key]) for key in keys] + [(key, node) for key, node in tree.items() if key not in first]


def _struct(tree: dict[Any, Any], caster: Caster, layout: _Layout, prefix: str, example: Any) -> type:
    """The struct of one object level: `f0`, `f1`… renamed to the record's keys, which may be any text."""
    fields: list[tuple[Any, ...]] = []
    rename: dict[str, str] = {}
    for number, (key, node) in enumerate(_in_order(tree, example)):
        name = f"f{number}"
        rename[name] = key
        if type(node) is dict:
            inner = example.get(key) if type(example) is dict else None
            fields.append((name, _struct(node, caster, layout, f"{prefix}{name}.", inner)))
            continue
        column = caster.columns[node]
        checked = _checked(column.type) if not column.json_text else None
        if checked is None:
            layout.converted.append(node)
        typ = Any if checked is None else checked
        fields.append((name, typ, None) if column.type.nullable else (name, typ))  # absent: None, as the caster
        layout.paths[node] = prefix + name
    layout.count += 1
    return msgspec.defstruct(f"Level{layout.count}", fields, rename=rename, forbid_unknown_fields=True, gc=False,
                             kw_only=True)


def _plain(tree: dict[Any, Any]) -> bool:
    """Whether every level holds only columns and objects (no JSON column, no typed path of one)."""
    return None not in tree and all(type(node) is int or (type(node) is dict and _plain(node))
                                    for node in tree.values())


@dataclass(frozen=True)
class TypedReader:
    """Writes the envelope line of a record that fits, or says it cannot (None), for `read_line` to handle."""

    decode: Callable[[bytes | Raw], Any]
    row: Callable[[Any], tuple[Any, ...]]
    converted: tuple[tuple[int, Converter], ...]
    coordinates: tuple[tuple[int, int, Converter], ...]

    def _row(self, text: bytes | Raw, where: Sequence[Any]) -> Any:
        """The row of one record's text, its Kafka coordinate columns from `where` (topic, partition,
        offset), for `_Line`; msgspec's errors or `Unfit` when it does not fit as decoded. Without a
        converter the row holds JSON's own values (strings, numbers, booleans, null, arrays), which
        msgspec writes as orjson would; a converter's values (times, Decimals, addresses) go through
        `render_row`."""
        row = self.row(self.decode(text))
        if not self.converted and not self.coordinates:
            return row
        filled = list(row)
        for index, convert in self.converted:
            filled[index] = convert(filled[index])
        for index, position, convert in self.coordinates:
            filled[index] = convert(where[position])
        return Raw(render_row(filled)) if self.converted else filled

    def line(self, line: bytes, source: Source) -> bytes | None:
        """The envelope line of a line holding a record that fits, a ConsumeKafka wrapper record
        (`batch.is_wrapper`) or a record itself from `source`; None for any doubt."""
        try:
            wrapper = _WRAPPERS.decode(line)
        except _DECODE_ERRORS:
            return self._plain(line, source)
        return self._wrapped(wrapper)

    def _plain(self, line: bytes, source: Source) -> bytes | None:
        try:
            row = self._row(line, source)
        except _DECODE_ERRORS:
            return None
        return _ENCODE(_Line(_source_json(source), Raw(line), row))

    def _wrapped(self, wrapper: _Wrapper) -> bytes | None:
        """Its source from the metadata, its value the record's own text."""
        meta = wrapper.metadata
        try:
            row = self._row(wrapper.value, (meta.topic, meta.partition, meta.offset))
        except _DECODE_ERRORS:
            return None
        key = wrapper.key
        source = _SourceJSON(meta.topic, meta.partition, meta.offset, meta.timestamp,
                             None if key is None else _base64(key_bytes(key)))
        return _ENCODE(_Line(source, wrapper.value, row))


def _base64(key: bytes | None) -> str | None:
    return None if key is None else base64.b64encode(key).decode()


def _source_json(source: Source) -> _SourceJSON:
    return _SourceJSON(source.topic, source.partition, source.offset, source.timestamp, _base64(source.key))


def _one_order(tree: dict[Any, Any], first: Any, second: Any) -> bool:
    """Whether two records give the keys of each wide level (more than `WIDE` columns) in one order."""
    if type(first) is not dict or type(second) is not dict:
        return True
    if len(tree) > WIDE:
        common = first.keys() & second.keys() & tree.keys()
        if [key for key in first if key in common] != [key for key in second if key in common]:
            return False
    return all(_one_order(node, first.get(key), second.get(key)) for key, node in tree.items() if type(node) is dict)


WIDE = 64
"""A level this wide costs msgspec a search of its fields for each key out of order."""


def typed_reader(caster: Caster, first: Any = None, second: Any = None) -> TypedReader | None:
    """The fast path for this caster's table, its fields in the order of the keys of `first` (a record:
    the records of a FlowFile, written by one producer, share their order). None for a table with a
    JSON column, a field whose key msgspec cannot name, or wide levels whose keys `first` and
    `second` give in different orders (each record its own: msgspec would search each key's field,
    a cost growing with the square of the width), the caster alone then."""
    if not caster.tree or not _plain(caster.tree) or not _one_order(caster.tree, first, second):
        return None
    layout = _Layout([""] * len(caster.columns), [])
    try:
        root = _struct(caster.tree, caster, layout, "", first)
    except ValueError:  # msgspec names no field with `"`, `\` or a control character in its key
        return None
    convert = caster.converters
    rows = _row_getter(layout.paths)
    return TypedReader(msgspec.json.Decoder(root).decode, rows,
                       tuple((index, convert[index]) for index in layout.converted),
                       tuple((index, position, convert[index]) for index, position in _coordinates(caster)))


def _coordinates(caster: Caster) -> tuple[tuple[int, int], ...]:
    return caster.coordinates if isinstance(caster, SourcedCaster) else ()


def _row_getter(paths: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A row in column order from the decoded structs, in one C call; a column without a path (a
    Kafka coordinate, filled from the source) is None. The fields of one level in column order are
    the row as they are."""
    if paths == [f"f{number}" for number in range(len(paths))]:
        return msgspec.structs.astuple
    present = [path for path in paths if path]
    get = attrgetter(*present)
    values = get if len(present) > 1 else (lambda decoded: (get(decoded),))
    if len(present) == len(paths):
        return values
    numbers = iter(range(len(present)))
    order = [next(numbers) if path else -1 for path in paths]
    return lambda decoded: _with_gaps(values(decoded), order)


def _with_gaps(values: tuple[Any, ...], order: list[int]) -> tuple[Any, ...]:
    return tuple(None if at < 0 else values[at] for at in order)
