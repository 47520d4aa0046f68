"""The connections a running page shares between requests: a small pool of failure-DB connections
and one Kafka producer, opened on first use so that the page starts even while they are down."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from confluent_kafka import Producer
from flask import current_app
from psycopg_pool import ConnectionPool, PoolTimeout

from spotlight_nifi.failures.db import describe
from spotlight_nifi.failures.errors import FailureDBError
from spotlight_nifi.web.config import WebConfig


class Resources:
    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._producer: Producer | None = None

    def _open_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(self.config.dsn, min_size=1, max_size=4, open=True,
                                            kwargs={"autocommit": True, "connect_timeout": 10},
                                            name="failure-db")
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection (autocommit: the library opens its own transactions)."""
        try:
            with self._open_pool().connection(timeout=10) as conn:
                yield conn
        except PoolTimeout:
            raise FailureDBError(f"cannot connect to the failure DB `{describe(self.config.dsn)}` within 10 s: "
                                 "check `--dsn` or `FAILURE_DB_DSN`") from None

    def producer(self) -> Producer | None:
        """The Kafka producer for replays; None when `KAFKA_BOOTSTRAP_SERVERS` is not set."""
        if self.config.kafka_bootstrap is None:
            return None
        with self._lock:
            if self._producer is None:
                self._producer = Producer({"bootstrap.servers": self.config.kafka_bootstrap,
                                           "enable.idempotence": True})
            return self._producer

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._producer is not None:
            self._producer.flush(10)
            self._producer = None


def resources() -> Resources:
    """The running app's resources."""
    found: Resources = current_app.extensions["spotlight_failures"]
    return found
