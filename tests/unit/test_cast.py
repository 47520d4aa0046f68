"""The caster: every value fits exactly or the record is rejected with one reason."""

from __future__ import annotations

import re
import subprocess
import sys

from datetime import date, datetime, timezone
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from typing import Any
from uuid import UUID

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spotlight_nifi.cast import Caster, SourcedCaster, compile_caster
from spotlight_nifi.errors import RecordCastError
from spotlight_nifi.infer import detect
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
    ("Decimal(20, 4)", Decimal("1234567890123456.7891"), Decimal("1234567890123456.7891")),
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
    ("Decimal(5, 2)", Decimal("1.125"), "field `c` 1.125 does not fit Decimal(5, 2) (column `c` Decimal(5, 2))"),
    ("String", 5, "field `c` is an integer, not a string (column `c` String)"),
    ("UInt8", None, "field `c` is null and column `c` is not Nullable"),
    ("UUID", "8A7D0B2E-1C9F-4C6A-9D8B-3E2F1A0B9C7D",
     'field `c` "8A7D0B2E-1C9F-4C6A-9D8B-3E2F1A0B9C7D" is not a lowercase UUID (column `c` UUID)'),
    ("Date", "1969-12-31", 'field `c` "1969-12-31" is not an ISO date within Date (column `c` Date)'),
    ("IPv4", "10.0.0.01", 'field `c` "10.0.0.01" is not an IPv4 address (column `c` IPv4)'),
    ("IPv6", "2001:DB8::1", 'field `c` "2001:DB8::1" is not a canonical IPv6 address (column `c` IPv6)'),
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


def _outcome(type_text: str, value: Any) -> str:
    """What a one-column caster makes of `value` (repr, so time zones count too), or `rejected`."""
    try:
        return repr(caster(type_text).cast({"c": value})[0])
    except RecordCastError:
        return "rejected"


def _expected(value: str, accepts: bool, make: Any) -> str:
    """The outcome the detection predicates prescribe (the caster before its fast paths)."""
    return repr(make(value)) if accepts else "rejected"


OCTETS = st.one_of(st.integers(0, 300).map(str), st.sampled_from(["00", "01", "099", "٣", "1 ", "", "0x1", "+1"]))
IPV4_LIKE = st.one_of(st.lists(OCTETS, min_size=4, max_size=4).map(".".join),
                      st.lists(OCTETS, min_size=1, max_size=5).map(".".join), st.text(max_size=16))


@given(IPV4_LIKE)
def test_ipv4_accepts_exactly_what_detection_accepts(text: str) -> None:
    assert _outcome("IPv4", text) == _expected(text, detect.ipv4(text) is not None, IPv4Address)


IPV6_LIKE = st.one_of(st.ip_addresses(v=6).map(str), st.ip_addresses(v=6).map(lambda a: a.exploded),
                      st.ip_addresses(v=6).map(lambda a: str(a).upper()),
                      st.text(alphabet="0123456789abcdefABCDEF:.", max_size=40))


@given(IPV6_LIKE)
def test_ipv6_accepts_exactly_what_detection_accepts(text: str) -> None:
    assert _outcome("IPv6", text) == _expected(text, detect.ipv6(text) is not None, IPv6Address)


def _two(n: int) -> str:
    return f"{n:02d}"


DATES = st.tuples(st.integers(1800, 2400).map(str), st.integers(0, 13).map(_two), st.integers(0, 32).map(_two))
TIMES = st.tuples(st.integers(0, 25).map(_two), st.integers(0, 61).map(_two), st.integers(0, 61).map(_two))
FRACTIONS = st.one_of(st.just(""), st.text(alphabet="0123456789", max_size=8).map(lambda d: "." + d))
SUFFIXES = st.sampled_from(["", "Z", "+00:00", "-00:00", "+01:00", "z", " "])
DATETIMES = st.builds(lambda d, sep, t, f, z: "-".join(d) + sep + ":".join(t) + f + z,
                      DATES, st.sampled_from(["T", " ", "t", "_"]), TIMES, FRACTIONS, SUFFIXES)


@pytest.mark.parametrize("precision", [0, 3, 4, 6])
@given(st.one_of(DATETIMES, st.text(max_size=32)))
def test_datetime_accepts_exactly_what_detection_accepts(precision: int, text: str) -> None:
    found = detect.iso_datetime(text)
    accepts = found is not None and found.args[0] <= precision  # type: ignore[operator]
    assert _outcome(f"DateTime64({precision}, 'UTC')", text) == _expected(text, accepts, detect.parse_datetime)


@pytest.mark.parametrize("type_text", ["Date", "Date32"])
@given(st.one_of(DATES.map("-".join), st.text(max_size=12)))
def test_date_accepts_exactly_what_detection_accepts(type_text: str, text: str) -> None:
    found = detect.iso_date(text)
    accepts = found is not None and (type_text == "Date32" or found.name == "Date")
    assert _outcome(type_text, text) == _expected(text, accepts, date.fromisoformat)


WALKED = compile_caster([
    Column("id", parse_type("UInt8"), ("id",)),
    Column("a__b", parse_type("Nullable(String)"), ("a", "b")),
    Column("a__c", parse_type("Array(UInt16)"), ("a", "c")),
    Column("a__d__e", parse_type("IPv4"), ("a", "d", "e")),
    Column("at", parse_type("Nullable(DateTime64(3, 'UTC'))"), ("at",)),
    Column("j", parse_type("String"), ("j",), True),
])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False),
                   st.sampled_from(["x", "10.0.0.1", "2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.5555Z"]),
                   st.lists(st.integers(-1, 70000), max_size=3))
KEYS = st.sampled_from(["id", "a", "b", "c", "d", "e", "at", "j", "z"])

FITTING = st.fixed_dictionaries(
    {"id": st.integers(0, 255), "j": LEAVES,
     "a": st.fixed_dictionaries({"c": st.lists(st.integers(0, 65535), max_size=3),
                                 "d": st.fixed_dictionaries({"e": st.just("10.0.0.1")})},
                                optional={"b": st.one_of(st.none(), st.text(max_size=3))})},
    optional={"at": st.sampled_from(["2024-01-01T00:00:00.5Z", "2024-01-01 00:00:00"])})


@st.composite
def near_fits(draw: st.DrawFn) -> dict[str, Any]:
    """A record that fits `WALKED`, or one change away: a field added, dropped or set to anything."""
    record = draw(FITTING)
    node = draw(st.sampled_from([record, record["a"], record["a"]["d"]]))
    change = draw(st.sampled_from(["none", "set", "drop"]))
    if change == "set":
        node[draw(KEYS)] = draw(LEAVES)
    elif change == "drop":
        del node[draw(st.sampled_from(sorted(node)))]
    return record


RECORDS = st.one_of(near_fits(), st.recursive(LEAVES, lambda inner: st.dictionaries(KEYS, inner, max_size=6), max_leaves=12))


@settings(max_examples=300)
@given(RECORDS)
@example({"id": 1, "j": 1, "a": None, "at": None})
@example({"id": 1, "j": 1, "a": {"c": [], "d": None, "b": None}, "at": None})
def test_the_fast_walk_agrees_with_the_reasoned_walk(record: Any) -> None:
    def outcome(cast: Any) -> Any:
        try:
            return cast(record)
        except RecordCastError as error:
            return error.reason

    assert outcome(WALKED.cast) == outcome(WALKED._reasoned)


HYBRID = compile_caster([
    Column("event", parse_type("LowCardinality(String)"), ("event",)),
    Column("a__id", parse_type("Nullable(UInt16)"), ("a", "id")),
    Column("json", parse_type("JSON(max_dynamic_paths=16, `a.n` Nullable(Int64), `t` Nullable(DateTime64(6, 'UTC')))"), ()),
    Column("p", parse_type("JSON(max_dynamic_paths=16, `k` Nullable(Bool))"), ("p",)),
])

JSON_FITS = [
    ({"event": "x", "a": {"id": 1, "n": 5, "z": "s"}, "q": [1, {"k": 2}]},
     ("x", 1, {"a": {"n": 5, "z": "s"}, "q": [1, {"k": 2}]}, None)),
    ({"event": "x", "t": "2024-01-01T00:00:00Z", "a.b": {"": None}, "`k`\n": 2**64 - 1},
     ("x", None, {"t": datetime(2024, 1, 1, tzinfo=UTC), "a.b": {"": None}, "`k`\n": 2**64 - 1}, None)),
    ({"event": "x", "a": "a string where columns expect an object"},
     ("x", None, {"a": "a string where columns expect an object"}, None)),
    ({"event": "x", "a": {"id": None}, "p": {"k": True, "o": {"deep": [1]}}},
     ("x", None, {}, {"k": True, "o": {"deep": [1]}})),
    ({"event": "x", "p": 5}, ("x", None, {"p": 5}, None)),
]


@pytest.mark.parametrize(("record", "row"), JSON_FITS, ids=[str(i) for i in range(len(JSON_FITS))])
def test_json_columns_take_the_fields_no_column_claims(record: dict[str, Any], row: tuple[Any, ...]) -> None:
    assert HYBRID.cast(record) == row


JSON_MISFITS = [
    ({"event": "x", "a": {"n": "5"}}, "field `a.n` is a string, not an integer (path `a.n` Nullable(Int64) of JSON column `json`)"),
    ({"event": "x", "b": {"c": [2**70]}}, f"field `b.c` {2**70} is beyond 64 bits: JSON column `json` cannot store it exactly"),
    ({"event": "x", "b": {"x%2Ey": 1}}, "field `b.x%2Ey` has `%2E` in its key, which reads back as a dot: JSON column `json` "
                                        "cannot store it exactly"),
    ({"a": {"id": 1}}, "field `event` is missing and column `event` is not Nullable"),
    ({"event": "x", "a": {"id": 70000}}, "field `a.id` 70000 is outside UInt16 [0, 65535] (column `a__id` Nullable(UInt16))"),
]


@pytest.mark.parametrize(("record", "reason"), JSON_MISFITS, ids=[r for _, r in JSON_MISFITS])
def test_what_a_json_column_cannot_hold_exactly_is_a_reason(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordCastError) as error:
        HYBRID.cast(record)
    assert error.value.reason == reason


def test_a_json_column_outside_another_takes_objects_only() -> None:
    cast = compile_caster([Column("p", parse_type("JSON"), ("p",))])
    with pytest.raises(RecordCastError) as error:
        cast.cast({"p": 5})
    assert error.value.reason == "field `p` is an integer, but its columns expect an object"


def test_json_columns_and_hints_cannot_collide_with_columns() -> None:
    json = Column("json", parse_type("JSON(`a` Nullable(Int64))"), ())
    with pytest.raises(ValueError, match="is already another JSON column"):
        compile_caster([json, Column("j2", parse_type("JSON"), ())])
    with pytest.raises(ValueError, match="is already another column"):
        compile_caster([json, Column("a", parse_type("UInt8"), ("a",))])


HYBRID_KEYS = st.sampled_from(["event", "a", "id", "n", "t", "p", "k", "x%2Ey", "z"])
HYBRID_LEAVES = st.one_of(LEAVES, st.sampled_from([2**70, -(2**63), 2**64 - 1, "2024-01-01T00:00:00Z"]))
HYBRID_RECORDS = st.recursive(HYBRID_LEAVES, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(HYBRID_KEYS, inner, max_size=5),
                              max_leaves=12).filter(lambda r: isinstance(r, dict))


@settings(max_examples=300)
@given(HYBRID_RECORDS)
@example({"event": "x", "a": {"id": 1, "n": None}, "p": None})
def test_the_fast_walk_agrees_with_the_reasoned_walk_on_json_columns(record: Any) -> None:
    def outcome(cast: Any) -> Any:
        try:
            return cast(record)
        except RecordCastError as error:
            return error.reason

    assert outcome(HYBRID.cast) == outcome(HYBRID._reasoned)


COORDINATES = [Column("id", parse_type("UInt8"), ("id",)),
               Column("_kafka_topic", parse_type("LowCardinality(String)"), ("_kafka_topic",)),
               Column("_kafka_partition", parse_type("UInt16"), ("_kafka_partition",)),
               Column("_kafka_offset", parse_type("UInt64"), ("_kafka_offset",))]


def test_coordinate_columns_take_the_records_source_and_leave_the_record_alone() -> None:
    cast = compile_caster(COORDINATES)
    record = {"id": 7}
    assert cast.cast_from(record, ("orders", 2, 41)) == (7, "orders", 2, 41)
    assert cast.cast_from({"id": 8}, ("http:b-1", 0, 3, None, None)) == (8, "http:b-1", 0, 3)
    assert record == {"id": 7}


def test_a_table_without_coordinate_columns_gets_the_plain_caster() -> None:
    assert type(compile_caster(COORDINATES[:1])) is Caster
    assert type(compile_caster([COORDINATES[0], COORDINATES[3]])) is SourcedCaster


COORDINATE_MISFITS = [
    ({"id": 1, "_kafka_offset": 5}, ("t", 0, 1),
     "field `_kafka_offset` is named like column `_kafka_offset`, kept for the record's Kafka offset: "
     "rename the field upstream"),
    ({"id": 1}, ("t", 0, None),
     "the record's Kafka offset is unknown, and column `_kafka_offset` needs it: only records read from Kafka "
     "(ConsumeKafka's wrapper records, or one message per FlowFile) or POSTed in a batch with a `Spotlight-Batch` "
     "header carry their coordinates"),
    ({"id": 1}, ("t", 70000, 1),
     "the record's Kafka partition 70000 is outside UInt16 [0, 65535] (column `_kafka_partition` UInt16)"),
    ({"id": 1}, ("t", "0", 1),
     "the record's Kafka partition is a string, not an integer (column `_kafka_partition` UInt16)"),
    ({"id": 300}, ("t", 0, 1), "field `id` 300 is outside UInt8 [0, 255] (column `id` UInt8)"),
    ({}, ("t", 0, 1), "field `id` is missing and column `id` is not Nullable"),
]


@pytest.mark.parametrize(("record", "source", "reason"), COORDINATE_MISFITS, ids=[r[:40] for *_, r in COORDINATE_MISFITS])
def test_coordinate_misfits_name_the_field_or_column(record: dict[str, Any], source: tuple[Any, ...], reason: str) -> None:
    with pytest.raises(RecordCastError) as error:
        compile_caster(COORDINATES).cast_from(record, source)
    assert error.value.reason == reason


def test_without_a_source_a_coordinates_table_takes_no_record() -> None:
    with pytest.raises(RecordCastError, match=r"^the record's Kafka topic is unknown, and column `_kafka_topic` needs it"):
        compile_caster(COORDINATES).cast({"id": 1})


def test_a_json_column_never_takes_a_field_named_like_a_coordinate_column() -> None:
    cast = compile_caster([Column("_kafka_offset", parse_type("UInt64"), ("_kafka_offset",)),
                           Column("rest", parse_type("JSON"), ())])
    assert cast.cast_from({"a": 1, "_kafka": {"topic": "mine"}}, ("t", 0, 9)) == (9, {"a": 1, "_kafka": {"topic": "mine"}})
    with pytest.raises(RecordCastError, match=r"^field `_kafka_topic` is named like column `_kafka_topic`, kept for "):
        cast.cast_from({"a": 1, "_kafka_topic": "mine"}, ("t", 0, 9))
    assert compile_caster([Column("rest", parse_type("JSON"), ())]).cast({"_kafka_topic": "mine"}) == (
        {"_kafka_topic": "mine"},)


@pytest.mark.parametrize(("type_text", "message"), [
    ("Nullable(UInt64)", "column `_kafka_offset` is Nullable(UInt64): the Kafka offset it holds needs a non-Nullable "
                         "integer column"),
    ("String", "column `_kafka_offset` is String: the Kafka offset it holds needs a non-Nullable integer column"),
])
def test_a_coordinate_column_of_the_wrong_type_is_refused_when_compiling(type_text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compile_caster([Column("_kafka_offset", parse_type(type_text), ("_kafka_offset",))])
    with pytest.raises(ValueError, match=r"^column `_kafka_topic` is UInt8: the Kafka topic it holds needs a non-Nullable "
                                         r"String column$"):
        compile_caster([Column("_kafka_topic", parse_type("UInt8"), ("_kafka_topic",))])
