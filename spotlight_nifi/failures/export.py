"""Export of a filtered selection as JSON Lines or CSV, streamed: any size in constant memory.

Bytes are exact in `payload_base64` and `key_base64`; `payload_text` is the payload decoded as
UTF-8, or empty when it is not UTF-8. In CSV, a text cell starting with `=`, `+`, `-`, `@`, tab or
carriage return gets a leading `'` so that a spreadsheet shows it instead of running it as a
formula (the base64 columns stay exact). Each export is written to the audit trail.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from psycopg import sql
from psycopg.rows import class_row

from spotlight_nifi.failures import audit
from spotlight_nifi.failures.db import connect
from spotlight_nifi.failures.errors import FailureDBError
from spotlight_nifi.failures.query import Filters
from spotlight_nifi.failures.store import SELECT_COLUMNS, Failure

FIELDS = ("id", "status", "topic", "partition", "offset", "key_base64", "payload_base64", "payload_text", "flow",
          "processor", "target_table", "reason_class", "reason", "first_seen", "last_seen", "attempts",
          "resolved_by", "note")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BATCH = 500


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def as_fields(row: Failure) -> dict[str, Any]:
    """One exported record."""
    values = {**vars(row), "key_base64": _b64(row.key), "payload_base64": _b64(row.payload),
              "payload_text": _text(row.payload), "first_seen": row.first_seen.isoformat(),
              "last_seen": row.last_seen.isoformat()}
    return {name: values[name] for name in FIELDS}


def _jsonl(rows: Iterator[Failure]) -> Iterator[bytes]:
    for row in rows:
        yield orjson.dumps(as_fields(row)) + b"\n"


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _csv(rows: Iterator[Failure]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([_cell(value) for value in as_fields(row).values()])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


WRITERS: dict[str, Callable[[Iterator[Failure]], Iterator[bytes]]] = {"jsonl": _jsonl, "csv": _csv}
MEDIA_TYPES: dict[str, str] = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def _rows(dsn: str, filters: Filters) -> Iterator[Failure]:
    """Matching failures oldest first, through a server-side cursor on a connection of their own."""
    where, params = filters.where()
    query = sql.SQL("SELECT {} FROM failures WHERE {} ORDER BY first_seen, id").format(sql.SQL(SELECT_COLUMNS), where)
    with connect(dsn) as conn, conn.cursor("export", row_factory=class_row(Failure)) as cur:
        cur.itersize = _BATCH
        yield from cur.execute(query, params)


def export(dsn: str, filters: Filters, fmt: str, actor: str) -> Iterator[bytes]:
    """The matching failures in `fmt`, as chunks to stream; the export is audited before the first chunk."""
    if fmt not in WRITERS:
        raise FailureDBError(f"unknown export format `{fmt}`: choose one of {', '.join(WRITERS)}")
    with connect(dsn) as conn:
        audit.log(conn, [], "export", actor, None, {"format": fmt, "filters": filters.as_params()})
    return WRITERS[fmt](_rows(dsn, filters))
