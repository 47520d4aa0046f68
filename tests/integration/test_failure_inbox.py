"""`failure_inbox` against a real PostgreSQL: the plain INSERT NiFi's PutDatabaseRecord does with
AnnotateFailure's records ends up as the same upsert on `failures` as `store.record_failure`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql

from spotlight_nifi import failures
from spotlight_nifi.failures import FailedRecord, Failure, FailureDBError
from spotlight_nifi.ingest.batch import Source
from spotlight_nifi.ingest.failure_record import failure_record

FLOW = "orders_to_clickhouse"


def _record(raw: bytes = b'{"id": "x"}', source: Source = Source("orders", 3, 42, key=b"k\x00"),
            reason: str = "`id`: not an Int32") -> dict[str, Any]:
    return failure_record(raw, source, flow=FLOW, processor="CastToClickHouse", reason=reason)


def _insert(db: str, record: dict[str, Any]) -> None:
    """One column-wise INSERT of the record's fields, quoted, as PutDatabaseRecord issues it."""
    query = sql.SQL("INSERT INTO failure_inbox ({}) VALUES ({})").format(
        sql.SQL(", ").join(map(sql.Identifier, record)), sql.SQL(", ").join(sql.Placeholder() * len(record)))
    with psycopg.connect(db) as conn:
        conn.execute(query, list(record.values()))


def _only_row(db: str) -> Failure:
    rows = failures.list_failures(db)
    assert len(rows) == 1
    return rows[0]


def test_the_inbox_columns_are_the_record_fields(failure_db: str) -> None:
    with psycopg.connect(failure_db) as conn:
        columns = conn.execute("SELECT column_name FROM information_schema.columns "
                               "WHERE table_name = 'failure_inbox' ORDER BY ordinal_position").fetchall()
    assert [name for (name,) in columns] == list(_record())


def test_an_inbox_insert_becomes_one_failure_row_and_leaves_the_inbox_empty(failure_db: str) -> None:
    _insert(failure_db, _record())

    row = _only_row(failure_db)
    assert (row.payload, row.key, row.topic, row.partition, row.offset) == (b'{"id": "x"}', b"k\x00", "orders", 3, 42)
    assert (row.flow, row.processor, row.reason) == (FLOW, "CastToClickHouse", "`id`: not an Int32")
    assert (row.attempts, row.status, row.source) == (1, "new", "orders[3]@42")
    with psycopg.connect(failure_db) as conn:
        assert conn.execute("SELECT count(*) FROM failure_inbox").fetchone() == (0,)


def test_the_same_record_again_counts_an_attempt(failure_db: str) -> None:
    _insert(failure_db, _record())
    first = _only_row(failure_db)
    failures.resolve(failure_db, first.id, "ana", "loaded by hand")
    _insert(failure_db, _record(reason="`id`: out of range"))

    again = _only_row(failure_db)
    assert (again.id, again.attempts, again.status, again.reason) == (first.id, 2, "new", "`id`: out of range")
    assert again.first_seen == first.first_seen
    assert again.last_seen > first.last_seen


def test_an_ignored_record_stays_ignored(failure_db: str) -> None:
    _insert(failure_db, _record())
    failures.ignore(failure_db, _only_row(failure_db).id, "ana", "test data")
    _insert(failure_db, _record())
    row = _only_row(failure_db)
    assert (row.status, row.attempts, row.resolved_by, row.note) == ("ignored", 2, "ana", "test data")


@pytest.mark.parametrize(("source", "shown"), [(Source(), "-"), (Source("orders", 1), "orders[1]@-")])
def test_a_record_without_all_coordinates_makes_a_new_row_each_time(failure_db: str, source: Source,
                                                                     shown: str) -> None:
    _insert(failure_db, _record(source=source))
    _insert(failure_db, _record(source=source))
    rows = failures.list_failures(failure_db)
    assert [(r.source, r.key, r.attempts) for r in rows] == [(shown, None, 1), (shown, None, 1)]


def test_invalid_utf8_payload_bytes_round_trip_exactly(failure_db: str) -> None:
    raw = bytes(range(256))
    record = _record(raw)
    assert record["payload_text"] is None
    _insert(failure_db, record)
    assert _only_row(failure_db).payload == raw


def test_text_that_is_not_base64_is_kept_as_its_bytes_with_a_note(failure_db: str) -> None:
    _insert(failure_db, {**_record(), "payload": '{"id": "x"}', "key": "k1"})
    row = _only_row(failure_db)
    assert (row.payload, row.key) == (b'{"id": "x"}', b"k1")
    assert row.reason == ("`id`: not an Int32"
                          " (failure_inbox: `payload` was not base64, its text is kept as UTF-8 bytes)"
                          " (failure_inbox: `key` was not base64, its text is kept as UTF-8 bytes)")


def test_store_and_inbox_share_one_upsert(failure_db: str) -> None:
    raw, source = b"\xff{broken", Source("orders", 0, 7, key=b"k")
    stored = failures.get_failure(failure_db, failures.record_failure(failure_db, FailedRecord(
        raw, source.topic, source.partition, source.offset, FLOW, "CastToClickHouse", "`id`: not an Int32",
        key=source.key)))
    with psycopg.connect(failure_db) as conn:
        conn.execute("TRUNCATE failures RESTART IDENTITY CASCADE")
    _insert(failure_db, _record(raw, source))
    inboxed = _only_row(failure_db)
    ignore_times = {"first_seen": None, "last_seen": None}
    assert vars(inboxed) | ignore_times == vars(stored) | ignore_times

    failures.record_failure(failure_db, FailedRecord(raw, "orders", 0, 7, FLOW, "InsertClickHouse", "timeout",
                                                     key=b"k"))
    _insert(failure_db, _record(raw, source, reason="again"))
    row = _only_row(failure_db)
    assert (row.id, row.attempts, row.reason) == (inboxed.id, 3, "again")


def test_a_db_without_migration_0002_says_to_migrate(new_database: Callable[[str], str]) -> None:
    dsn = new_database("at_0001")
    with psycopg.connect(dsn) as conn:
        conn.execute(failures.migrations()[0].sql.encode())
    with pytest.raises(FailureDBError, match=r"not up to date \(function record_failure\(.*failures migrate` first"):
        failures.record_failure(dsn, FailedRecord(b"x", "orders", 0, 1, FLOW, "CastToClickHouse", "r"))
