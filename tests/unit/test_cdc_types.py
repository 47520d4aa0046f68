"""PostgreSQL → ClickHouse types for change data capture: every mapped type, nullability, arrays, refusals."""

from __future__ import annotations

import pytest

from spotlight_nifi.cast import converter
from spotlight_nifi.cdc.types import SCALARS, SourceType, mapped, unmappable, zero
from spotlight_nifi.infer.types import parse_type


def numeric(precision: int, scale: int) -> int:
    """The `atttypmod` PostgreSQL stores for numeric(precision, scale)."""
    return (precision << 16 | scale) + 4


CASES = [
    (SourceType("int2", "smallint"), "Int16", "plain"),
    (SourceType("int4", "integer"), "Int32", "plain"),
    (SourceType("int8", "bigint"), "Int64", "plain"),
    (SourceType("float4", "real"), "Float64", "plain"),
    (SourceType("float8", "double precision"), "Float64", "plain"),
    (SourceType("bool", "boolean"), "Bool", "plain"),
    (SourceType("uuid", "uuid"), "UUID", "plain"),
    (SourceType("date", "date"), "Date32", "date"),
    (SourceType("time", "time without time zone"), "Int64", "plain"),
    (SourceType("numeric", "numeric(12,2)", numeric(12, 2)), "Decimal(12, 2)", "decimal"),
    (SourceType("numeric", "numeric(38,0)", numeric(38, 0)), "Decimal(38, 0)", "decimal"),
    (SourceType("numeric", "numeric"), "String", "plain"),
    (SourceType("timestamp", "timestamp without time zone"), "DateTime64(6)", "timestamp_us"),
    (SourceType("timestamp", "timestamp(0) without time zone", 0), "DateTime64(0)", "timestamp_ms"),
    (SourceType("timestamp", "timestamp(2) without time zone", 2), "DateTime64(3)", "timestamp_ms"),
    (SourceType("timestamp", "timestamp(3) without time zone", 3), "DateTime64(3)", "timestamp_ms"),
    (SourceType("timestamp", "timestamp(4) without time zone", 4), "DateTime64(6)", "timestamp_us"),
    (SourceType("timestamptz", "timestamp with time zone"), "DateTime64(6, 'UTC')", "zoned"),
    (SourceType("timestamptz", "timestamp(3) with time zone", 3), "DateTime64(3, 'UTC')", "zoned"),
    (SourceType("mood", "mood", enum=True), "LowCardinality(String)", "plain"),
    (SourceType("int4", "integer[]", array=True), "Array(Nullable(Int32))", "plain"),
    (SourceType("text", "text[]", array=True), "Array(Nullable(String))", "plain"),
    (SourceType("numeric", "numeric(10,3)[]", numeric(10, 3), array=True), "Array(Nullable(Decimal(10, 3)))", "decimal"),
    (SourceType("date", "date[]", array=True), "Array(Nullable(Date32))", "date"),
    (SourceType("mood", "mood[]", array=True, enum=True), "Array(LowCardinality(Nullable(String)))", "plain"),
    *((SourceType(name, name), "String", "plain") for name in ("text", "varchar", "bpchar", "name", "json", "jsonb",
                                                               "bytea", "interval", "inet", "cidr", "macaddr",
                                                               "macaddr8", "timetz", "xml")),
]


@pytest.mark.parametrize(("source", "clickhouse", "encoding"), CASES, ids=lambda case: getattr(case, "display", None))
def test_a_not_null_column_takes_the_type_itself(source: SourceType, clickhouse: str, encoding: str) -> None:
    found = mapped(source, not_null=True)
    assert found is not None and (str(found.type), found.encoding) == (clickhouse, encoding)


@pytest.mark.parametrize(("source", "nullable"), [
    (SourceType("int4", "integer"), "Nullable(Int32)"),
    (SourceType("mood", "mood", enum=True), "LowCardinality(Nullable(String))"),
    (SourceType("int4", "integer[]", array=True), "Variant(Array(Nullable(Int32)))"),
    (SourceType("numeric", "numeric(12,2)", numeric(12, 2)), "Nullable(Decimal(12, 2))"),
])
def test_a_nullable_column_keeps_null_apart(source: SourceType, nullable: str) -> None:
    found = mapped(source, not_null=False)
    assert found is not None and str(found.type) == nullable


def test_every_scalar_in_the_table_is_a_type_clickhouse_parses() -> None:
    for name, typed in SCALARS.items():
        assert parse_type(str(typed.type)) == typed.type, name


@pytest.mark.parametrize("name", ["point", "int4range", "tsvector", "hstore", "money", "oid", "box"])
def test_a_type_without_a_mapping_has_none(name: str) -> None:
    assert mapped(SourceType(name, name), not_null=True) is None
    assert mapped(SourceType(name, f"{name}[]", array=True), not_null=False) is None


def test_the_unmappable_message_names_the_column_its_type_and_the_fix() -> None:
    assert unmappable("public.places", "location", SourceType("point", "point")) == (
        "column `public.places.location` is `point`, which has no ClickHouse mapping: change its type in PostgreSQL "
        "to one `docs/cdc.md` lists (e.g. text or jsonb), or leave the column out with `--exclude-column location`")


@pytest.mark.parametrize(("typ", "value"), [("Int32", 0), ("Bool", False), ("String", ""), ("Decimal(12, 2)", 0),
                                            ("Date32", "1970-01-01"), ("DateTime64(6, 'UTC')", "1970-01-01 00:00:00"),
                                            ("Array(Nullable(Int32))", []), ("LowCardinality(String)", ""),
                                            ("UUID", "00000000-0000-0000-0000-000000000000")])
def test_each_type_has_a_placeholder_its_caster_takes(typ: str, value: object) -> None:
    parsed = parse_type(typ)
    assert zero(parsed) == value
    converter(parsed)(zero(parsed))
