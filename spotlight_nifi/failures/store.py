"""Recording failed records and the data stewards' review: list, show, resolve, ignore.

Status rules: a record starts `new`. When the same (topic, partition, offset) fails again, its
row is updated in place: attempts + 1, last_seen, the latest reason, flow and processor, and the
status goes back to `new` (it needs a look again) unless a steward chose `ignored`. `resolved`
and `ignored` record who decided (`resolved_by`) and why (`note`).

These rules live once, in the SQL function `record_failure` (migrations 0002, 0003), which NiFi
flows reach through the `failure_inbox` table's trigger and this module calls directly; it also
keeps each attempt in `failure_attempts`. A record with a missing coordinate (not from Kafka, or
an offset unknown) is never the same record: a new row. Each decision is written to the audit
trail (`audit`) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from psycopg.rows import class_row

from spotlight_nifi.failures import audit
from spotlight_nifi.failures.db import Db, transaction
from spotlight_nifi.failures.errors import FailureDBError, FailureRecordError

Status = Literal["new", "replayed", "resolved", "ignored"]
STATUSES: tuple[str, ...] = get_args(Status)


@dataclass(frozen=True)
class FailedRecord:
    """A record that could not be loaded, as a flow reports it; Kafka coordinates are None when unknown."""

    payload: bytes
    topic: str | None
    partition: int | None
    offset: int | None
    flow: str
    processor: str
    reason: str
    key: bytes | None = None
    seen_at: datetime | None = None
    table: str | None = None


@dataclass(frozen=True)
class Failure:
    """One row of the failure DB."""

    id: int
    payload: bytes
    key: bytes | None
    topic: str | None
    partition: int | None
    offset: int | None
    flow: str
    processor: str
    reason: str
    first_seen: datetime
    last_seen: datetime
    attempts: int
    status: Status
    resolved_by: str | None
    note: str | None
    target_table: str | None = None
    reason_class: str = "other"

    @property
    def source(self) -> str:
        """`topic[partition]@offset` for people, `-` for what is unknown (a record not from Kafka)."""
        if self.topic is None:
            return "-"
        return f"{self.topic}[{_dash(self.partition)}]@{_dash(self.offset)}"


@dataclass(frozen=True)
class Attempt:
    """One time a record failed: when, where and why."""

    seen_at: datetime
    flow: str
    processor: str
    reason: str


def _dash(value: int | None) -> str:
    return "-" if value is None else str(value)


SELECT_COLUMNS = ('id, payload, key, topic, "partition" AS partition, "offset" AS offset, flow, processor, reason, '
                  "first_seen, last_seen, attempts, status, resolved_by, note, target_table, reason_class")

_RECORD = """
SELECT record_failure(payload => %(payload)s, key => %(key)s, topic => %(topic)s, "partition" => %(partition)s,
                      "offset" => %(offset)s, flow => %(flow)s, processor => %(processor)s, reason => %(reason)s,
                      seen_at => %(seen_at)s, target_table => %(table)s)
"""


def record_failures(db: Db, batch: Iterable[FailedRecord]) -> list[int]:
    """Record a batch in one transaction through SQL `record_failure`; the row ids, in order."""
    params = [vars(record) for record in batch]
    if not params:
        return []
    with transaction(db) as conn, conn.cursor() as cur:
        cur.executemany(_RECORD, params, returning=True)
        ids = []
        while True:
            row = cur.fetchone()
            if row is None:
                raise FailureDBError("the upsert of a failed record returned no id")
            ids.append(int(row[0]))
            if not cur.nextset():
                break
    return ids


def record_failure(db: Db, record: FailedRecord) -> int:
    """Record one failed record; its row id (the same id when it failed before)."""
    return record_failures(db, [record])[0]


def list_failures(
    db: Db,
    *,
    status: Status | None = None,
    flow: str | None = None,
    topic: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[Failure]:
    """Failures matching every given filter, newest first."""
    if status is not None and status not in STATUSES:
        raise FailureDBError(f"unknown status `{status}`: choose one of {', '.join(STATUSES)}")
    if limit < 1:
        raise FailureDBError(f"limit must be at least 1, got {limit}")
    filters = {"status = %(status)s": status, "flow = %(flow)s": flow, "topic = %(topic)s": topic,
               "first_seen >= %(since)s": since}
    where = " AND ".join(clause for clause, value in filters.items() if value is not None) or "true"
    query = f"SELECT {SELECT_COLUMNS} FROM failures WHERE {where} ORDER BY first_seen DESC, id DESC LIMIT %(limit)s"
    params = {"status": status, "flow": flow, "topic": topic, "since": since, "limit": limit}
    with transaction(db) as conn, conn.cursor(row_factory=class_row(Failure)) as cur:
        return cur.execute(query.encode(), params).fetchall()


def get_failure(db: Db, record_id: int) -> Failure:
    """One failure by id."""
    with transaction(db) as conn, conn.cursor(row_factory=class_row(Failure)) as cur:
        found = cur.execute(f"SELECT {SELECT_COLUMNS} FROM failures WHERE id = %s".encode(), (record_id,)).fetchone()
    if found is None:
        raise FailureRecordError(record_id, "no such record: `spotlight-nifi failures list` shows the ids")
    return found


def attempts(db: Db, record_id: int) -> list[Attempt]:
    """Every recorded attempt of one failure, oldest first."""
    with transaction(db) as conn, conn.cursor(row_factory=class_row(Attempt)) as cur:
        return cur.execute("SELECT seen_at, flow, processor, reason FROM failure_attempts WHERE failure_id = %s "
                           "ORDER BY seen_at, id", (record_id,)).fetchall()


def _decide(db: Db, record_id: int, status: Status, by: str, note: str | None) -> Failure:
    if not by.strip():
        raise FailureRecordError(record_id, f"say who marks it `{status}`: the steward name is empty")
    with transaction(db) as conn, conn.cursor(row_factory=class_row(Failure)) as cur:
        updated = cur.execute(
            f"UPDATE failures SET status = %s, resolved_by = %s, note = coalesce(%s, note) "
            f"WHERE id = %s AND status <> %s RETURNING {SELECT_COLUMNS}".encode(),
            (status, by, note, record_id, status),
        ).fetchone()
        if updated is not None:
            audit.log(conn, [record_id], audit.DECISIONS[status], by, note)
    if updated is None:
        current = get_failure(db, record_id)
        raise FailureRecordError(record_id, f"already `{status}` by `{current.resolved_by}`")
    return updated


def resolve(db: Db, record_id: int, by: str, note: str | None = None) -> Failure:
    """Mark a failure handled (fixed upstream, loaded by hand, ...), naming who and why."""
    return _decide(db, record_id, "resolved", by, note)


def ignore(db: Db, record_id: int, by: str, note: str | None = None) -> Failure:
    """Mark a failure as not to be loaded; it stays ignored even if it fails again."""
    return _decide(db, record_id, "ignored", by, note)
