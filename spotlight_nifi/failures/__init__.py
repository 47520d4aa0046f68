"""The failure DB (PostgreSQL): every Kafka record that could not be loaded, with its raw bytes,
where it came from, why it failed, and the data stewards' decision about it."""

from __future__ import annotations

from spotlight_nifi.failures.db import connect
from spotlight_nifi.failures.errors import FailureDBError, FailureRecordError
from spotlight_nifi.failures.payload import payload_text
from spotlight_nifi.failures.replay import replay
from spotlight_nifi.failures.schema import migrate, migrations
from spotlight_nifi.failures.store import (
    STATUSES,
    FailedRecord,
    Failure,
    Status,
    get_failure,
    ignore,
    list_failures,
    record_failure,
    record_failures,
    resolve,
)

__all__ = [
    "STATUSES",
    "FailedRecord",
    "Failure",
    "FailureDBError",
    "FailureRecordError",
    "Status",
    "connect",
    "get_failure",
    "ignore",
    "list_failures",
    "migrate",
    "migrations",
    "payload_text",
    "record_failure",
    "record_failures",
    "replay",
    "resolve",
]
