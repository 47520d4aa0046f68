"""One ClickHouse interface; `connect(url)` picks the backend by the URL's scheme.

`chdb:///path` (or `chdb://relative/path`) opens the embedded engine on that data directory;
`http://` / `https://` talks to a server through clickhouse-connect. The embedded engine allows
one process per data directory (and one directory per process), so the CLI opens it for the
length of one command and closes it: to read the data meanwhile, run queries through the same
process, or point another tool at it only when no command is running.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from spotlight_nifi.errors import ClickHouseError, ConfigError
from spotlight_nifi.infer.names import literal

DEFAULT_URL = "chdb://.spotlight/clickhouse"
JSON_COLUMN_SETTINGS = {"input_format_try_infer_dates": 0, "input_format_try_infer_datetimes": 0,
                        "json_type_escape_dots_in_keys": 1}
"""Insert settings that make a JSON column store what the caster let through exactly: strings stay
strings (not dates re-spelled by ClickHouse), and a dot in a key stays part of the key (not a
nested path that could collide with another)."""


TEXT_INSERT_SETTINGS: dict[str, Any] = {"date_time_input_format": "best_effort", "input_format_skip_unknown_fields": 0,
                                        **JSON_COLUMN_SETTINGS}
"""How both backends read rows sent as JSON text: times as ISO-8601, every field a column."""


@dataclass(frozen=True)
class JSONRows:
    """Rows already written as JSONCompactEachRow in the insert's column order (`cast.render_row`), one a
    line, each line ending with a newline: a backend sends their text as it is, without a Python value
    in between."""

    data: bytes | bytearray
    count: int

    def __len__(self) -> int:
        return self.count

    @cached_property
    def _line_starts(self) -> list[int]:
        """Where each line starts, and the end: found once, however many chunks are taken."""
        starts, at = [0], self.data.find(b"\n")
        while at != -1:
            starts.append(at + 1)
            at = self.data.find(b"\n", at + 1)
        return starts

    def text(self, start: int = 0, stop: int | None = None) -> bytes | bytearray:
        """The lines of rows `start:stop`."""
        stop = self.count if stop is None else min(stop, self.count)
        if start == 0 and stop == self.count:
            return self.data
        return self.data[self._line_starts[start]:self._line_starts[stop]]


Rows = Sequence[Sequence[Any]] | JSONRows
"""What `insert` takes: Python rows, or rows already written as JSON."""


class ClickHouse(Protocol):
    """What the loader and the CLI need from ClickHouse."""

    def command(self, sql: str) -> None: ...

    def query(self, sql: str) -> list[tuple[Any, ...]]: ...

    def insert(self, table: str, columns: Sequence[str], rows: Rows, token: str | None = None) -> None:
        """Insert `rows`; an insert whose `token` the table has already seen is skipped (see `insert_token`)."""
        ...

    def columns(self, table: str) -> list[tuple[str, str, str]] | None:
        """(name, type, comment) per column, None when the table does not exist."""
        ...

    def close(self) -> None: ...


def insert_token(token: str | None) -> str:
    """The `insert_deduplication_token` to send: `token`, else a fresh one.

    A table with a deduplication window (`non_replicated_deduplication_window`, set on the tables
    `spotlight-nifi` creates) skips an insert whose token is in the window, which makes retries
    idempotent; a table without one inserts anyway. Without a token ClickHouse compares content,
    so a second, identical batch that is no retry would be dropped: a fresh token prevents that.
    """
    return token or uuid.uuid4().hex


def refused(sql: str, error: Exception) -> ClickHouseError:
    """The error for a statement ClickHouse refused, naming its first line."""
    first = sql.strip().splitlines()[0][:200] if sql.strip() else ""
    return ClickHouseError(f"ClickHouse refused `{first}`: {str(error).strip()}")


class CatalogQueries:
    """What both backends answer with plain SQL, written once: a table's columns (None when it is missing)."""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def columns(self, table: str) -> list[tuple[str, str, str]] | None:
        rows = self.query("SELECT name, type, comment FROM system.columns WHERE database = currentDatabase() "
                          f"AND table = {literal(table)} ORDER BY position")
        return [(str(a), str(b), str(c)) for a, b, c in rows] or None


def chdb_path(url: str) -> Path:
    """The data directory of a `chdb://` URL."""
    parts = urlsplit(url)
    path = parts.netloc + parts.path
    if not path:
        raise ConfigError("CLICKHOUSE_URL", f"`{url}` has no data directory: use `chdb:///absolute/path` or `chdb://relative/path`")
    return Path(path)


def is_server(url: str | None) -> bool:
    """Whether `url` names a ClickHouse server (storage policies exist only there)."""
    return urlsplit(url or DEFAULT_URL).scheme in ("http", "https")


def connect(url: str | None) -> ClickHouse:
    """A backend for `url` (default: the embedded engine under `./.spotlight/clickhouse`)."""
    url = url or DEFAULT_URL
    scheme = urlsplit(url).scheme
    if scheme == "chdb":
        from spotlight_nifi.clickhouse.embedded import Embedded

        return Embedded(chdb_path(url))
    if scheme in ("http", "https"):
        from spotlight_nifi.clickhouse.server import Server

        return Server.from_url(url)
    raise ConfigError("CLICKHOUSE_URL", f"`{url}` is not a ClickHouse URL: use `http(s)://host:port` or `chdb:///path`")
