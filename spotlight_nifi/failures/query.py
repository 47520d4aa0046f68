"""Filtered, sorted pages of failures, with keyset pagination that stays fast on any page.

A page starts after (or before) the sort key and id of a row, never at an OFFSET: each page is
one index range scan of `limit + 1` rows, whichever page it is (migration 0003 has a (key, id)
index per sort key, and a (column, first_seen, id) index per filter column). The last page is
the first page of the reversed order. Every value is a bound parameter; a `reason` filter is a
case-insensitive substring, with `%` and `_` meaning themselves; a `topic` ending in `*` is a
prefix (`http:*`: every HTTP batch).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from typing import Any, Literal

import orjson
from psycopg import sql
from psycopg.rows import class_row

from spotlight_nifi.failures.db import Db, transaction
from spotlight_nifi.failures.errors import FailureDBError
from spotlight_nifi.failures.store import STATUSES, Failure

OPEN = ("new", "replayed")
"""Statuses that still need a steward: the status filter `open`."""
STATUS_FILTERS: dict[str, tuple[str, ...]] = {"open": OPEN, **{status: (status,) for status in STATUSES}}

Direction = Literal["asc", "desc"]
SORTS: dict[str, tuple[str, Direction]] = {
    "newest": ("first_seen", "desc"),
    "oldest": ("first_seen", "asc"),
    "last_seen": ("last_seen", "desc"),
    "most_attempts": ("attempts", "desc"),
}
"""Sort name → (column, direction); ties are ordered by id in the same direction."""
_SCANS: dict[bool, dict[Direction, tuple[str, str]]] = {
    False: {"asc": (">", "ASC"), "desc": ("<", "DESC")},
    True: {"asc": ("<", "DESC"), "desc": (">", "ASC")},
}
"""(backwards?) → direction → (comparison with the cursor, ORDER BY direction)."""

PREVIEW_BYTES = 120
SUMMARY_COLUMNS = ('id, status, topic, "partition" AS partition, "offset" AS offset, flow, processor, reason, '
                   "reason_class, target_table, first_seen, last_seen, attempts, octet_length(payload) AS size, "
                   f"substring(payload from 1 for {PREVIEW_BYTES}) AS preview")


@dataclass(frozen=True)
class Summary:
    """A failure as a list shows it: its payload only as a size and its first bytes."""

    id: int
    status: str
    topic: str | None
    partition: int | None
    offset: int | None
    flow: str
    processor: str
    reason: str
    reason_class: str
    target_table: str | None
    first_seen: datetime
    last_seen: datetime
    attempts: int
    size: int
    preview: bytes

    source = Failure.source


@dataclass(frozen=True)
class Filters:
    """What a steward narrows the failures to; None (or empty) means any."""

    status: str | None = None
    topic: str | None = None
    table: str | None = None
    flow: str | None = None
    reason_class: str | None = None
    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.status and self.status not in STATUS_FILTERS:
            raise FailureDBError(f"unknown status `{self.status}`: choose one of {', '.join(STATUS_FILTERS)}")

    def where(self) -> tuple[sql.Composable, dict[str, Any]]:
        """The WHERE clause and its parameters."""
        clauses: list[sql.Composable] = []
        if self.status == "open":
            clauses.append(sql.SQL("status IN ('new', 'replayed')"))
        elif self.status:
            clauses.append(sql.SQL("status = %(status)s"))
        prefix = self.topic[:-1] if self.topic and self.topic.endswith("*") else None
        if prefix is not None:
            clauses.append(sql.SQL("topic LIKE %(topic_prefix)s"))
        exact = {"table": "target_table", "flow": "flow", "reason_class": "reason_class"}
        if prefix is None:
            exact["topic"] = "topic"
        clauses += [sql.SQL("{} = %({})s").format(sql.Identifier(column), sql.SQL(name))
                    for name, column in exact.items() if getattr(self, name)]
        if self.reason:
            clauses.append(sql.SQL("reason ILIKE %(reason_pattern)s"))
        if self.since:
            clauses.append(sql.SQL("first_seen >= %(since)s"))
        if self.until:
            clauses.append(sql.SQL("first_seen < %(until)s"))
        params = {**asdict(self), "reason_pattern": f"%{_like_escaped(self.reason or '')}%",
                  "topic_prefix": f"{_like_escaped(prefix or '')}%"}
        return sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("true"), params

    def as_params(self) -> dict[str, str]:
        """The filters that are set, as text (a page link's query string)."""
        return {f.name: _text(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)}


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the sort key and id of the row next to it, opaque in links."""

    key: Any
    id: int

    def token(self) -> str:
        value = self.key.isoformat() if isinstance(self.key, datetime) else self.key
        return base64.urlsafe_b64encode(orjson.dumps([value, self.id])).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str, sort: str) -> Cursor:
        """A cursor from a link; FailureDBError when the link was damaged or is for another sort."""
        try:
            key, record_id = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            column = SORTS[sort][0]
            key = int(key) if column == "attempts" else datetime.fromisoformat(key)
            if type(record_id) is not int:
                raise TypeError(record_id)
        except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
            raise FailureDBError(f"the page position `{token[:40]}` is not valid for sort `{sort}`: "
                                 "start again from the first page") from None
        return cls(key, record_id)


@dataclass(frozen=True)
class Page:
    """One page of rows, with the cursors of the pages before and after it (None at either end)."""

    rows: list[Summary]
    previous: Cursor | None
    next: Cursor | None


def _check(sort: str, limit: int) -> tuple[str, Direction]:
    if sort not in SORTS:
        raise FailureDBError(f"unknown sort `{sort}`: choose one of {', '.join(SORTS)}")
    if not 1 <= limit <= 1000:
        raise FailureDBError(f"page size must be between 1 and 1000, got {limit}")
    return SORTS[sort]


def page(db: Db, filters: Filters = Filters(), sort: str = "newest", *, after: Cursor | None = None,
         before: Cursor | None = None, last: bool = False, limit: int = 50) -> Page:
    """The page after `after`, the page before `before`, the last page, or else the first.

    Going back to the start gives the first page, so page boundaries stay the same both ways."""
    column, direction = _check(sort, limit)
    backwards = before is not None or last
    op, order = _SCANS[backwards][direction]
    where, params = filters.where()
    start = before if before is not None else after
    if start is not None and not last:
        where = sql.SQL("{} AND ({}, id) {} (%(key)s, %(id)s)").format(where, sql.Identifier(column), sql.SQL(op))
        params |= {"key": start.key, "id": start.id}
    query = sql.SQL("SELECT {} FROM failures WHERE {} ORDER BY {} {}, id {} LIMIT %(limit)s").format(
        sql.SQL(SUMMARY_COLUMNS), where, sql.Identifier(column), sql.SQL(order), sql.SQL(order))
    with transaction(db) as conn, conn.cursor(row_factory=class_row(Summary)) as cur:
        rows = cur.execute(query, {**params, "limit": limit + 1}).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    first_cursor = _cursor(rows[0], column) if rows else None
    last_cursor = _cursor(rows[-1], column) if rows else None
    if before is not None and not last and not more:
        return page(db, filters, sort, limit=limit)
    if backwards:
        return Page(rows, first_cursor if more else None, None if last else last_cursor)
    return Page(rows, first_cursor if start is not None else None, last_cursor if more else None)


def _cursor(row: Summary, column: str) -> Cursor:
    return Cursor(getattr(row, column), row.id)


def count(db: Db, filters: Filters = Filters(), cap: int = 10_000) -> int:
    """How many failures match, counted up to `cap + 1` (more than `cap` reads as "over cap")."""
    where, params = filters.where()
    query = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM failures WHERE {} LIMIT %(cap)s) AS matching").format(where)
    with transaction(db) as conn:
        found = conn.execute(query, {**params, "cap": cap + 1}).fetchone()
    return int(found[0]) if found else 0


def matching_ids(db: Db, filters: Filters, limit: int) -> list[int]:
    """The ids of up to `limit` matching failures, oldest first: a selection to act on."""
    where, params = filters.where()
    query = sql.SQL("SELECT id FROM failures WHERE {} ORDER BY first_seen, id LIMIT %(limit)s").format(where)
    with transaction(db) as conn:
        return [row[0] for row in conn.execute(query, {**params, "limit": limit}).fetchall()]


def reason_classes(db: Db) -> list[str]:
    """The reason classes a failure can have, in the order their patterns are tried, then `other`."""
    with transaction(db) as conn:
        found = [row[0] for row in conn.execute("SELECT class FROM failure_reason_classes ORDER BY position")]
    return [*dict.fromkeys(found), "other"]


def filters_from(args: Mapping[str, str]) -> Filters:
    """Filters from a query string (blank values mean any); FailureDBError names a malformed value."""
    values: dict[str, Any] = {}
    for f in fields(Filters):
        text = (args.get(f.name) or "").strip()
        if not text:
            continue
        if f.name in ("since", "until"):
            values[f.name] = _datetime(f.name, text)
        else:
            values[f.name] = text
    return Filters(**values)


def _datetime(name: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise FailureDBError(f"`{name}` must be a date and time like 2026-01-31T13:45, not `{text[:40]}`") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
