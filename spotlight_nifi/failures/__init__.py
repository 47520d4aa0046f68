"""The failure DB (PostgreSQL): every Kafka record that could not be loaded, with its raw bytes,
where it came from, why it failed, and the data stewards' decision about it."""

from __future__ import annotations

from spotlight_nifi.failures.audit import Action, history
from spotlight_nifi.failures.db import connect
from spotlight_nifi.failures.errors import (
    FailureDBError,
    FailureRecordError,
    ReconcileError,
)
from spotlight_nifi.failures.export import export
from spotlight_nifi.failures.overview import Overview, overview
from spotlight_nifi.failures.payload import PayloadView, payload_text, payload_view
from spotlight_nifi.failures.query import (
    Cursor,
    Filters,
    Page,
    Summary,
    count,
    matching_ids,
    page,
    reason_classes,
)
from spotlight_nifi.failures.reconcile import Report, reconcile
from spotlight_nifi.failures.replay import replay
from spotlight_nifi.failures.replay_http import replay_http
from spotlight_nifi.failures.review import DECISIONS, Outcome, decide
from spotlight_nifi.failures.schema import migrate, migrations
from spotlight_nifi.failures.store import (
    STATUSES,
    Attempt,
    FailedRecord,
    Failure,
    Status,
    attempts,
    get_failure,
    ignore,
    list_failures,
    record_failure,
    record_failures,
    resolve,
)

__all__ = [
    "DECISIONS",
    "STATUSES",
    "Action",
    "Attempt",
    "Cursor",
    "FailedRecord",
    "Failure",
    "FailureDBError",
    "FailureRecordError",
    "Filters",
    "Outcome",
    "Overview",
    "Page",
    "PayloadView",
    "ReconcileError",
    "Report",
    "Status",
    "Summary",
    "attempts",
    "connect",
    "count",
    "decide",
    "export",
    "get_failure",
    "history",
    "ignore",
    "list_failures",
    "matching_ids",
    "migrate",
    "migrations",
    "overview",
    "page",
    "payload_text",
    "payload_view",
    "reason_classes",
    "reconcile",
    "record_failure",
    "record_failures",
    "replay",
    "replay_http",
    "resolve",
]
