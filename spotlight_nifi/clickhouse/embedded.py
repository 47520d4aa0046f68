"""The embedded backend: chdb (the ClickHouse engine in-process) on a data directory.

Rows are sent as JSONEachRow text: the caster has already proven every value fits, so the text
is exact (Decimals and big integers as raw JSON numbers, times as ISO-8601 UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chdb import session

from spotlight_nifi.clickhouse.interface import (TEXT_INSERT_SETTINGS, CatalogQueries, JSONRows, Rows, insert_token,
                                                 refused)
from spotlight_nifi.cast import render_row
from spotlight_nifi.errors import ClickHouseError
from spotlight_nifi.infer.reader import parse_json
from spotlight_nifi.infer.names import literal, quote

_BATCH = 20_000
_SESSION_SETTINGS = ("SET output_format_json_quote_64bit_integers = 0", "SET output_format_json_quote_decimals = 1",
                     "SET json_type_escape_dots_in_keys = 1", "SET type_json_skip_null_typed_paths = 1")
"""Query results come back as JSON: integers unquoted (parsed exactly), Decimals quoted (exact);
dots in the keys of JSON columns read back as dots, and a typed path without a value is left out of
its JSON (as a dynamic one is), not written as null."""
_INSERT_SETTINGS = "SETTINGS " + ", ".join(f"{name} = {literal(value) if isinstance(value, str) else value}"
                                          for name, value in TEXT_INSERT_SETTINGS.items())


class Embedded(CatalogQueries):
    """chdb on one data directory; close it so another process can open the directory."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        try:
            self._session = session.Session(str(path))
        except Exception as error:  # chdb raises plain Exception subclasses
            raise ClickHouseError(f"cannot open the embedded ClickHouse at `{path}`: {error}") from None
        self.path = path
        for setting in _SESSION_SETTINGS:
            self._run(setting)

    def _run(self, sql: str, fmt: str = "CSV") -> Any:
        try:
            return self._session.query(sql, fmt)
        except Exception as error:
            raise refused(sql, error) from None

    def command(self, sql: str) -> None:
        self._run(sql)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        data = self._run(sql, "JSONCompact").bytes()
        return [tuple(row) for row in parse_json(data)["data"]] if data else []

    def insert(self, table: str, columns: Sequence[str], rows: Rows, token: str | None = None) -> None:
        """One INSERT per `_BATCH` rows, each with its own token derived from `token` (a retry
        re-sends the same chunks, so each is recognised)."""
        names = list(columns)
        into = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in names)}) {_INSERT_SETTINGS}"
        base = insert_token(token)
        for number, start in enumerate(range(0, len(rows), _BATCH)):
            chunk = literal(f"{base}/{number}")
            if isinstance(rows, JSONRows):
                body, fmt = rows.text(start, start + _BATCH), "JSONCompactEachRow"
            else:
                body, fmt = b"\n".join(render_row(dict(zip(names, row))) for row in rows[start:start + _BATCH]), "JSONEachRow"
            self._run(f"{into}, insert_deduplication_token = {chunk} FORMAT {fmt}\n" + body.decode())

    def file_lines(self, path: Path) -> str | None:
        """A local file as a table of its lines (`line`; `_row_number` counts from 0), read by the
        engine in this process with no copy through Python; None for a path `file()` would take
        for a glob."""
        text = str(path.resolve())
        if any(char in text for char in "*?{}"):
            return None
        return f"file({literal(text)}, LineAsString, 'line String', 'none')"

    def close(self) -> None:
        self._session.close()
