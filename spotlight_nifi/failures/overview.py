"""What the stewards see first: how much is open, where it comes from, why, since when.

Open means `new` or `replayed` (query.OPEN). Records of HTTP batches are grouped as one source,
`http:*`, since each batch is a "topic" of its own. Days are UTC days of `first_seen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from psycopg.rows import class_row

from spotlight_nifi.failures.db import Db, transaction
from spotlight_nifi.failures.query import SUMMARY_COLUMNS, Summary
from spotlight_nifi.ingest.batch import HTTP_TOPIC_PREFIX

HTTP_SOURCE = f"{HTTP_TOPIC_PREFIX}*"


@dataclass(frozen=True)
class SourceCount:
    """Open failures of one topic and target table."""

    topic: str | None
    table: str | None
    open: int
    oldest: datetime


@dataclass(frozen=True)
class DayCount:
    day: date
    reason_class: str
    failures: int


@dataclass
class Overview:
    by_status: dict[str, int]
    by_source: list[SourceCount]
    by_class: dict[str, int]
    days: list[DayCount]
    oldest_open: Summary | None
    since: date

    @property
    def open(self) -> int:
        return sum(self.by_class.values())


_BY_SOURCE = """
SELECT CASE WHEN starts_with(topic, %(http)s) THEN %(http_source)s ELSE topic END AS topic,
       target_table AS table, count(*) AS open, min(first_seen) AS oldest
FROM failures WHERE status IN ('new', 'replayed') GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT %(limit)s
"""
_BY_DAY = """
SELECT (first_seen AT TIME ZONE 'UTC')::date AS day, reason_class, count(*) AS failures
FROM failures WHERE first_seen >= %(since)s GROUP BY 1, 2 ORDER BY 1, 2
"""


def overview(db: Db, days: int = 14, sources: int = 50) -> Overview:
    """Counts by status, open failures by source and by reason class, failures per day and class
    over the last `days` days, and the oldest open failure."""
    since = datetime.now(timezone.utc).date() - timedelta(days=days - 1)
    with transaction(db) as conn:
        by_status = dict(conn.execute("SELECT status, count(*) FROM failures GROUP BY status").fetchall())
        by_class = dict(conn.execute("SELECT reason_class, count(*) FROM failures WHERE status IN ('new', 'replayed') "
                                     "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
        with conn.cursor(row_factory=class_row(SourceCount)) as cur:
            by_source = cur.execute(_BY_SOURCE, {"limit": sources, "http": HTTP_TOPIC_PREFIX,
                                                 "http_source": HTTP_SOURCE}).fetchall()
        with conn.cursor(row_factory=class_row(DayCount)) as cur:
            per_day = cur.execute(_BY_DAY, {"since": datetime(since.year, since.month, since.day,
                                                             tzinfo=timezone.utc)}).fetchall()
        with conn.cursor(row_factory=class_row(Summary)) as cur:
            oldest = cur.execute(f"SELECT {SUMMARY_COLUMNS} FROM failures WHERE status IN ('new', 'replayed') "
                                 "ORDER BY first_seen, id LIMIT 1").fetchone()
    return Overview(by_status, by_source, by_class, per_day, oldest, since)
