"""Replay: publish failed records' raw bytes back to Kafka so the flow loads them again.

Each record goes to its original topic (or `to_topic`) with its original key and a
`spotlight-failure-id` header, so a copy that fails again can be traced to its row. Only the
records Kafka acknowledged are marked `replayed`; the others keep their status and are named
in the error. A record that did not come from Kafka has no original topic: it needs `to_topic`;
a record of a batch POSTed to a flow's HTTP ingress (topic `http:<batch>`) goes back there
(`replay_http`). Each acknowledged record gets an audit row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import psycopg
from confluent_kafka import KafkaError, Message, Producer
from psycopg.rows import class_row

from spotlight_nifi.failures import audit
from spotlight_nifi.failures.db import Db, transaction
from spotlight_nifi.failures.errors import FailureRecordError
from spotlight_nifi.failures.store import SELECT_COLUMNS, Failure
from spotlight_nifi.ingest.batch import HTTP_TOPIC_PREFIX

HEADER = "spotlight-failure-id"
REPLAYABLE = ("new", "replayed")


@dataclass
class _Deliveries:
    """Kafka's answer per record id, filled by librdkafka delivery callbacks during flush()."""

    acknowledged: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)

    def report(self, record_id: int, error: KafkaError | None, _message: Message) -> None:
        if error is None:
            self.acknowledged.append(record_id)
        else:
            self.errors[record_id] = error.str()


def not_replayable(row: Failure, to_topic: str | None = None) -> str | None:
    """Why `row` cannot be replayed to Kafka (to its own topic, or `to_topic`), None when it can."""
    if row.status not in REPLAYABLE:
        return f"is `{row.status}`: only new or replayed records are replayed"
    if to_topic is not None:
        return None
    if row.topic is None:
        return "has no Kafka topic (it did not come from Kafka): name the topic to replay it to (`--to-topic`)"
    if row.topic.startswith(HTTP_TOPIC_PREFIX):
        return (f"came from the HTTP batch `{row.topic[len(HTTP_TOPIC_PREFIX):]}`, not from Kafka: replay it to "
                "the flow's HTTP ingress (`--to-url`, or `NIFI_HTTP_INGRESS_URL` for the page), or name a topic "
                "(`--to-topic`)")
    return None


def locked_replayable(conn: psycopg.Connection, record_ids: Sequence[int],
                      refusal: Callable[[Failure], str | None]) -> list[Failure]:
    """The records, locked for this transaction; an error names the first that is missing or that
    `refusal` says cannot be replayed, so a replay is all or nothing."""
    wanted = sorted(set(record_ids))
    with conn.cursor(row_factory=class_row(Failure)) as cur:
        rows = cur.execute(f"SELECT {SELECT_COLUMNS} FROM failures WHERE id = ANY(%s) ORDER BY id FOR UPDATE".encode(),
                           (wanted,)).fetchall()
    missing = sorted(set(wanted) - {row.id for row in rows})
    if missing:
        raise FailureRecordError(missing[0], f"no such record (missing ids: {', '.join(map(str, missing))})")
    for row in rows:
        why = refusal(row)
        if why is not None:
            raise FailureRecordError(row.id, why)
    return rows


def replay(db: Db, record_ids: Sequence[int], producer: Producer, to_topic: str | None = None,
           timeout: float = 30.0, *, by: str | None = None, note: str | None = None) -> list[Failure]:
    """Publish the records, wait for Kafka's acknowledgements, mark the acknowledged ones `replayed`
    and audit them as replayed `by` (default: the database user), with `note`."""
    deliveries = _Deliveries()
    with transaction(db) as conn:
        rows = locked_replayable(conn, record_ids, partial(not_replayable, to_topic=to_topic))
        for row in rows:
            producer.produce(to_topic or row.topic or "", value=row.payload, key=row.key,
                             headers=[(HEADER, str(row.id).encode())], on_delivery=partial(deliveries.report, row.id))
        producer.flush(timeout)
        conn.execute("UPDATE failures SET status = 'replayed' WHERE id = ANY(%s)", (deliveries.acknowledged,))
        if deliveries.acknowledged:
            audit.log(conn, sorted(deliveries.acknowledged), "replay", by, note,
                      {"to_topic": to_topic} if to_topic else {})
    unacknowledged = [row.id for row in rows if row.id not in deliveries.acknowledged]
    if unacknowledged:
        first = unacknowledged[0]
        reason = deliveries.errors.get(first, f"no answer within {timeout:.0f} s")
        raise FailureRecordError(
            first,
            f"Kafka did not acknowledge the replay of {', '.join(map(str, unacknowledged))} ({reason}); "
            "they keep their status: replay them again",
        )
    return [Failure(**{**vars(row), "status": "replayed"}) for row in rows]
