"""`load_file` (ClickHouse proves the lines that fit, the caster explains the rest) against `load` (the
caster alone): the same rows stored, the same rejects with the same reasons, line for line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotlight_nifi.cast import json_bytes
from spotlight_nifi.clickhouse import bulk
from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.clickhouse.fit import compile_fit
from spotlight_nifi.clickhouse.tables import LoadSummary, load, table_columns
from spotlight_nifi.errors import InputDataError
from spotlight_nifi.infer.ddl import create_table
from spotlight_nifi.infer.names import quote
from spotlight_nifi.infer.reader import parse_lines
from spotlight_nifi.infer.types import Column, parse_type

VALUES: dict[str, list[str]] = {
    "UInt8": ["0", "255", "256", "-1", "1.0", "1e2", '"5"', "true", "null", "-0", "[1]", "{}", "18446744073709551616"],
    "Int8": ["-128", "127", "-129", "true"],
    "Int32": ["-2147483648", "2147483647", "2147483648", "1.5", "-0"],
    "UInt32": ["4294967295", "4294967296", "-5"],
    "Int64": ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", '"1"'],
    "UInt64": ["18446744073709551615", "18446744073709551616", "9223372036854775808", "-1", "0"],
    "Float64": ["1.5", "5", "-5", "-0", "0.0", "9007199254740992", "9007199254740993", "1e300", "1e400", "-0.0", "0.1", '"1.5"',
                "true", "1E5", "18446744073709551615", "1.7976931348623157e308", "5e-324", "43.365", "1.10", "2.5e-7"],
    "Bool": ["true", "false", "1", "0", '"true"', "null"],
    "String": ['"x"', '""', "5", "true", '"\\u00e9\\n\\u0000`\'"', '"\\ud83d\\ude00"', '"\\ud800"', '"a/b"', '"a\\/b"',
               "[1]", '{"a":1}', '"12345678901234567890"', "12345678901234567890", '"\\u00e9"', '"é"', '"tab\\t"',
               '"raw\ttab"', "null", '"a, b"', '"k: v"', '"a,b"', '"k:v"', '"\\", \\""'],
    "LowCardinality(String)": ['"x"', "1"],
    "UUID": ['"8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d"', '"8A7D0B2E-1C9F-4C6A-9D8B-3E2F1A0B9C7D"',
             '"8a7d0b2e1c9f4c6a9d8b3e2f1a0b9c7d"', '"{8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d}"', "5"],
    "IPv4": ['"10.0.0.1"', '"10.0.0.01"', '"256.1.1.1"', '"1.2.3"', "167772161", '"0.0.0.0"', '"255.255.255.255"', '" 1.2.3.4"'],
    "Date": ['"2024-02-29"', '"2023-02-29"', '"1969-12-31"', '"1970-01-01"', '"2149-06-06"', '"2149-06-07"',
             '"2024-1-01"', "19000", '"２０２４-01-01"'],
    "Date32": ['"1900-01-01"', '"1899-12-31"', '"2299-12-31"', '"2300-01-01"'],
    "DateTime64(3, 'UTC')": ['"2024-01-01T00:00:00.5Z"', '"2024-01-01 00:00:00"', '"2024-01-01T00:00:00.1234Z"',
                             '"2024-01-01T24:00:00Z"', '"2024-02-30T00:00:00Z"', '"2024-01-01T00:00:60Z"',
                             '"2024-01-01T00:00:00+01:00"', '"2024-01-01T00:00:00-00:00"', '"1899-12-31T23:59:59Z"',
                             '"2299-12-31T23:59:59.999Z"', "1609459200.5", "1609459200123", "12",
                             '"2024-01-01t00:00:00Z"', '"2024-01-01T00:00:00.000+00:00"', '"2024-01-01T00:00:00.074Z"'],
    "DateTime64(0, 'UTC')": ['"2024-01-01T00:00:00.5Z"', '"2024-01-01T00:00:00Z"'],
    "DateTime64(6, 'UTC')": ['"2024-01-01T00:00:00.123456Z"', '"2024-01-01T00:00:00.1234567Z"'],
    "Nullable(UInt8)": ["null", "1", "300"],
    "Nullable(String)": ["null", '"x"', "1"],
    "LowCardinality(Nullable(String))": ["null", '"x"', "1"],
    "Array(String)": ["[]", '["a","b"]', '["a",1]', "[null]", "null", '"a"', '[["a"]]', '["12345678901234567890"]'],
    "Array(Int32)": ["[1,-2]", "[1.0]", "[2147483648]", "[]", "[true]"],
    "Array(LowCardinality(String))": ['["x"]', "[]"],
}
"""JSON texts of values for a column of each type the engine proves: the caster's own cases and
the spellings ClickHouse's parsers are lenient with (quoted numbers, floats for integers, bools
as numbers, integers beyond 64 bits, escapes, date-times it would re-spell)."""
SHAPES = ['{{"c":{}}}', '{{"c": {}}}', '{{"c":{},"d":1}}', '{{"d":1,"c":{}}}', '{{"c":{},"c":{}}}', "{{\"c\":{}}}\r"]
"""Each value in a compact line, spaced, with an unknown key before or after it, twice, and with CRLF."""
RECORDS = ["{}", "[1]", "", "  ", "not json", '{"c":', "null", "5", '{"e":{"c":1}}']


def _table(db: Embedded, table: str, columns: list[Column]) -> None:
    db.command(f"DROP TABLE IF EXISTS {quote(table)}")
    db.command(create_table(table, columns))


def _stored(db: Embedded, table: str) -> list[str]:
    return [row[0] for row in db.query(f"SELECT formatRow('JSONEachRow', *) AS r FROM {quote(table)} ORDER BY r")]


def _both(db: Embedded, tmp_path: Path, columns: list[Column], lines: list[str] | bytes) -> tuple[LoadSummary, LoadSummary]:
    """Load `lines` (or a file's bytes) with `load_file` into `fast` and with `load` into `caster` (the
    same columns); assert the same rows, rejects and counts."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(lines if isinstance(lines, bytes) else "\n".join(lines).encode() + b"\n")
    _table(db, "fast", columns)
    _table(db, "caster", columns)
    assert compile_fit(table_columns(db, "fast")) is not None, "the engine proves none of these columns"
    fast = bulk.load_file(db, "fast", path, tmp_path / "fast.rejects", skip_invalid=True)
    caster = load(db, "caster", parse_lines(str(path), path.read_bytes(), skip_invalid=True), tmp_path / "caster.rejects")
    assert (fast.read, fast.loaded, fast.rejected) == (caster.read, caster.loaded, caster.rejected)
    assert _stored(db, "fast") == _stored(db, "caster")
    rejects = [(tmp_path / f"{side}.rejects") for side in ("fast", "caster")]
    assert [p.read_text() if p.exists() else None for p in rejects[:1]] == [p.read_text() if p.exists() else None for p in rejects[1:]]
    return fast, caster


@pytest.fixture(params=[bulk.CASTER_DOUBTS, 0], ids=["caster-explains", "engine-reads-doubts"])
def doubts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Both ways the lines the fast pass cannot prove are handled: straight to the caster, or through
    the engine's Dynamic reading first."""
    monkeypatch.setattr(bulk, "CASTER_DOUBTS", request.param)
    return int(request.param)


@pytest.mark.parametrize("type_text", list(VALUES))
def test_every_value_lands_as_the_caster_says(db: Embedded, tmp_path: Path, doubts: int, type_text: str) -> None:
    lines = [shape.format(*[value] * shape.count("{}")) for value in VALUES[type_text] for shape in SHAPES]
    fast, _ = _both(db, tmp_path, [Column("c", parse_type(type_text), ("c",))], lines + RECORDS)
    assert fast.loaded and fast.rejected


def test_nested_objects_and_missing_fields(db: Embedded, tmp_path: Path, doubts: int) -> None:
    columns = [Column("id", parse_type("UInt32"), ("id",)), Column("a__b", parse_type("String"), ("a", "b")),
               Column("a__c", parse_type("Nullable(Int64)"), ("a", "c")), Column("t", parse_type("Array(String)"), ("t",))]
    lines = ['{"id":1,"a":{"b":"x","c":2},"t":["p"]}', '{"id":2,"a":{"b":"x"},"t":[]}', '{"id":3,"a":{"b":"x","c":null},"t":[]}',
             '{"id":4,"t":[]}', '{"id":5,"a":null,"t":[]}', '{"id":6,"a":"x","t":[]}', '{"id":7,"a":{},"t":[]}',
             '{"id":8,"a":{"b":"x","z":1},"t":[]}', '{"a":{"b":"x","c":2},"id":9,"t":["q"]}',
             '{"id":10,"a":{"c":3,"b":"y"},"t":["r"]}', '{"id":11,"a":{"b":"x","b":"y"},"t":[]}', '{"id":12,"a":{"b":"x"}}',
             '{"id":13,"a":{"b":"x, y: z","c":2},"t":["p, q"]}']
    _both(db, tmp_path, columns, lines + [line.replace(",", ", ").replace(":", ": ") for line in lines])


RECORD_STRATEGY = st.fixed_dictionaries({}, optional={
    "n": st.one_of(st.integers(-300, 300), st.integers(-(2**70), 2**70), st.booleans(), st.none(), st.just(1.0)),
    "f": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**60), 2**60), st.text(max_size=3)),
    "s": st.one_of(st.text(max_size=8), st.integers(), st.none()),
    "d": st.one_of(st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01 00:00:00.123", "2024-13-01T00:00:00Z"]),
                   st.integers(0, 2 * 10**12)),
    "a": st.one_of(st.lists(st.one_of(st.text(max_size=3), st.integers(0, 3)), max_size=3), st.none()),
    "x": st.integers(),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(RECORD_STRATEGY, st.booleans()), min_size=1, max_size=30))
def test_random_records_land_as_the_caster_says(db: Embedded, tmp_path: Path, records: list[tuple[dict, bool]]) -> None:
    columns = [Column("n", parse_type("Int16"), ("n",)), Column("f", parse_type("Nullable(Float64)"), ("f",)),
               Column("s", parse_type("LowCardinality(String)"), ("s",)), Column("d", parse_type("DateTime64(3, 'UTC')"), ("d",)),
               Column("a", parse_type("Array(String)"), ("a",))]
    lines = [json_bytes(r).decode().replace(",", ", ") if spaced else json_bytes(r).decode() for r, spaced in records]
    _both(db, tmp_path, columns, lines)


def test_an_invalid_line_stops_the_load_before_anything_changes(db: Embedded, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": 1}\n{"id": 2}\n{"id": \n{"id": 4}\n')
    db.command("DROP TABLE IF EXISTS never")
    with pytest.raises(InputDataError) as error:
        bulk.load_file(db, "never", path, tmp_path / "r")
    with pytest.raises(InputDataError) as expected:
        parse_lines(str(path), path.read_bytes())
    assert str(error.value) == str(expected.value)
    assert table_columns(db, "never") is None
    _table(db, "kept", [Column("id", parse_type("UInt8"), ("id",))])
    with pytest.raises(InputDataError):
        bulk.load_file(db, "kept", path, tmp_path / "r")
    assert _stored(db, "kept") == []


def test_records_beyond_the_sample_evolve_a_new_table(db: Embedded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "SAMPLE", 2)
    path = tmp_path / "grow.jsonl"
    path.write_bytes(b'{"id": 1, "k": true}\n{"id": 2, "k": false}\n{"id": 3, "k": true, "tag": "t"}\n'
                     b'{"id": 70000, "k": true}\n{"id": 4, "k": "x"}\n')
    db.command("DROP TABLE IF EXISTS grown")
    summary = bulk.load_file(db, "grown", path, tmp_path / "r.jsonl")
    assert (summary.created, summary.read, summary.loaded, summary.rejected) == (True, 5, 4, 1)
    assert {c.name: str(c.type) for c in table_columns(db, "grown") or []} == {"id": "UInt32", "k": "Bool", "tag": "Nullable(String)"}
    assert '"line":5' in (tmp_path / "r.jsonl").read_text() and "is a string, not a boolean" in (tmp_path / "r.jsonl").read_text()


def test_an_existing_table_rejects_records_beyond_the_sample_without_evolve(db: Embedded, tmp_path: Path) -> None:
    _table(db, "fixed", [Column("id", parse_type("UInt8"), ("id",))])
    path = tmp_path / "more.jsonl"
    path.write_bytes(b'{"id": 1}\n{"id": 2, "tag": "t"}\n')
    summary = bulk.load_file(db, "fixed", path, tmp_path / "r.jsonl")
    assert (summary.loaded, summary.rejected, summary.plan) == (1, 1, None)
    assert "field `tag` has no column" in (tmp_path / "r.jsonl").read_text()
    summary = bulk.load_file(db, "fixed", path, tmp_path / "r.jsonl", evolve=True)
    assert (summary.loaded, summary.rejected) == (2, 0)
    assert summary.plan is not None and [s.kind for s in summary.plan.steps] == ["add"]


def test_loading_a_file_twice_stores_it_twice(db: Embedded, tmp_path: Path) -> None:
    _table(db, "twice", [Column("id", parse_type("UInt8"), ("id",))])
    path = tmp_path / "same.jsonl"
    path.write_bytes(b'{"id":1}\n{"id":2}\n')
    for _ in range(2):
        bulk.load_file(db, "twice", path, tmp_path / "r")
    assert len(_stored(db, "twice")) == 4
    assert not [t for (t,) in db.query("SHOW TABLES") if t.startswith("_spotlight_load_")]


def test_a_change_clickhouse_refuses_beyond_the_sample_rejects_its_records(db: Embedded, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample puts `at` in the sort key; a later record without it cannot make it Nullable."""
    monkeypatch.setattr(bulk, "SAMPLE", 2)
    path = tmp_path / "keyed.jsonl"
    path.write_bytes(b'{"at": "2024-01-01T00:00:00Z", "n": 1}\n{"at": "2024-01-02T00:00:00Z", "n": 2}\n'
                     b'{"n": 3}\n{"at": "2024-01-03T00:00:00Z", "n": 4, "new": "x"}\n')
    db.command("DROP TABLE IF EXISTS keyed")
    summary = bulk.load_file(db, "keyed", path, tmp_path / "r.jsonl")
    assert (summary.read, summary.loaded, summary.rejected) == (4, 3, 1)
    assert summary.plan is not None and [s.kind for s in summary.plan.steps] == ["add"]
    assert "ALTER of key column" in summary.plan.render()
    assert "field `at` is missing and column `at` is not Nullable" in (tmp_path / "r.jsonl").read_text()


@pytest.mark.parametrize("data", [b'\xef\xbb\xbf{"c":1}\n{"c":2}\n', b'{"c":1}\n{"c":2}', b'{"c":1}\n\n\n', b'{"c":1}\r\n{"c":300}\r\n',
                                  b'   \n{"c":1}\n'], ids=["bom", "no-final-newline", "blank-tail", "crlf", "blank-head"])
def test_files_laid_out_unusually(db: Embedded, tmp_path: Path, data: bytes) -> None:
    _both(db, tmp_path, [Column("c", parse_type("UInt8"), ("c",))], data)
