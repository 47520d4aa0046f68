"""URL parsing for the backends. The server backend itself cannot be exercised here: there is no
ClickHouse server on this machine (the embedded engine is tested in tests/integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.clickhouse.interface import chdb_path
from spotlight_nifi.clickhouse.server import ServerAddress
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
