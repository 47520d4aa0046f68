"""The server backend: clickhouse-connect over HTTP(S)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from spotlight_nifi.clickhouse.interface import (JSON_COLUMN_SETTINGS, TEXT_INSERT_SETTINGS, CatalogQueries, JSONRows, Rows, insert_token,
                                                 refused)
from spotlight_nifi.errors import ClickHouseError, ConfigError


@dataclass(frozen=True)
class ServerAddress:
    """Where the server is: parsed from `http(s)://user:password@host:port/database`."""

    host: str
    port: int
    secure: bool
    username: str
    password: str
    database: str

    @classmethod
    def parse(cls, url: str) -> ServerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("CLICKHOUSE_URL", f"`{url}` is not a ClickHouse server URL: use `http(s)://user:password@host:port/database`")
        secure = parts.scheme == "https"
        database = parts.path.strip("/") or parse_qs(parts.query).get("database", ["default"])[0]
        return cls(parts.hostname, parts.port or (8443 if secure else 8123), secure,
                   unquote(parts.username or "default"), unquote(parts.password or ""), database)


class Server(CatalogQueries):
    """A ClickHouse server through clickhouse-connect."""

    def __init__(self, address: ServerAddress) -> None:
        import clickhouse_connect

        self.address = address
        try:
            self._client = clickhouse_connect.get_client(host=address.host, port=address.port, secure=address.secure,
                                                         username=address.username, password=address.password,
                                                         database=address.database)
        except Exception as error:
            raise ClickHouseError(f"cannot reach ClickHouse at `{address.host}:{address.port}`: {error}") from None

    @classmethod
    def from_url(cls, url: str) -> Server:
        return cls(ServerAddress.parse(url))

    def command(self, sql: str) -> None:
        try:
            self._client.command(sql)
        except Exception as error:
            raise refused(sql, error) from None

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            return [tuple(row) for row in self._client.query(sql).result_rows]
        except Exception as error:
            raise refused(sql, error) from None

    def insert(self, table: str, columns: Sequence[str], rows: Rows, token: str | None = None) -> None:
        """One insert; the server splits it into blocks and keeps the token per block. Rows already
        written as JSON go as JSONCompactEachRow text, parsed by the server as the embedded engine does."""
        settings = {"insert_deduplication_token": insert_token(token), **JSON_COLUMN_SETTINGS}
        try:
            if isinstance(rows, JSONRows):
                self._client.raw_insert(table, list(columns), bytes(rows.text()), fmt="JSONCompactEachRow",
                                        settings={**settings, **TEXT_INSERT_SETTINGS})
            else:
                self._client.insert(table, [list(r) for r in rows], column_names=list(columns), settings=settings)
        except Exception as error:
            raise ClickHouseError(f"ClickHouse refused the insert into `{table}`: {error}") from None

    def close(self) -> None:
        self._client.close()
