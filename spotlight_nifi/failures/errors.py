"""Errors of the failure DB, in the package's one hierarchy (`SpotlightError`)."""

from __future__ import annotations

from spotlight_nifi.errors import SpotlightError


class FailureDBError(SpotlightError):
    """The failure DB cannot be reached or is not migrated: names the database, not its password."""


class FailureRecordError(FailureDBError):
    """An operation on one failure record was refused: names the record id."""

    def __init__(self, record_id: int, message: str) -> None:
        self.record_id = record_id
        super().__init__(f"failure record `{record_id}`: {message}")


class ReconcileError(SpotlightError):
    """A topic cannot be reconciled, or records of it are missing: names the topic (and table)."""

    def __init__(self, topic: str, message: str) -> None:
        self.topic = topic
        super().__init__(f"topic `{topic}`: {message}")
