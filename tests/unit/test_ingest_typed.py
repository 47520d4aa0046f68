"""The typed fast path: a record it takes is one the caster takes, with the same row; it never names a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spotlight_nifi.cast import compile_caster, json_bytes, render_row
from spotlight_nifi.infer.reader import parse_json
from spotlight_nifi.infer.types import Column, parse_type
from spotlight_nifi.ingest import envelope
from spotlight_nifi.ingest.batch import Source, cast_batch, cast_item, read_batch, read_head, read_line
from spotlight_nifi.ingest.steps import cast_records
from spotlight_nifi.ingest.typed import WIDE, typed_reader

COLUMNS = [
    Column("id", parse_type("UInt8"), ("id",)),
    Column("big", parse_type("Int128"), ("big",)),
    Column("u64", parse_type("UInt64"), ("u64",)),
    Column("f", parse_type("Float64"), ("f",)),
    Column("nf", parse_type("Nullable(Float64)"), ("nf",)),
    Column("s", parse_type("LowCardinality(Nullable(String))"), ("s",)),
    Column("ok", parse_type("Bool"), ("ok",)),
    Column("uuid", parse_type("UUID"), ("uuid",)),
    Column("a__ip", parse_type("IPv4"), ("a", "ip")),
    Column("a__at", parse_type("DateTime64(3, 'UTC')"), ("a", "at")),
    Column("a__b__at0", parse_type("Nullable(DateTime64(0))"), ("a", "b", "at0")),
    Column("a__b__at6", parse_type("Nullable(DateTime64(6, 'UTC'))"), ("a", "b", "at6")),
    Column("ints", parse_type("Array(Nullable(UInt16))"), ("ints",)),
    Column("strs", parse_type("Array(String)"), ("strs",)),
    Column("day", parse_type("Nullable(Date)"), ("day",)),
    Column("price", parse_type("Nullable(Decimal(10, 2))"), ("price",)),
    Column("v6", parse_type("Nullable(IPv6)"), ("v6",)),
    Column("raw", parse_type("Nullable(String)"), ("raw",), True),
]
CASTER = compile_caster(COLUMNS)
SOURCED = compile_caster([*COLUMNS[:3], Column("_kafka_topic", parse_type("LowCardinality(String)"), ("_kafka_topic",)),
                          Column("_kafka_offset", parse_type("UInt64"), ("_kafka_offset",))])

TIMES = ["2024-02-29T23:59:59.123Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2000-02-29 12:00:00+00:00",
         "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z",
         "2024-01-01T00:00:00.1234Z", "2024-01-01T00:00:00.123456Z", "2024-01-01T00:00:00", "2024-01-01t00:00:00z",
         "2024-01-01T00:00:00+01:00", "2299-12-31T23:59:59Z", "2300-01-01T00:00:00Z", "1899-12-31T23:59:59Z",
         "2024-01-01T00:00:00.5Z\n", "２０２４-01-01T00:00:00Z", 1609459200, 1609459200123, 1609459200.5]
VALUES = {
    "id": [0, 255, 256, -1, 1.0, True, "1", None],
    "big": [2**100, -(2**127), 2**127, 0, 1.5, None],
    "u64": [2**64 - 1, 2**64, 2**63, -1, None],
    "f": [1.5, 2**53, 2**53 + 1, -(2**53), 10**400, True, "1", None],
    "nf": [None, 0, 0.1, 2**60],
    "s": [None, "", "x", "é\u2028", 1, ["x"]],
    "ok": [True, False, 0, "true", None],
    "uuid": ["8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d", "8A7D0B2E-1C9F-4C6A-9D8B-3E2F1A0B9C7D",
             "8a7d0b2e1c9f4c6a9d8b3e2f1a0b9c7d", "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d\n", None],
    "ip": ["10.0.0.1", "255.255.255.255", "10.0.0.256", "010.0.0.1", "10.0.0.1\n", "١٠.0.0.1", "::1", None],
    "at": TIMES, "at0": [None, *TIMES], "at6": [None, *TIMES],
    "ints": [[], [1, None, 65535], [65536], [1.0], None, "x"],
    "strs": [[], ["a", "b"], ["a", 1], [None], None],
    "day": [None, "2024-02-29", "2023-02-29", "1969-12-31", "2150-01-01", 19000],
    "price": [None, 1.25, 7, 1.234, 10**9, "1.5"],
    "v6": [None, "::1", "2001:db8::1", "2001:DB8::1", "::ffff:10.0.0.1", "10.0.0.1"],
    "raw": [None, 1, "x", {"k": [1, 2**70]}, [True]],
}


FITS = {"id": [0, 255], "big": [2**100, -(2**127), 0], "u64": [2**64 - 1, 0], "f": [1.5, 2**53, -(2**53)],
        "nf": [None, 0, 0.1], "s": [None, "", "é\u2028"], "ok": [True, False], "uuid": VALUES["uuid"][:1],
        "ip": ["10.0.0.1", "255.255.255.255"], "at": [TIMES[0], TIMES[3], TIMES[10], TIMES[18]],
        "at0": [None, TIMES[3], TIMES[10], TIMES[13]], "at6": [None, TIMES[0], TIMES[9], TIMES[20]],
        "ints": [[], [1, None, 65535]], "strs": [[], ["a", "b"]], "day": [None, "2024-02-29"],
        "price": [None, 1.25, 7], "v6": [None, "::1"], "raw": [None, 1, {"k": [1, 2**70]}]}
"""Values that fit their column, to build records that fit but for the changes drawn."""


TOP = ("id", "big", "u64", "f", "ok", "uuid", "ints", "strs")
OPTIONAL = ("nf", "s", "day", "price", "v6", "raw")
NESTED = st.fixed_dictionaries({"ip": st.sampled_from(FITS["ip"]), "at": st.sampled_from(FITS["at"])},
                               optional={"b": st.fixed_dictionaries({}, optional={
                                   "at0": st.sampled_from(FITS["at0"]), "at6": st.sampled_from(FITS["at6"])})})
FITTING_RECORDS = st.fixed_dictionaries({name: st.sampled_from(FITS[name]) for name in TOP} | {"a": NESTED},
                                        optional={name: st.sampled_from(FITS[name]) for name in OPTIONAL})


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A record that fits `COLUMNS`, or does not in a few ways: a value of any of the column's cases, a
    field dropped or too many, an object missing or not an object."""
    record = draw(FITTING_RECORDS)
    for _ in range(draw(st.integers(0, 2))):
        change = draw(st.sampled_from(["value", "nested value", "drop", "extra", "object"]))
        if change == "value":
            name = draw(st.sampled_from([*TOP, *OPTIONAL]))
            record[name] = draw(st.sampled_from(VALUES[name]))
        elif change == "nested value":
            name = draw(st.sampled_from(["ip", "at", "at0", "at6"]))
            node = record.get("a")
            if type(node) is dict and name not in ("ip", "at"):
                node = node.setdefault("b", {})
            if type(node) is dict:
                node[name] = draw(st.sampled_from(VALUES[name]))
        elif change == "drop":
            record.pop(draw(st.sampled_from(sorted(record))))
        elif change == "extra":
            record[draw(st.sampled_from(["extra", "_kafka_topic"]))] = draw(st.sampled_from([None, 1]))
        else:
            record["a"] = draw(st.sampled_from([None, 1, {}, {"ip": "10.0.0.1", "at": TIMES[0], "b": None}]))
    return record


RECORDS = records()
FITTING = {"id": 1, "big": 2**100, "u64": 2**64 - 1, "f": 2**53, "ok": True, "uuid": VALUES["uuid"][0],
           "a": {"ip": "10.0.0.1", "at": TIMES[0], "b": {"at0": "2000-02-29 12:00:00+00:00", "at6": TIMES[9]}},
           "ints": [1, None], "strs": ["a"], "day": "2024-02-29", "price": 1.25, "v6": "::1", "raw": {"k": 2**70},
           "s": "é\u2028", "nf": 0}


def _instants(value: Any) -> Any:
    """A row's values as ClickHouse reads them: times as instants, whatever their ISO spelling."""
    if type(value) is list:
        return [_instants(v) for v in value]
    if type(value) is str and len(value) >= 19 and value[4] == "-" and value[10] in "T ":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _row(line: bytes) -> Any:
    return _instants(parse_json(line))


def _expected(record: Any, caster: Any = CASTER) -> tuple[Any, str | None]:
    """What the caster makes of the record read from its line: (row, None) or (None, reason)."""
    item, row = cast_item(read_line(json_bytes(record), Source("t", 1, 9)), caster)
    return (None, item.reason) if row is None else (_row(render_row(row)), None)


FAST, FAST_SOURCED = typed_reader(CASTER), typed_reader(SOURCED)


@settings(max_examples=600)
@given(RECORDS)
@example(FITTING)
def test_what_the_fast_path_takes_the_caster_takes_with_the_same_row(record: dict[str, Any]) -> None:
    line = FAST.line(json_bytes(record), Source("t", 1, 9))  # type: ignore[union-attr]
    row, reason = _expected(record)
    if line is None:
        return
    written = parse_json(line)
    assert reason is None
    assert written["source"] == Source("t", 1, 9).as_json()
    assert written["value"] == record
    assert _instants(written["row"]) == row


def test_the_fast_path_takes_what_fits_and_writes_its_row_for_clickhouse() -> None:
    line = FAST.line(json_bytes(FITTING), Source("t", 1, 9))  # type: ignore[union-attr]
    assert line is not None
    row = parse_json(line)["row"]
    assert row[:4] == [1, 2**100, 2**64 - 1, 2**53]
    assert row[7:10] == [VALUES["uuid"][0], "10.0.0.1", TIMES[0]]
    assert _instants(row) == _expected(FITTING)[0]


def test_the_fast_path_takes_a_fitting_record_with_its_source() -> None:
    """So that the property below, which compares only what the fast path takes, compares something."""
    record = {name: VALUES[name][0] for name in ("id", "big", "u64")}
    assert FAST_SOURCED.line(json_bytes(record), Source("t", 1, 9)) is not None  # type: ignore[union-attr]


@settings(max_examples=200)
@given(st.fixed_dictionaries({name: st.sampled_from(VALUES[name]) for name in ("id", "big", "u64")},
                             optional={"_kafka_topic": st.just("t"), "_kafka_offset": st.just(1)}),
       st.sampled_from([Source("t", 1, 9), Source(None, None, None), Source("t", 1, -1), Source(3, 1, 9)]))
def test_coordinate_columns_come_from_the_source_as_the_caster_fills_them(record: dict[str, Any],
                                                                         source: Source) -> None:
    line = FAST_SOURCED.line(json_bytes(record), source)  # type: ignore[union-attr]
    _, row = cast_item(read_line(json_bytes(record), source), SOURCED)
    if line is not None:
        assert row is not None and parse_json(line)["row"] == parse_json(render_row(row))


def _wrapper(record: Any, offset: int, key: Any = None) -> bytes:
    return json_bytes({"key": key, "value": record, "headers": {},
                       "metadata": {"topic": "orders", "partition": 2, "offset": offset, "timestamp": 17}})


def _decoded(content: bytes | bytearray) -> list[tuple[Any, ...]]:
    return [(e.source, e.value, e.reason, e.payload, e.repairs) for e in envelope.decode(bytes(content))]


@settings(max_examples=100)
@given(st.lists(st.tuples(RECORDS, st.sampled_from(["wrapped", "plain", "padded", "broken"]),
                          st.sampled_from([None, "k", [1, -2]])), max_size=8))
def test_a_flowfile_gets_the_envelope_it_got_before_plus_rows(lines: list[tuple[dict[str, Any], str, Any]]) -> None:
    def line(record: dict[str, Any], kind: str, key: Any, n: int) -> bytes:
        if kind == "wrapped":
            return _wrapper(record, n, key)
        text = json_bytes(record)
        return {"plain": text, "padded": b" " + text + b" \r", "broken": text[:-1] + b",}"}[kind]

    content = b"\n".join(line(*entry, n) for n, entry in enumerate(lines))
    before = envelope.encode(cast_batch(read_batch(content), CASTER))
    head, rest = read_head(content, 0)
    now = cast_records(head, rest, CASTER).content()
    assert _decoded(now) == _decoded(before)
    fitting = envelope.fitting(before)
    rows = [row for text, _ in envelope.row_batches(bytes(now), 3) for row in text.splitlines()]
    assert [_row(row) for row in rows] == [_row(render_row(CASTER.cast(line["value"]))) for line in fitting]


def test_a_fitting_line_without_its_row_or_not_an_envelope_line_is_refused() -> None:
    with pytest.raises(ValueError, match="line 2 fits but carries no row"):
        list(envelope.row_batches(b'{"row": [1], "value": {"id": 1}}\n{"value": {"id": 2}}\n', 10))
    with pytest.raises(ValueError, match="line 1 is not an envelope line"):
        list(envelope.row_batches(b"[1]\n", 10))


def test_a_table_with_a_json_column_has_no_fast_path() -> None:
    json_table = compile_caster([Column("id", parse_type("UInt8"), ("id",)),
                                 Column("rest", parse_type("JSON(max_dynamic_paths=8)"), ())])
    assert typed_reader(json_table) is None


def test_rows_of_an_envelope_without_them_are_never_guessed() -> None:
    """An envelope of an older CastToClickHouse (no `spotlight.columns`, so InsertClickHouse casts its
    lines again): read for rows, a line that fits is refused, and misfits alone give none."""
    ids = compile_caster(COLUMNS[:1])
    with pytest.raises(ValueError, match="line 1 fits but carries no row"):
        list(envelope.row_batches(envelope.encode(cast_batch(read_batch(b'{"id": 1}\n'), ids)), 10))
    assert list(envelope.row_batches(envelope.encode(cast_batch(read_batch(b'[{"id": "x"}]'), ids)), 10)) == []


def test_a_wrapper_stays_a_wrapper_even_when_the_table_has_its_fields_as_columns() -> None:
    caster = compile_caster([Column("value", parse_type("UInt8"), ("value",)),
                             Column("metadata__topic", parse_type("String"), ("metadata", "topic"))])
    content = json_bytes({"value": 7, "metadata": {"topic": "t"}})
    head, rest = read_head(content, 0)
    now = cast_records(head, rest, caster).content()
    assert _decoded(now) == _decoded(envelope.encode(cast_batch(read_batch(content), caster)))
    assert list(envelope.row_batches(bytes(now), 10)) == []


def test_fields_follow_the_first_records_order_and_rows_the_columns_order() -> None:
    caster = compile_caster([Column(name, parse_type("UInt8"), (name,)) for name in "abc"])
    reader = typed_reader(caster, {"c": 1, "a": 2, "b": 3})
    assert reader is not None
    line = reader.line(b'{"c": 1, "a": 2, "b": 3}', Source())
    assert line is not None and parse_json(line)["row"] == [2, 3, 1]


def test_wide_records_each_in_its_own_key_order_are_left_to_the_caster() -> None:
    names = [f"c{n}" for n in range(WIDE + 1)]
    caster = compile_caster([Column(name, parse_type("UInt8"), (name,)) for name in names])
    first, second = dict.fromkeys(names, 1), dict.fromkeys(reversed(names), 1)
    assert typed_reader(caster, first, second) is None
    assert typed_reader(caster, first, {**first, "extra": 1}) is not None
    narrow = compile_caster([Column(name, parse_type("UInt8"), (name,)) for name in names[:3]])
    assert typed_reader(narrow, dict.fromkeys(names[:3], 1), dict.fromkeys(reversed(names[:3]), 1)) is not None
