"""URL parsing for the backends: what the server backend hands clickhouse-connect. The backend
itself runs against the local stack's `clickhouse` service in tests/integration/test_clickhouse_http.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spotlight_nifi.clickhouse.interface import chdb_path
from spotlight_nifi.clickhouse.server import Server, ServerAddress
from spotlight_nifi.errors import ConfigError


@pytest.mark.parametrize(("url", "expected"), [
    ("http://localhost:8123", ServerAddress("localhost", 8123, False, "default", "", "default")),
    ("https://ch.example.com", ServerAddress("ch.example.com", 8443, True, "default", "", "default")),
    ("http://bob:p%40ss@db:9000/analytics", ServerAddress("db", 9000, False, "bob", "p@ss", "analytics")),
    ("http://db?database=raw", ServerAddress("db", 8123, False, "default", "", "raw")),
])
def test_server_urls(url: str, expected: ServerAddress) -> None:
    assert ServerAddress.parse(url) == expected


def test_server_url_needs_a_host() -> None:
    with pytest.raises(ConfigError, match=r"`http://` is not a ClickHouse server URL"):
        ServerAddress.parse("http://")


@pytest.mark.parametrize(("url", "expected"), [("chdb:///var/ch", Path("/var/ch")), ("chdb://.spotlight/ch", Path(".spotlight/ch"))])
def test_chdb_paths(url: str, expected: Path) -> None:
    assert chdb_path(url) == expected


def test_chdb_url_needs_a_path() -> None:
    with pytest.raises(ConfigError, match=r"`chdb://` has no data directory"):
        chdb_path("chdb://")


class RecordingClient:
    """clickhouse-connect's client as `Server.insert` uses it: records each insert's settings."""

    def __init__(self) -> None:
        self.settings: list[dict[str, Any]] = []

    def insert(self, table: str, data: list[list[Any]], *, column_names: list[str], settings: dict[str, Any]) -> None:
        self.settings.append(settings)


def test_server_insert_sends_the_deduplication_token() -> None:
    server = Server.__new__(Server)
    server._client = client = RecordingClient()
    server.insert("t", ["a"], [(1,)], "spotlight:ff:t:0-1")
    server.insert("t", ["a"], [(1,)])
    server.insert("t", ["a"], [(1,)])
    given, fresh, other = (s["insert_deduplication_token"] for s in client.settings)
    assert given == "spotlight:ff:t:0-1" and fresh != other
