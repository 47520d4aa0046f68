"""Errors of change data capture: each names the table, column or connector at fault and the fix."""

from __future__ import annotations

from spotlight_nifi.errors import SpotlightError


class CdcError(SpotlightError):
    """A table cannot be captured, or a connector cannot be set up, read or removed."""


class CdcStopped(CdcError):
    """A table's changes stopped at an event that cannot be applied safely (it is in the failure DB)."""

    def __init__(self, table: str, reason: str, where: str) -> None:
        self.table = table
        self.reason = reason
        super().__init__(f"table `{table}` stopped at {where}: {reason}; the event is in the failure DB; fix the "
                         f"cause, then run `spotlight-nifi cdc apply` again to resume from it")
