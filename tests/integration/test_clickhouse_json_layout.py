"""Heterogeneous streams on the real engine (chdb): typed columns + a JSON column, end to end.

The CREATE TABLE round-trips through ClickHouse, loading keeps every record (rows + rejects =
records, each reject with its reason), what is stored reads back as it was sent, typical queries on
the discriminator and on typed paths inside the JSON column work, and new event types land without
a migration while `infer --evolve --apply` can still promote a stable field to a column.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from spotlight_nifi.cast import json_text
from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.clickhouse.tables import (
    evolve_table,
    execute_ddl,
    load,
    table_columns,
)
from spotlight_nifi.infer import Options, infer_table
from spotlight_nifi.infer.detect import parse_datetime
from spotlight_nifi.infer.layout import MAX_QUERY_SIZE, is_json
from spotlight_nifi.infer.names import quote
from spotlight_nifi.infer.reader import parse_json, parse_lines
from spotlight_nifi.infer.types import JSONType
from tests.heterogeneous import HOSTILE as HOSTILE_KEYS
from tests.heterogeneous import event, stream

RECORDS = stream(800)
TRAIN, TEST = RECORDS[:400], RECORDS[400:]
HOSTILE = [{**TEST[0], "bad": {"x%2Ey": 1}}, {**TEST[1], "bad": [2**70]}]


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"\n".join(json_text(r).encode() for r in records) + b"\n"


@pytest.fixture(scope="module")
def events(db: Embedded, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    """`events`, inferred from the first half and loaded with the second half plus two misfits."""
    inferred = infer_table(TRAIN, "events")
    execute_ddl(db, inferred.create_sql)
    rejects = tmp_path_factory.mktemp("rejects") / "events.rejects.jsonl"
    summary = load(db, "events", parse_lines("test.jsonl", _jsonl(TEST + HOSTILE)), rejects)
    return "events", (inferred, summary, rejects)


def test_the_create_table_round_trips(db: Embedded, events: tuple[str, Any]) -> None:
    inferred = events[1][0]
    assert inferred.layout.kind == "hybrid"
    assert table_columns(db, "events") == inferred.columns


def test_every_record_is_a_row_or_a_reject_with_its_reason(db: Embedded, events: tuple[str, Any]) -> None:
    _, summary, rejects = events[1]
    assert (summary.read, summary.loaded, summary.rejected) == (len(TEST) + 2, len(TEST), 2)
    assert [parse_json(line)["reason"] for line in rejects.read_bytes().splitlines()] == [
        "field `bad.x%2Ey` has `%2E` in its key, which reads back as a dot: JSON column `json` cannot store it exactly",
        f"field `bad` {2**70} is beyond 64 bits: JSON column `json` cannot store it exactly",
    ]
    assert db.query("SELECT count() FROM events") == [(len(TEST),)]


def _flat(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Leaf path → value, without what a JSON column keeps no trace of (NULL, empty objects)."""
    if isinstance(value, dict):
        return {p: v for key, item in value.items() for p, v in _flat(item, (*path, key)).items()}
    return {} if value is None else {path: value}


def test_the_json_column_reads_back_what_was_sent(db: Embedded, events: tuple[str, Any]) -> None:
    inferred = events[1][0]
    column = next(c for c in inferred.columns if is_json(c))
    typed = {c.path for c in inferred.columns if not is_json(c)}
    times = {path for path, typ in column.type.hints if typ.inner().name == "DateTime64"}
    stored = [orjson.loads(row[0]) for row in db.query("SELECT toJSONString(json) FROM events ORDER BY received_at")]
    for record, back in zip(sorted(TEST, key=lambda r: r["received_at"]), stored):
        sent = {p: v for p, v in _flat(record).items() if p not in typed}
        got = {p: v for p, v in _flat(back).items() if v is not None}
        for path in times & sent.keys():
            sent[path] = parse_datetime(sent[path])
            got[path] = datetime.fromisoformat(got[path]).replace(tzinfo=timezone.utc)
        assert got == sent


def test_queries_on_the_discriminator_and_on_typed_paths_inside_the_json_column(db: Embedded, events: tuple[str, Any]) -> None:
    counts: dict[str, int] = {}
    for record in TEST:
        counts[record["event"]] = counts.get(record["event"], 0) + 1
    assert db.query("SELECT event, count() FROM events GROUP BY event ORDER BY event") == sorted(counts.items())
    column = next(c for c in events[1][0].columns if is_json(c))
    path = next(p for p, typ in column.type.hints if str(typ) == "Nullable(Int64)" and len(p) == 4)
    name, dotted = ".".join(path[:2]), "json." + ".".join(path)
    hinted = [r[path[0]][path[1]][path[2]][path[3]] for r in TEST if r["event"] == name]
    assert db.query(f"SELECT toTypeName({dotted}), sum({dotted}), count() FROM events WHERE event = '{name}' GROUP BY 1") == [
        ("Nullable(Int64)", sum(hinted), len(hinted))]
    kinds = db.query("SELECT DISTINCT dynamicType(json.subject.created_at) FROM events ORDER BY 1")
    assert kinds == [("Int64",), ("String",)]
    labels = db.query("SELECT json.issue.labels.`a%2Eb`, toJSONString(json.^issue.labels) FROM events "
                      "WHERE event = 'issue.updated' LIMIT 1")
    assert [(n, orjson.loads(text)) for n, text in labels] == [(1, {**HOSTILE_KEYS, "a.b": 1})]


def test_a_new_event_type_lands_without_migration_and_can_be_promoted(db: Embedded, tmp_path: Path) -> None:
    rng = random.Random(5)
    new = [{**event(rng, n), "event": "shipment.created", "shipment": {"carrier": f"c{n % 3}", "weight": n}}
           for n in range(30)]
    summary = load(db, "events", parse_lines("new.jsonl", _jsonl(new)), tmp_path / "r.jsonl")
    assert (summary.loaded, summary.rejected, summary.plan) == (30, 0, None)
    migration = evolve_table(db, "events", new, apply=True)
    promoted = {s.column.name: str(s.column.type) for s in migration.steps if s.kind == "promote" and s.column}
    assert promoted == {"shipment__carrier": "LowCardinality(Nullable(String))", "shipment__weight": "Nullable(UInt16)"}
    assert db.query("SELECT sum(shipment__weight), uniqExact(shipment__carrier) FROM events") == [(sum(range(30)), 3)]
    summary = load(db, "events", parse_lines("more.jsonl", _jsonl(new[:3])), tmp_path / "r.jsonl")
    assert (summary.loaded, summary.rejected) == (3, 0)
    assert db.query("SELECT count() FROM events WHERE shipment__carrier = 'c0'") == [(10 + 1,)]


def test_a_hint_that_new_samples_break_is_dropped_after_review(db: Embedded, tmp_path: Path) -> None:
    records = [{"event": "a", "n": i} for i in range(20)] + [
        {"event": "b", **{f"k{i}": i for i in range(20 * j, 20 * j + 20)}} for j in range(60)]
    execute_ddl(db, infer_table(records, "hinted").create_sql)
    assert load(db, "hinted", parse_lines("a.jsonl", _jsonl(records)), tmp_path / "r").loaded == len(records)
    hint = next(c for c in table_columns(db, "hinted") or [] if is_json(c)).type
    assert isinstance(hint, JSONType) and str(hint.hint(("n",))) == "Nullable(Int64)"
    breaking = parse_lines("b.jsonl", b'{"event": "a", "n": "seven"}\n')
    assert load(db, "hinted", breaking, tmp_path / "r", evolve=True).rejected == 1
    migration = evolve_table(db, "hinted", breaking.records, apply=True)
    assert [s.kind for s in migration.steps][:1] == ["hint"]
    assert load(db, "hinted", breaking, tmp_path / "r").loaded == 1
    assert db.query("SELECT dynamicType(json.n), count() FROM hinted GROUP BY 1 ORDER BY 1") == [
        ("Int64", 20), ("None", 60), ("String", 1)]


def test_a_flattened_table_beyond_max_query_size_is_created_deliberately(db: Embedded) -> None:
    records = [{f"{'k' * 250}{i}": i for i in range(1500)}]
    inferred = infer_table(records, "wide_flat", Options(flatten=True))
    assert len(inferred.create_sql.encode()) > MAX_QUERY_SIZE
    execute_ddl(db, inferred.create_sql)
    assert len(table_columns(db, "wide_flat") or []) == 1500
    assert db.query("SELECT value FROM system.settings WHERE name = 'max_query_size'") == [(str(MAX_QUERY_SIZE),)]
    db.command(f"DROP TABLE {quote('wide_flat')}")
