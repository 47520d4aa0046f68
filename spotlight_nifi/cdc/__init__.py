"""Change data capture: PostgreSQL tables kept in sync in ClickHouse through Debezium and Kafka.

`manage.add` creates the ClickHouse table (`table.py`) from the source's definition
(`source.py`, `types.py`) and registers the Debezium connector (`connector.py`); `apply.run`
applies the change events (`events.py`) through the caster, the ClickHouse interface and the
failure DB; `manage.status` and `manage.remove` report on and tear down a captured table.
"""

from __future__ import annotations

from spotlight_nifi.cdc.apply import Applier, Progress, consumer, run
from spotlight_nifi.cdc.connector import Connect
from spotlight_nifi.cdc.errors import CdcError, CdcStopped
from spotlight_nifi.cdc.manage import (
           Added,
           Captured,
           Removed,
           TableStatus,
           add,
           captured,
           remove,
           status,
)

__all__ = ["Added", "Applier", "Captured", "CdcError", "CdcStopped", "Connect", "Progress", "Removed", "TableStatus",
           "add", "captured", "consumer", "remove", "run", "status"]
