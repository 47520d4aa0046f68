"""PostgreSQL column types → ClickHouse column types, and how Debezium spells each value.

The mapping is data (`SCALARS`): a PostgreSQL type name (`pg_type.typname`) gives the ClickHouse
type and the `Encoding` of its values in Debezium's JSON with the connector settings of
`connector.CONVERTER_SETTINGS`. Choices, each lossless:
- `numeric(p, s)` → `Decimal(p, s)`; unconstrained `numeric` has no scale a Decimal could take, so
  it is its exact text in a `String` (declare a precision and scale in PostgreSQL to get a Decimal).
- `real` → `Float64`: Debezium writes a float4 as its shortest decimal text, which a double
  reads exactly (the caster writes no Float32).
- `timestamp(p)` → `DateTime64(0 | 3 | 6)`, `timestamptz(p)` → the same in `'UTC'`: the
  precisions the caster writes, each at least `p`.
- `time` → `Int64` microseconds since midnight (Debezium's MicroTime), `date` → `Date32`.
- `json`/`jsonb` → `String` with PostgreSQL's text: ClickHouse's JSON type would re-spell keys and
  numbers. `bytea` → `String` of lowercase hex; `interval` → ISO-8601 `String`; `inet`, `cidr`,
  `macaddr`, `timetz`, `xml`, `text`, `varchar`, `char` → `String`.
- enums → `LowCardinality(String)`: a label added with `ALTER TYPE … ADD VALUE` needs no DDL in
  ClickHouse, as an Enum8 would.
- arrays → `Array(Nullable(T))`, since PostgreSQL does not constrain array elements to non-null.
- a nullable column is `nullable(T)` (`Variant(Array(…))` for arrays, which keeps NULL apart from `[]`).
Any other type has no mapping: `unmappable` says so, naming the column and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spotlight_nifi.infer.types import CHType, nullable, parse_type, t

Encoding = Literal["plain", "decimal", "date", "timestamp_ms", "timestamp_us", "zoned"]
"""How Debezium spells a value: `plain` as the caster takes it; `decimal` a
decimal string (decimal.handling.mode=string); `date` epoch days; `timestamp_ms` / `timestamp_us`
epoch milli/microseconds of a local time; `zoned` an ISO-8601 UTC string (ZonedTimestamp)."""


@dataclass(frozen=True)
class SourceType:
    """A PostgreSQL column type as the catalog describes it."""

    name: str
    """`pg_type.typname` of the type, or of the element type of an array."""
    display: str
    """`format_type(...)`, for messages: `numeric(12,2)`, `integer[]`."""
    typmod: int = -1
    array: bool = False
    enum: bool = False


@dataclass(frozen=True)
class Mapped:
    """The ClickHouse type of a column and the encoding of its values."""

    type: CHType
    encoding: Encoding


_STRING = Mapped(t("String"), "plain")
SCALARS: dict[str, Mapped] = {
    "int2": Mapped(t("Int16"), "plain"),
    "int4": Mapped(t("Int32"), "plain"),
    "int8": Mapped(t("Int64"), "plain"),
    "float4": Mapped(t("Float64"), "plain"),
    "float8": Mapped(t("Float64"), "plain"),
    "bool": Mapped(t("Bool"), "plain"),
    "uuid": Mapped(t("UUID"), "plain"),
    "date": Mapped(t("Date32"), "date"),
    "time": Mapped(t("Int64"), "plain"),
    **{name: _STRING for name in ("text", "varchar", "bpchar", "name", "json", "jsonb", "bytea", "interval", "inet",
                                  "cidr", "macaddr", "macaddr8", "timetz", "xml")},
}
"""Types whose mapping does not depend on their modifier."""


def _numeric(typmod: int) -> Mapped:
    if typmod < 0:
        return _STRING
    precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
    return Mapped(t("Decimal", precision, scale), "decimal")


def _precision(typmod: int) -> int:
    """Fractional digits of a timestamp(p): the caster's 0, 3 or 6 that hold p (6 when unsaid)."""
    p = 6 if typmod < 0 else typmod
    return 0 if p == 0 else 3 if p <= 3 else 6


def _timestamp(typmod: int) -> Mapped:
    p = 6 if typmod < 0 else typmod
    return Mapped(t("DateTime64", _precision(typmod)), "timestamp_ms" if p <= 3 else "timestamp_us")


def _timestamptz(typmod: int) -> Mapped:
    return Mapped(t("DateTime64", _precision(typmod), "UTC"), "zoned")


MODIFIED = {"numeric": _numeric, "timestamp": _timestamp, "timestamptz": _timestamptz}
"""Types whose ClickHouse type depends on the modifier (precision, scale)."""


def scalar(source: SourceType) -> Mapped | None:
    """The mapping of a non-array type, None when it has none."""
    if source.enum:
        return Mapped(t("LowCardinality", t("String")), "plain")
    if source.name in MODIFIED:
        return MODIFIED[source.name](source.typmod)
    return SCALARS.get(source.name)


def mapped(source: SourceType, not_null: bool) -> Mapped | None:
    """The ClickHouse type of a column of this type (Nullable unless NOT NULL), None without a mapping."""
    found = scalar(source)
    if found is None:
        return None
    typ = t("Array", nullable(found.type)) if source.array else found.type
    return Mapped(typ if not_null else nullable(typ), found.encoding)


def unmappable(table: str, column: str, source: SourceType) -> str:
    """The message for a column whose type has no ClickHouse mapping."""
    return (f"column `{table}.{column}` is `{source.display}`, which has no ClickHouse mapping: change its type in "
            f"PostgreSQL to one `docs/cdc.md` lists (e.g. text or jsonb), or leave the column out with "
            f"`--exclude-column {column}`")


ZERO: dict[str, object] = {"Bool": False, "String": "", "UUID": "00000000-0000-0000-0000-000000000000",
                           "Date32": "1970-01-01", "DateTime64": "1970-01-01 00:00:00", "Array": [], "Float64": 0.0,
                           "Decimal": 0}
"""A value each type takes, in the caster's input form: what a delete event's non-key columns get
when PostgreSQL sends only the key (the row is gone after FINAL, so the value is never read)."""


def zero(typ: CHType) -> object:
    """The placeholder value of a non-Nullable column (integers: 0)."""
    return ZERO.get(typ.inner().name, 0)


VERSION, DELETED = "_version", "_is_deleted"
BOOKKEEPING = {VERSION: parse_type("UInt64"), DELETED: parse_type("UInt8")}
"""The columns ReplacingMergeTree keys its versions on: the change's LSN, and 1 for a delete."""
