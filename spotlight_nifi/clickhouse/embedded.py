"""The embedded backend: chdb (the ClickHouse engine in-process) on a data directory.

Rows are sent as JSONEachRow text: the caster has already proven every value fits, so the text
is exact (Decimals and big integers as raw JSON numbers, times as ISO-8601 UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from chdb import session

from spotlight_nifi.clickhouse.interface import (JSON_COLUMN_SETTINGS, CatalogQueries, JSONRows, Rows, insert_token,
                                                 refused)
from spotlight_nifi.errors import ClickHouseError
from spotlight_nifi.infer.reader import parse_json
from spotlight_nifi.infer.names import literal, quote

_BATCH = 20_000
_SESSION_SETTINGS = ("SET output_format_json_quote_64bit_integers = 0", "SET output_format_json_quote_decimals = 1",
                     "SET json_type_escape_dots_in_keys = 1", "SET type_json_skip_null_typed_paths = 1")
"""Query results come back as JSON: integers unquoted (parsed exactly), Decimals quoted (exact);
dots in the keys of JSON columns read back as dots, and a typed path without a value is left out of
its JSON (as a dynamic one is), not written as null."""
_INSERT_SETTINGS = "SETTINGS date_time_input_format = 'best_effort', input_format_skip_unknown_fields = 0" + "".join(
    f", {name} = {value}" for name, value in JSON_COLUMN_SETTINGS.items())


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(format(value, "f").encode())
    if isinstance(value, (IPv4Address, IPv6Address, UUID)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to ClickHouse")


def _line(names: Sequence[str], row: Sequence[Any]) -> bytes:
    record = dict(zip(names, row))
    try:
        return orjson.dumps(record, default=_default)
    except TypeError:
        return orjson.dumps(_exact_integers(record), default=_default)


def _exact_integers(value: Any) -> Any:
    """Integers beyond 64 bits as raw JSON numbers (orjson refuses them)."""
    if type(value) is int and not -(2**63) <= value < 2**64:
        return orjson.Fragment(str(value).encode())
    if type(value) is dict:
        return {k: _exact_integers(v) for k, v in value.items()}
    if type(value) is list:
        return [_exact_integers(v) for v in value]
    return value


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
                body, fmt = b"\n".join(_line(names, row) for row in rows[start:start + _BATCH]), "JSONEachRow"
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
