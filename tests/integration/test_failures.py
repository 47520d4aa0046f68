"""The failure DB against a real PostgreSQL (and a real Kafka for replay)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from confluent_kafka import Consumer, Producer

from spotlight_nifi import failures
from spotlight_nifi.failures import FailedRecord, FailureDBError, FailureRecordError

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _record(offset: int = 0, **changes: object) -> FailedRecord:
    fields: dict[str, object] = dict(payload=b'{"id": 1}', topic="orders", partition=0, offset=offset,
                                     flow="orders_to_clickhouse", processor="CastRecords", reason="`id`: not an Int32")
    return FailedRecord(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.fixture
def empty_dsn(new_database: Callable[[str], str]) -> str:
    """A database of its own, never migrated."""
    return new_database("empty")


def test_migrate_applies_each_migration_once(empty_dsn: str) -> None:
    assert failures.migrate(empty_dsn) == ["0001_failures.sql", "0002_failure_inbox.sql", "0003_review.sql"]
    assert failures.migrate(empty_dsn) == []
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall() == [
            ("0001", "0001_failures.sql"), ("0002", "0002_failure_inbox.sql"), ("0003", "0003_review.sql")]
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO failures (payload, topic, \"partition\", \"offset\", flow, processor, reason, status)"
                         " VALUES ('', 't', 0, 0, 'f', 'p', 'r', 'lost')")


def test_an_edited_applied_migration_is_refused(empty_dsn: str) -> None:
    failures.migrate(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:
        conn.execute("UPDATE schema_migrations SET checksum = 'edited'")
    with pytest.raises(FailureDBError, match="migration `0001_failures.sql` changed after it was applied"):
        failures.migrate(empty_dsn)


def test_an_unmigrated_db_says_to_migrate(empty_dsn: str) -> None:
    with pytest.raises(FailureDBError, match="run `spotlight-nifi failures migrate` first"):
        failures.list_failures(empty_dsn)


def test_an_unreachable_db_is_named_without_its_password() -> None:
    with pytest.raises(FailureDBError, match="cannot connect to the failure DB `ana@127.0.0.1:1/failures`") as raised:
        failures.list_failures("host=127.0.0.1 port=1 user=ana password=s3cret dbname=failures")
    assert "s3cret" not in str(raised.value)


def test_a_record_failing_again_updates_its_row(failure_db: str) -> None:
    first = failures.record_failure(failure_db, _record(7, seen_at=T0))
    failures.resolve(failure_db, first, "ana", "loaded by hand")
    again = failures.record_failure(failure_db, _record(7, reason="`id`: out of range",
                                                        seen_at=T0 + timedelta(hours=1)))

    row = failures.get_failure(failure_db, again)
    assert again == first
    assert (row.attempts, row.status, row.reason) == (2, "new", "`id`: out of range")
    assert (row.first_seen, row.last_seen) == (T0, T0 + timedelta(hours=1))
    assert row.payload == b'{"id": 1}'


def test_an_ignored_record_stays_ignored_when_it_fails_again(failure_db: str) -> None:
    record_id = failures.record_failure(failure_db, _record(1))
    failures.ignore(failure_db, record_id, "ana", "test data")
    failures.record_failure(failure_db, _record(1))
    row = failures.get_failure(failure_db, record_id)
    assert (row.status, row.attempts, row.resolved_by, row.note) == ("ignored", 2, "ana", "test data")


def test_a_batch_is_recorded_in_order_with_duplicates(failure_db: str) -> None:
    ids = failures.record_failures(failure_db, [_record(1), _record(2), _record(1, payload=b"\xff\xfe")])
    assert ids[0] == ids[2] != ids[1]
    assert failures.get_failure(failure_db, ids[0]).attempts == 2
    assert failures.record_failures(failure_db, []) == []


def test_list_filters_and_orders_newest_first(failure_db: str) -> None:
    old = failures.record_failure(failure_db, _record(1, seen_at=T0))
    new = failures.record_failure(failure_db, _record(2, seen_at=T0 + timedelta(days=2)))
    other_flow = failures.record_failure(failure_db, _record(3, flow="users", topic="users",
                                                             seen_at=T0 + timedelta(days=1)))
    failures.resolve(failure_db, old, "ana")

    assert [f.id for f in failures.list_failures(failure_db)] == [new, other_flow, old]
    assert [f.id for f in failures.list_failures(failure_db, status="new")] == [new, other_flow]
    assert [f.id for f in failures.list_failures(failure_db, flow="users")] == [other_flow]
    assert [f.id for f in failures.list_failures(failure_db, topic="orders")] == [new, old]
    assert [f.id for f in failures.list_failures(failure_db, since=T0 + timedelta(days=1))] == [new, other_flow]
    assert [f.id for f in failures.list_failures(failure_db, limit=1)] == [new]
    with pytest.raises(FailureDBError, match="unknown status `lost`"):
        failures.list_failures(failure_db, status="lost")  # type: ignore[arg-type]


def test_resolve_and_ignore_name_the_record(failure_db: str) -> None:
    record_id = failures.record_failure(failure_db, _record(1))
    resolved = failures.resolve(failure_db, record_id, "ana", "fixed upstream")
    assert (resolved.status, resolved.resolved_by, resolved.note) == ("resolved", "ana", "fixed upstream")
    with pytest.raises(FailureRecordError, match=f"failure record `{record_id}`: already `resolved` by `ana`"):
        failures.resolve(failure_db, record_id, "bob")
    with pytest.raises(FailureRecordError, match="failure record `999999`: no such record"):
        failures.ignore(failure_db, 999999, "ana")
    with pytest.raises(FailureRecordError, match="the steward name is empty"):
        failures.ignore(failure_db, record_id, " ")


def _consume(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes | None, bytes, list]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got: list[tuple[bytes | None, bytes, list]] = []
    try:
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                got.append((message.key(), message.value(), message.headers() or []))
            if len(got) >= expected:
                break
    finally:
        consumer.close()
    return got


def test_replay_publishes_raw_bytes_back_and_marks_replayed(failure_db: str, kafka_bootstrap: str) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    ids = failures.record_failures(failure_db, [_record(1, topic=topic, key=b"k1", payload=b"\xff not utf-8"),
                                        _record(2, topic=topic, payload=b'{"id": 2}')])
    producer = Producer({"bootstrap.servers": kafka_bootstrap})

    replayed = failures.replay(failure_db, ids, producer)

    assert [r.status for r in replayed] == ["replayed", "replayed"]
    assert [failures.get_failure(failure_db, i).status for i in ids] == ["replayed", "replayed"]
    assert sorted(_consume(kafka_bootstrap, topic, 2), key=lambda m: m[1]) == [
        (None, b'{"id": 2}', [("spotlight-failure-id", str(ids[1]).encode())]),
        (b"k1", b"\xff not utf-8", [("spotlight-failure-id", str(ids[0]).encode())]),
    ]


def test_replay_to_another_topic(failure_db: str, kafka_bootstrap: str) -> None:
    target = f"retry-{uuid.uuid4().hex[:8]}"
    record_id = failures.record_failure(failure_db, _record(1))
    failures.replay(failure_db, [record_id], Producer({"bootstrap.servers": kafka_bootstrap}), to_topic=target)
    assert [value for _, value, _ in _consume(kafka_bootstrap, target, 1)] == [b'{"id": 1}']


def test_replay_refuses_decided_and_unknown_records(failure_db: str, kafka_bootstrap: str) -> None:
    record_id = failures.record_failure(failure_db, _record(1))
    failures.ignore(failure_db, record_id, "ana")
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    with pytest.raises(FailureRecordError, match=f"failure record `{record_id}`: is `ignored`"):
        failures.replay(failure_db, [record_id], producer)
    with pytest.raises(FailureRecordError, match="failure record `424242`: no such record"):
        failures.replay(failure_db, [record_id, 424242], producer)


def test_replay_of_a_record_not_from_kafka_needs_a_topic(failure_db: str) -> None:
    record_id = failures.record_failure(failure_db, _record(topic=None, partition=None, offset=None))
    producer = Producer({"bootstrap.servers": "127.0.0.1:1"})
    with pytest.raises(FailureRecordError, match=f"failure record `{record_id}`: has no Kafka topic"):
        failures.replay(failure_db, [record_id], producer)
    assert failures.get_failure(failure_db, record_id).status == "new"


def test_replay_not_acknowledged_by_kafka_keeps_the_status(failure_db: str) -> None:
    record_id = failures.record_failure(failure_db, _record(1))
    unreachable = Producer({"bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": 1000, "log_level": 0})
    with pytest.raises(FailureRecordError, match=f"failure record `{record_id}`: Kafka did not acknowledge"):
        failures.replay(failure_db, [record_id], unreachable, timeout=30)
    assert failures.get_failure(failure_db, record_id).status == "new"
