"""The audit trail: who replayed, resolved, ignored or exported what, and when (`failure_actions`).

Rows are written in the transaction of the change they describe, so a decision and its audit row
are committed together or not at all. A missing actor is the database user (`current_user`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from spotlight_nifi.failures.db import Db, transaction

ActionName = Literal["replay", "resolve", "ignore", "export"]
DECISIONS: dict[str, ActionName] = {"resolved": "resolve", "ignored": "ignore"}
"""The action that sets each decided status."""


@dataclass(frozen=True)
class Action:
    """One audit row."""

    action: ActionName
    actor: str
    at: datetime
    note: str | None
    detail: dict[str, Any]


def log(conn: psycopg.Connection, record_ids: Sequence[int], action: ActionName, actor: str | None,
        note: str | None = None, detail: Mapping[str, Any] | None = None) -> None:
    """One audit row per record (or one row without a record when `record_ids` is empty: an export)."""
    ids: list[int | None] = list(record_ids) or [None]
    conn.execute(
        "INSERT INTO failure_actions (failure_id, action, actor, note, detail) "
        "SELECT unnest(%s::bigint[]), %s, coalesce(%s, current_user), %s, %s",
        (ids, action, actor, note, Jsonb(dict(detail or {}))),
    )


def history(db: Db, record_id: int) -> list[Action]:
    """Every action on one record, oldest first."""
    with transaction(db) as conn, conn.cursor(row_factory=class_row(Action)) as cur:
        return cur.execute("SELECT action, actor, at, note, detail FROM failure_actions WHERE failure_id = %s "
                           "ORDER BY at, id", (record_id,)).fetchall()
