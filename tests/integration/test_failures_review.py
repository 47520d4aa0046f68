"""The stewards' review against a real PostgreSQL (and a real Kafka for replay): migration 0003,
filtered keyset pages, attempts, decisions on a selection with their audit trail, export, overview."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import orjson
import psycopg
import pytest
from confluent_kafka import Consumer, Producer

from spotlight_nifi import failures
from spotlight_nifi.failures import FailedRecord, FailureDBError, Filters
from spotlight_nifi.failures.query import SORTS, Cursor, filters_from

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _record(offset: int | None, topic: str | None = "orders", **changes: object) -> FailedRecord:
    fields: dict[str, object] = dict(payload=b'{"id": "x"}', topic=topic, partition=None if topic is None else 0,
                                     offset=offset, flow="orders_to_clickhouse", processor="CastToClickHouse",
                                     reason="field `id` is not an Int32 (column `id` Int32)", seen_at=T0)
    return FailedRecord(**{**fields, **changes})  # type: ignore[arg-type]


def test_0003_classifies_and_keeps_rows_recorded_before_it(new_database: Callable[[str], str]) -> None:
    dsn = new_database("at_0002")
    with psycopg.connect(dsn) as conn:
        for migration in failures.migrations()[:2]:
            conn.execute(migration.sql.encode())
        conn.execute("CREATE TABLE schema_migrations (version text PRIMARY KEY, name text NOT NULL, "
                     "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        for migration in failures.migrations()[:2]:
            conn.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                         (migration.version, migration.name, migration.checksum))
        conn.execute("SELECT record_failure('\\x00', NULL, 'orders', 0, 1, 'f', 'InsertClickHouse', "
                     "'table `events` changed since the cast: x')")
        conn.execute("SELECT record_failure('\\x00', NULL, 'orders', 0, 1, 'f', 'InsertClickHouse', 'again: timeout')")

    assert failures.migrate(dsn) == ["0003_review.sql"]

    row = failures.get_failure(dsn, 1)
    assert (row.attempts, row.reason_class, row.target_table) == (2, "other", None)
    assert [a.reason for a in failures.attempts(dsn, 1)] == ["again: timeout"]
    again = failures.record_failure(dsn, FailedRecord(b"\x00", "orders", 0, 1, "f", "InsertClickHouse",
                                                      "table `events` changed since the cast: y"))
    row = failures.get_failure(dsn, again)
    assert (row.attempts, row.reason_class, row.target_table) == (3, "table", "events")
    assert len(failures.attempts(dsn, again)) == 2


@pytest.mark.parametrize(("reason", "reason_class"), [
    ("not valid UTF-8 (byte 3)", "invalid UTF-8"),
    ("invalid JSON (unexpected end of data)", "invalid JSON"),
    ("ConsumeKafka could not parse the message as JSON with its record reader", "invalid JSON"),
    ("empty Kafka message (no value)", "empty message"),
    ("field `id` is missing and column `id` is not Nullable", "missing or null field"),
    ("field `qty` is null and column `qty` is not Nullable", "missing or null field"),
    ("field `coupon` has no column", "unknown field"),
    ("field `qty` `seven` is not an integer (column `qty` UInt16)", "wrong type"),
    ("record is an array, not an object", "wrong type"),
    ("table `events` does not exist and Schema Mode is `reject`", "table"),
    ("ClickHouse refused `INSERT INTO events`: timeout", "ClickHouse"),
    ("something new", "other"),
])
def test_reason_classes(failure_db: str, reason: str, reason_class: str) -> None:
    record_id = failures.record_failure(failure_db, _record(1, reason=reason))
    assert failures.get_failure(failure_db, record_id).reason_class == reason_class
    assert reason_class in failures.reason_classes(failure_db)


def test_every_attempt_is_kept_with_the_table_given_or_named(failure_db: str) -> None:
    first = failures.record_failure(failure_db, _record(5, table="orders_v2"))
    failures.record_failure(failure_db, _record(5, seen_at=T0 + timedelta(hours=1), processor="InsertClickHouse",
                                                reason="ClickHouse refused the insert"))
    row = failures.get_failure(failure_db, first)
    assert (row.attempts, row.target_table, row.reason_class) == (2, "orders_v2", "ClickHouse")
    assert [(a.seen_at, a.processor) for a in failures.attempts(failure_db, first)] == [
        (T0, "CastToClickHouse"), (T0 + timedelta(hours=1), "InsertClickHouse")]


def _ids(pages: list[failures.Page]) -> list[int]:
    return [row.id for p in pages for row in p.rows]


@pytest.mark.parametrize("sort", list(SORTS))
def test_keyset_pages_walk_forward_and_back_over_ties(failure_db: str, sort: str) -> None:
    ids = failures.record_failures(failure_db, [
        _record(n, seen_at=T0 + timedelta(minutes=n // 3)) for n in range(23)])
    for n in range(0, 23, 4):
        failures.record_failure(failure_db, _record(n, seen_at=T0 + timedelta(days=1)))
    column, direction = SORTS[sort]
    everything = failures.page(failure_db, sort=sort, limit=1000).rows
    keys = [(getattr(r, column), r.id) for r in everything]
    assert keys == sorted(keys, reverse=direction == "desc") and len(everything) == len(ids)

    forward = [failures.page(failure_db, sort=sort, limit=5)]
    while forward[-1].next is not None:
        forward.append(failures.page(failure_db, sort=sort, after=forward[-1].next, limit=5))
    assert _ids(forward) == [r.id for r in everything]
    assert [len(p.rows) for p in forward] == [5, 5, 5, 5, 3]
    assert forward[0].previous is None

    backward = [failures.page(failure_db, sort=sort, last=True, limit=5)]
    assert backward[0].next is None and len(backward[0].rows) == 5
    while backward[-1].previous is not None:
        backward.append(failures.page(failure_db, sort=sort, before=backward[-1].previous, limit=5))
    assert list(dict.fromkeys(_ids(list(reversed(backward))))) == [r.id for r in everything]
    assert backward[-1] == forward[0], "going back ends on the first page, not on a short one"


def test_filters_combine_and_take_text_literally(failure_db: str) -> None:
    failures.record_failures(failure_db, [
        _record(1), _record(2, reason="100% wrong_value"), _record(3, topic="users", flow="users_flow"),
        _record(0, topic="http:b-1", reason="table `events` does not exist"),
        _record(0, topic="http:b-2", seen_at=T0 + timedelta(days=2)), _record(None, topic=None)])
    failures.resolve(failure_db, 1, "ana")

    def ids(**given: object) -> list[int]:
        return sorted(row.id for row in failures.page(failure_db, Filters(**given), limit=100).rows)  # type: ignore[arg-type]

    assert ids(status="open") == [2, 3, 4, 5, 6]
    assert ids(status="resolved") == [1]
    assert ids(topic="orders") == [1, 2]
    assert ids(topic="http:*") == [4, 5]
    assert ids(table="events") == [4]
    assert ids(flow="users_flow") == [3]
    assert ids(reason="100%") == [2] and ids(reason="WRONG_") == [2] and ids(reason="%") == [2]
    assert ids(reason="_") == [2]
    assert ids(reason_class="table") == [4]
    assert ids(since=T0 + timedelta(days=1)) == [5]
    assert ids(until=T0 + timedelta(days=1), topic="http:*") == [4]
    assert ids(reason="'; DROP TABLE failures; --") == []
    assert failures.count(failure_db, Filters(status="open")) == 5
    assert failures.count(failure_db, Filters(), cap=3) == 4
    assert failures.matching_ids(failure_db, Filters(topic="http:*"), 1) == [4]
    with pytest.raises(FailureDBError, match="unknown status `lost`"):
        Filters(status="lost")


def test_filters_and_cursors_from_links_name_what_is_wrong() -> None:
    assert filters_from({"status": "open", "topic": " orders ", "flow": "", "since": "2026-03-01T10:00"}) == Filters(
        status="open", topic="orders", since=datetime(2026, 3, 1, 10, tzinfo=timezone.utc))
    with pytest.raises(FailureDBError, match="`until` must be a date and time like 2026-01-31T13:45, not `soon`"):
        filters_from({"until": "soon"})
    cursor = Cursor(T0, 7)
    assert Cursor.parse(cursor.token(), "newest") == cursor
    with pytest.raises(FailureDBError, match="is not valid for sort `most_attempts`"):
        Cursor.parse(cursor.token(), "most_attempts")
    with pytest.raises(FailureDBError, match="the page position `<x>` is not valid"):
        Cursor.parse("<x>", "newest")


def _audit(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT failure_id, action, actor, note, detail FROM failure_actions ORDER BY id").fetchall()


def test_resolve_and_ignore_a_selection_skip_what_does_not_apply_and_are_audited(failure_db: str) -> None:
    ids = failures.record_failures(failure_db, [_record(n) for n in range(4)])
    failures.ignore(failure_db, ids[3], "bob", "test data")

    outcome = failures.decide(failure_db, [*ids, 999], "ignore", "ana", "  duplicates of 41  ")

    assert (outcome.done, outcome.skipped) == (ids[:3], {999: "no such record", ids[3]: "already ignored"})
    assert {failures.get_failure(failure_db, i).note for i in ids[:3]} == {"duplicates of 41"}
    assert _audit(failure_db) == [(ids[3], "ignore", "bob", "test data", {})] + [
        (i, "ignore", "ana", "duplicates of 41", {}) for i in ids[:3]]
    with pytest.raises(FailureDBError, match="unknown action `delete`"):
        failures.decide(failure_db, ids, "delete", "ana")
    with pytest.raises(FailureDBError, match="the steward name is empty"):
        failures.decide(failure_db, ids, "resolve", " ")


def test_replay_a_selection_lands_on_kafka_with_its_keys(failure_db: str, kafka_bootstrap: str) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    ids = failures.record_failures(failure_db, [
        _record(1, topic=topic, key=b"k-1", payload=b"\xff raw"), _record(2, topic=topic, payload=b'{"id": 2}'),
        _record(0, topic="http:batch-7"), _record(3, topic=topic)])
    failures.resolve(failure_db, ids[3], "ana")
    producer = Producer({"bootstrap.servers": kafka_bootstrap})

    outcome = failures.decide(failure_db, ids, "replay", "ana", "fixed the table", producer)

    assert outcome.done == ids[:2]
    assert outcome.skipped[ids[2]].startswith("came from the HTTP batch `batch-7`, not from Kafka")
    assert outcome.skipped[ids[3]] == "is `resolved`: only new or replayed records are replayed"
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": uuid.uuid4().hex,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = []
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            got.append((message.key(), message.value()))
        if len(got) == 2:
            break
    consumer.close()
    assert sorted(got, key=lambda m: m[1]) == [(None, b'{"id": 2}'), (b"k-1", b"\xff raw")]
    assert [row[:4] for row in _audit(failure_db)[1:]] == [(i, "replay", "ana", "fixed the table") for i in ids[:2]]
    with pytest.raises(FailureDBError, match="replay needs Kafka: set `KAFKA_BOOTSTRAP_SERVERS`"):
        failures.decide(failure_db, ids[:1], "replay", "ana")


def test_export_is_exact_in_both_formats_and_audited(failure_db: str) -> None:
    failures.record_failures(failure_db, [
        _record(1, payload=b"\xff\x00 not text", key=b"\x01k"), _record(2, payload='=HYPERLINK("x")\n"é"'.encode()),
        _record(3, topic="users")])
    only_orders = Filters(topic="orders")

    lines = [orjson.loads(line) for line in b"".join(failures.export(failure_db, only_orders, "jsonl", "ana")).splitlines()]
    assert [line["id"] for line in lines] == [1, 2]
    assert base64.b64decode(lines[0]["payload_base64"]) == b"\xff\x00 not text"
    assert (lines[0]["payload_text"], base64.b64decode(lines[0]["key_base64"])) == (None, b"\x01k")
    assert lines[1]["payload_text"] == '=HYPERLINK("x")\n"é"'

    rows = list(csv.DictReader(io.StringIO(b"".join(failures.export(failure_db, only_orders, "csv", "ana")).decode())))
    assert [row["id"] for row in rows] == ["1", "2"]
    assert base64.b64decode(rows[1]["payload_base64"]) == '=HYPERLINK("x")\n"é"'.encode()
    assert rows[1]["payload_text"] == '\'=HYPERLINK("x")\n"é"'
    assert rows[0]["payload_text"] == "" and rows[0]["first_seen"] == T0.isoformat()
    assert _audit(failure_db) == [(None, "export", "ana", None, {"format": fmt, "filters": {"topic": "orders"}})
                                  for fmt in ("jsonl", "csv")]
    with pytest.raises(FailureDBError, match="unknown export format `xml`"):
        failures.export(failure_db, only_orders, "xml", "ana")


def test_overview_counts_open_failures_by_source_class_and_day(failure_db: str) -> None:
    today = datetime.now(timezone.utc).replace(hour=12)
    failures.record_failures(failure_db, [
        _record(1, seen_at=today - timedelta(days=20)), _record(2, seen_at=today, reason="field `x` has no column"),
        _record(0, topic="http:a", seen_at=today), _record(0, topic="http:b", seen_at=today - timedelta(days=1)),
        _record(3, seen_at=today)])
    failures.resolve(failure_db, 5, "ana")

    seen = failures.overview(failure_db, days=14)

    assert seen.by_status == {"new": 4, "resolved": 1}
    assert seen.open == 4
    assert [(s.topic, s.table, s.open) for s in seen.by_source] == [("http:*", None, 2), ("orders", None, 2)]
    assert seen.by_class == {"wrong type": 3, "unknown field": 1}
    assert seen.oldest_open is not None and seen.oldest_open.id == 1
    assert sum(d.failures for d in seen.days) == 4
    assert {(d.day, d.reason_class, d.failures) for d in seen.days if d.day == today.date()} == {
        (today.date(), "wrong type", 2), (today.date(), "unknown field", 1)}
