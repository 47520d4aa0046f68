"""InsertClickHouse retries against the real ClickHouse engine: each batch lands once per FlowFile."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.clickhouse.tables import load
from spotlight_nifi.errors import ClickHouseError
from spotlight_nifi.infer import infer_table
from spotlight_nifi.infer.reader import parse_lines
from spotlight_nifi.ingest import envelope
from spotlight_nifi.ingest.batch import cast_batch, read_batch
from spotlight_nifi.ingest.steps import insert_flowfile

RECORDS = [{"id": n, "name": f"n{n % 3}"} for n in range(50)]


class FailsOnInsert:
    """The backend, except that insert number `failing` (1-based) fails like a lost connection."""

    def __init__(self, db: Embedded, failing: int) -> None:
        self.db, self.failing, self.calls = db, failing, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
               token: str | None = None) -> None:
        self.calls += 1
        if self.calls == self.failing:
            raise ClickHouseError(f"ClickHouse refused the insert into `{table}`: connection reset")
        self.db.insert(table, columns, rows, token)


def flowfile(table: str) -> bytes:
    """A CastToClickHouse `success` FlowFile holding RECORDS, all fitting `table`."""
    content = b"\n".join(orjson.dumps(r) for r in RECORDS)
    caster = compile_caster(infer_table(RECORDS, table).columns)
    return envelope.encode(cast_batch(read_batch(content), caster))


def ids(db: Embedded, table: str) -> list[int]:
    return [row[0] for row in db.query(f"SELECT id FROM {table} ORDER BY id")]


def created(db: Embedded, table: str) -> None:
    db.command(infer_table(RECORDS, table).create_sql)


def test_retry_after_a_partial_insert_inserts_each_row_once(db: Embedded) -> None:
    created(db, "retried")
    content = flowfile("retried")
    first = insert_flowfile(FailsOnInsert(db, failing=3), content, {"uuid": "ff-1"}, table="retried", batch_size=10)
    assert first.relationship == "failure"
    assert ids(db, "retried") == list(range(20))
    again = insert_flowfile(db, content, {"uuid": "ff-1"}, table="retried", batch_size=10)
    assert (again.relationship, again.attributes[envelope.INSERTED]) == ("success", "50")
    assert ids(db, "retried") == list(range(50))
    assert insert_flowfile(db, content, {"uuid": "ff-1"}, table="retried", batch_size=10).relationship == "success"
    assert ids(db, "retried") == list(range(50))


def test_another_flowfile_with_the_same_rows_is_inserted_again(db: Embedded) -> None:
    created(db, "twice")
    content = flowfile("twice")
    for flowfile_id in ("ff-a", "ff-b"):
        assert insert_flowfile(db, content, {"uuid": flowfile_id}, table="twice", batch_size=10).relationship == "success"
    assert ids(db, "twice") == sorted(list(range(50)) * 2)


def test_inserts_without_a_token_are_never_deduplicated(db: Embedded) -> None:
    """Identical rows in a table with a deduplication window: no token means no retry to recognise."""
    created(db, "untokened")
    insert_flowfile(db, flowfile("untokened"), {}, table="untokened")
    db.insert("untokened", ["id", "name"], [(1, "x")])
    db.insert("untokened", ["id", "name"], [(1, "x")])
    assert len(ids(db, "untokened")) == 52


def test_a_table_without_a_deduplication_window_takes_every_insert(db: Embedded, tmp_path: Path) -> None:
    """Tables created elsewhere ignore the token: nothing fails, and a retry inserts again."""
    db.command("CREATE TABLE legacy (`id` UInt8, `name` String) ENGINE = MergeTree ORDER BY id")
    content = flowfile("legacy")
    for _ in range(2):
        assert insert_flowfile(db, content, {"uuid": "ff-1"}, table="legacy", batch_size=10).relationship == "success"
    summary = load(db, "legacy", parse_lines("a.jsonl", b'{"id": 1, "name": "x"}\n'), tmp_path / "rejects")
    assert (summary.loaded, len(ids(db, "legacy"))) == (1, 101)


def test_loading_the_same_file_twice_loads_it_twice(db: Embedded, tmp_path: Path) -> None:
    records = parse_lines("a.jsonl", b'{"id": 1, "name": "x"}\n{"id": 2, "name": "y"}\n')
    for _ in range(2):
        load(db, "reloaded", records, tmp_path / "rejects")
    assert ids(db, "reloaded") == [1, 1, 2, 2]
