"""A steward's decision on a selection of failures: replay, resolve or ignore, with a note.

Unlike the one-record commands, a selection is acted on as far as it can be: records the action
does not apply to (already decided, not from Kafka, gone) are skipped, each with the reason, and
the rest go ahead. Every record acted on gets an audit row with the actor and the note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from confluent_kafka import Producer
from psycopg.rows import class_row

from spotlight_nifi.failures import audit
from spotlight_nifi.failures.db import Db, transaction
from spotlight_nifi.failures.errors import FailureDBError
from spotlight_nifi.failures.replay import not_replayable, replay
from spotlight_nifi.failures.replay_http import not_replayable_over_http, replay_http
from spotlight_nifi.failures.store import SELECT_COLUMNS, Failure

Decision = Literal["replay", "resolve", "ignore"]
DECISIONS: tuple[str, ...] = get_args(Decision)
_STATUS = {"resolve": "resolved", "ignore": "ignored"}


@dataclass
class Outcome:
    """What a decision did: the records acted on, and the skipped ones with why."""

    decision: Decision
    done: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def decide(db: Db, record_ids: Sequence[int], decision: str, actor: str, note: str | None = None,
           producer: Producer | None = None, http_ingress: str | None = None) -> Outcome:
    """Apply `decision` to every record it applies to; a replay needs `producer` for records from Kafka
    and `http_ingress` (the flow's ListenHTTP URL) for records of HTTP batches."""
    if decision not in DECISIONS:
        raise FailureDBError(f"unknown action `{decision}`: choose one of {', '.join(DECISIONS)}")
    if not actor.strip():
        raise FailureDBError(f"say who decides to {decision}: the steward name is empty")
    note = (note or "").strip() or None
    if decision == "replay":
        return _replay(db, record_ids, actor, note, producer, http_ingress)
    return _mark(db, record_ids, decision, actor, note)


def _mark(db: Db, record_ids: Sequence[int], decision: str, actor: str, note: str | None) -> Outcome:
    status = _STATUS[decision]
    outcome = Outcome(decision)  # type: ignore[arg-type]
    with transaction(db) as conn:
        current = dict(conn.execute("SELECT id, status FROM failures WHERE id = ANY(%s) FOR UPDATE",
                                    (list(record_ids),)).fetchall())
        outcome.done = sorted(i for i, s in current.items() if s != status)
        conn.execute("UPDATE failures SET status = %s, resolved_by = %s, note = coalesce(%s, note) WHERE id = ANY(%s)",
                     (status, actor, note, outcome.done))
        if outcome.done:
            audit.log(conn, outcome.done, audit.DECISIONS[status], actor, note)
    for record_id in sorted(set(record_ids) - set(current)):
        outcome.skipped[record_id] = "no such record"
    for record_id in sorted(set(current) - set(outcome.done)):
        outcome.skipped[record_id] = f"already {status}"
    return outcome


def _replay(db: Db, record_ids: Sequence[int], actor: str, note: str | None, producer: Producer | None,
            http_ingress: str | None) -> Outcome:
    outcome = Outcome("replay")
    with transaction(db) as conn, conn.cursor(row_factory=class_row(Failure)) as cur:
        rows = cur.execute(f"SELECT {SELECT_COLUMNS} FROM failures WHERE id = ANY(%s) ORDER BY id".encode(),
                           (list(record_ids),)).fetchall()
    for record_id in sorted(set(record_ids) - {row.id for row in rows}):
        outcome.skipped[record_id] = "no such record"
    to_kafka, to_http = [], []
    for row in rows:
        over_http = not_replayable_over_http(row) is None
        why = None if over_http and http_ingress else not_replayable(row)
        if why is not None:
            outcome.skipped[row.id] = why
        else:
            (to_http if over_http else to_kafka).append(row.id)
    if to_kafka and producer is None:
        raise FailureDBError("replay needs Kafka: set `KAFKA_BOOTSTRAP_SERVERS` where this runs "
                             "(`spotlight-nifi dev env` prints the local one)")
    if to_kafka:
        outcome.done += [row.id for row in replay(db, to_kafka, producer, by=actor, note=note)]
    if to_http and http_ingress:
        outcome.done += [row.id for row in replay_http(db, to_http, http_ingress, by=actor, note=note)]
    return outcome
