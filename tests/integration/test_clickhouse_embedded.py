"""The embedded backend (chdb, the real ClickHouse engine): DDL is accepted, values round-trip."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.clickhouse.tables import evolve_table, load, table_columns, table_schema
from spotlight_nifi.errors import ClickHouseError
from spotlight_nifi.infer import Options, infer_table
from spotlight_nifi.infer.names import quote
from spotlight_nifi.infer.reader import parse_json, parse_lines
from spotlight_nifi.infer.types import CHType


def _from_clickhouse(value: Any, typ: CHType) -> Any:
    """A value as chdb's JSONEachRow prints it, back in the caster's Python types."""
    if value is None:
        return None
    name = typ.name
    if name in ("Nullable", "LowCardinality", "Variant"):
        return _from_clickhouse(value, typ.args[0])  # type: ignore[arg-type]
    if name == "Array":
        return [_from_clickhouse(v, typ.args[0]) for v in value]  # type: ignore[arg-type]
    if name == "DateTime64":
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    converters = {"Date": date.fromisoformat, "Date32": date.fromisoformat, "UUID": UUID, "IPv4": IPv4Address,
                  "IPv6": IPv6Address, "Decimal": Decimal, "Float64": float}
    return converters.get(name, lambda v: v)(value)


def _round_trip(db: Embedded, table: str, records: list[dict[str, Any]], options: Options = Options()) -> None:
    inferred = infer_table(records, table, options)
    db.command(f"DROP TABLE IF EXISTS {quote(table)}")
    db.command(inferred.create_sql)
    caster = compile_caster(inferred.columns)
    rows = [caster.cast(r) for r in records]
    db.insert(table, [c.name for c in inferred.columns], rows)
    stored = db.query(f"SELECT {', '.join(quote(c.name) for c in inferred.columns)} FROM {quote(table)}")
    back = [tuple(_from_clickhouse(v, c.type) for v, c in zip(row, inferred.columns)) for row in stored]
    key = repr
    assert sorted(back, key=key) == sorted(rows, key=key)


def test_tricky_records_round_trip(db: Embedded) -> None:
    records = [
        {"id": 1, "u": "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d", "ip": "10.0.0.1", "ip6": "2001:db8::1",
         "day": "1969-07-20", "at": "2024-01-01T00:00:00.123456Z", "created_utc": 1609459200.5,
         "big": 2**64, "huge": 2**130, "edited": False, "o": {"x": 1, "y": ["a", None]}, "m": {"k": "v"},
         "a": [[1, 2], []], "f": 0.1, "s": "é\n\x00`'", "": 1, "a.b": None},
        {"id": 2, "u": "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7e", "ip": "10.0.0.2", "ip6": "::1",
         "day": "2024-02-29", "at": "2024-01-01T00:00:01Z", "created_utc": 1609459300,
         "big": 0, "huge": -1, "edited": 1609459200.5, "o": None, "m": "x",
         "a": [], "f": -1e300, "s": "", "": 2, "a.b": {"c": True}},
    ]
    _round_trip(db, "tricky", records)


KEYS = st.text(alphabet=st.sampled_from(["a", "b", "é", "`", "'", ".", "\n", " ", "_", "\\"]), max_size=3) | st.sampled_from(
    ["ts", "created_utc"])
SPECIAL = st.sampled_from(["8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d", "10.1.2.3", "2001:db8::2", "2024-02-29",
                           "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.25Z", "x", ""])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from([2**100, -(2**100), 2**130, 10**80]),
    st.floats(allow_nan=False, allow_infinity=False), st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
    SPECIAL, st.sampled_from([1609459200, 1609459200.5, 1609459200.123456, 1609459200123]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                      max_leaves=8)
RECORDS = st.lists(st.dictionaries(KEYS, VALUES, min_size=1, max_size=4), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=RECORDS, decimal=st.booleans())
def test_any_records_make_ddl_chdb_accepts_and_round_trip(db: Embedded, records: list[dict[str, Any]], decimal: bool) -> None:
    _round_trip(db, "generated", records, Options(decimal=decimal))


def test_load_creates_then_rejects_misfits_with_reasons(db: Embedded, tmp_path: Path) -> None:
    first = parse_lines("a.jsonl", b'{"id": 1, "name": "x"}\n{"id": 2, "name": "y"}\n')
    rejects = tmp_path / "rejects.jsonl"
    summary = load(db, "loaded", first, rejects)
    assert (summary.created, summary.read, summary.loaded, summary.rejected) == (True, 2, 2, 0)
    second = parse_lines("b.jsonl", b'{"id": 3, "name": "z"}\n{"id": -1, "name": "w"}\nnot json\n{"id": 4, "extra": 1, "name": "v"}\n',
                         skip_invalid=True)
    summary = load(db, "loaded", second, rejects)
    assert (summary.read, summary.loaded, summary.rejected) == (4, 1, 3)
    assert [parse_json(line)["reason"] for line in rejects.read_bytes().splitlines()] == [
        "field `id` -1 is outside UInt8 [0, 255] (column `id` UInt8)",
        "invalid JSON (invalid literal, expected 'null' at column 1)",
        "field `extra` has no column",
    ]
    assert db.query("SELECT count() FROM loaded") == [(3,)]


def test_load_with_evolution_widens_and_adds(db: Embedded, tmp_path: Path) -> None:
    load(db, "evolving", parse_lines("a", b'{"id": 1}\n'), tmp_path / "r")
    summary = load(db, "evolving", parse_lines("b", b'{"id": -5, "tag": "t"}\n'), tmp_path / "r", evolve=True)
    assert (summary.loaded, summary.rejected) == (1, 0)
    columns = table_columns(db, "evolving")
    assert [(c.name, str(c.type)) for c in columns or []] == [("id", "Int16"), ("tag", "Nullable(String)")]
    assert db.query("SELECT id, tag FROM evolving ORDER BY id") == [(-5, "t"), (1, None)]


def test_columns_of_a_missing_table_is_none(db: Embedded) -> None:
    assert db.columns("nope") is None


def test_refused_statement_names_it(db: Embedded) -> None:
    with pytest.raises(ClickHouseError, match=r"^ClickHouse refused `SELECT nope\(\)`: "):
        db.query("SELECT nope()")


def test_evolution_to_json_text_keeps_stored_values(db: Embedded, tmp_path: Path) -> None:
    load(db, "to_json", parse_lines("a", b'{"id": 1, "a": [1, null]}\n{"id": 2, "a": null}\n'), tmp_path / "r")
    mixed = parse_lines("b", b'{"id": 3, "a": "x"}\n{"id": 4, "a": {"k": true}}\n')
    unattended = load(db, "to_json", mixed, tmp_path / "r", evolve=True)
    assert (unattended.loaded, unattended.rejected) == (0, 2)
    assert unattended.plan is not None and "would change kind" in unattended.plan.refused[0][1]
    assert [s.kind for s in evolve_table(db, "to_json", mixed.records, apply=True).steps][0] == "json"
    summary = load(db, "to_json", mixed, tmp_path / "r")
    assert (summary.loaded, summary.rejected) == (2, 0)
    stored = db.query("SELECT id, a FROM to_json ORDER BY id")
    assert [(i, None if a is None else parse_json(a.encode())) for i, a in stored] == [
        (1, [1, None]), (2, None), (3, "x"), (4, {"k": True})]


def test_evolution_checks_new_samples_against_the_tables_json_schema(db: Embedded) -> None:
    db.command(infer_table([{"id": 1, "tag": "a"}], "contract").create_sql)
    migration = evolve_table(db, "contract", [{"id": 2}, {"id": 3, "tag": 5}], apply=False)
    assert migration.render().splitlines()[:2] == [
        "-- migration plan for `contract`: 1 change(s), 1 refused",
        "-- 2 of 2 new records do not match the table's JSON Schema (first: record 1, (record): 'tag' is a required property)",
    ]
    assert table_schema(db, "contract") == {"$schema": "http://json-schema.org/schema#", "type": "object",
                                            "properties": {"id": {"type": "integer"}, "tag": {"type": "string"}},
                                            "required": ["id", "tag"]}
    migration = evolve_table(db, "contract", [{"id": 2}], apply=True)
    assert [s.kind for s in migration.steps] == ["modify", "schema"]
    assert table_schema(db, "contract")["required"] == ["id"]  # type: ignore[index]
