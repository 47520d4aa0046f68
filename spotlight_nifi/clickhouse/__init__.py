"""ClickHouse access: one interface, an embedded (chdb) and a server (clickhouse-connect) backend."""

from spotlight_nifi.clickhouse.interface import DEFAULT_URL, ClickHouse, connect, is_server

__all__ = ["DEFAULT_URL", "ClickHouse", "connect", "is_server"]
