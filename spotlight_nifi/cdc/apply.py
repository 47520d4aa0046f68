"""Applying a captured table's change events: Kafka → convert → cast → insert into ClickHouse → failures.

The same path as every flow's, from the same code: records are cast by `spotlight_nifi.cast`,
inserted through the ClickHouse interface with an insert token per Kafka offset range (a retried
batch is skipped), and records that do not fit go to the failure DB through
`failures.store.record_failures`, with their Kafka coordinates, raw bytes and reason. Kafka offsets
are committed once a batch's rows and failures are stored, so a crash replays at most one batch,
which the tokens and the table's versions absorb.

A misfit first makes the applier read the source's definition again: when the table changed,
`table.follow` brings ClickHouse along and the batch is cast again. A change that cannot be applied
safely stops the table at that event (its rows before it are stored, its offset is not committed),
and the event goes to the failure DB with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import psycopg
from confluent_kafka import Consumer, KafkaError, TopicPartition

from spotlight_nifi.cast import Caster, compile_caster
from spotlight_nifi.cdc import table as cdc_table
from spotlight_nifi.cdc.errors import CdcError, CdcStopped
from spotlight_nifi.cdc.events import EventConverter
from spotlight_nifi.cdc.source import SourceTable, read_table
from spotlight_nifi.cdc.types import VERSION
from spotlight_nifi.clickhouse import ClickHouse
from spotlight_nifi.clickhouse.tables import apply_alters, table_columns
from spotlight_nifi.errors import RecordCastError
from spotlight_nifi.failures.db import Db
from spotlight_nifi.failures.store import FailedRecord, record_failures
from spotlight_nifi.infer.names import literal
from spotlight_nifi.infer.placement import local_table
from spotlight_nifi.infer.reader import parse_json
from spotlight_nifi.infer.types import Column

PROCESSOR = "cdc apply"


class Event(Protocol):
    """What the applier reads of a Kafka message (confluent-kafka's `Message` has it)."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...


@dataclass
class Progress:
    """What the applier has done so far: every event read is applied or failed."""

    read: int = 0
    applied: int = 0
    failed: int = 0
    followed: list[str] = field(default_factory=list)
    """The DDL statements run to follow the source's schema."""
    last_lsn: int = 0


def sorting_key(db: ClickHouse, table: str, cluster: str | None = None) -> tuple[str, ...]:
    """The columns the table is ordered by: the primary key it was created with (on a cluster, the
    replicated local table's; the Distributed table in front has none)."""
    rows = db.query("SELECT sorting_key FROM system.tables WHERE database = currentDatabase() "
                    f"AND name = {literal(local_table(table, cluster))}")
    if not rows:
        raise CdcError(f"ClickHouse table `{table}` does not exist: run `spotlight-nifi cdc add` first")
    key = str(rows[0][0]).strip()
    key = key[1:-1] if key.startswith("(") and key.endswith(")") else key  # one column may read `(id)`
    return tuple(part.strip().strip("`") for part in key.split(","))


class Applier:
    """Applies one table's events; `apply(batch)` per Kafka poll."""

    def __init__(self, db: ClickHouse, source: psycopg.Connection, failures: Db, *, schema: str, name: str,
                 table: str, exclude: Sequence[str] = (), cluster: str | None = None) -> None:
        self.db, self.source, self.failures, self.cluster = db, source, failures, cluster
        self.schema, self.name, self.table, self.exclude = schema, name, table, tuple(exclude)
        self.flow = f"cdc {schema}.{name}"
        self.progress = Progress()
        self.stored: list[Event] = []
        """The last event of each stored batch, not yet committed in Kafka."""
        self._load(read_table(source, schema, name, self.exclude))

    def _load(self, definition: SourceTable) -> None:
        columns = table_columns(self.db, self.table)
        if columns is None:
            raise CdcError(f"ClickHouse table `{self.table}` does not exist: run `spotlight-nifi cdc add "
                           f"{self.schema}.{self.name}` first")
        self.definition = definition
        self.columns: list[Column] = columns
        self.converter = EventConverter.build(definition)
        self.caster: Caster = compile_caster(columns)

    def _follow(self) -> tuple[str | None, bool]:
        """Bring the table to the source's definition: (why it cannot be, or None; whether anything changed)."""
        definition = read_table(self.source, self.schema, self.name, self.exclude)
        plan = cdc_table.follow(self.table, self.columns, sorting_key(self.db, self.table, self.cluster), definition)
        if plan.refused is not None:
            return plan.refused, False
        apply_alters(self.db, self.table, plan.statements, self.cluster)
        self.progress.followed += plan.statements
        changed = bool(plan.statements) or definition != self.definition
        if changed:
            self._load(definition)
        return None, changed

    def _row(self, event: Event) -> tuple[Any, ...]:
        raw = event.value() or b""
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            try:
                value = parse_json(raw)
            except ValueError as error:
                raise RecordCastError("", None, f"the change event is not JSON ({error})") from None
        return self.caster.cast(self.converter.record(value))

    def apply(self, events: Sequence[Event]) -> None:
        """Insert the rows of `events` and record their misfits; CdcStopped at an event that cannot be
        applied (the events before it are stored, `stored` names the last of them)."""
        rows: list[tuple[Any, ...]] = []
        failed: list[FailedRecord] = []
        followed = False
        index = 0
        while index < len(events):
            event = events[index]
            try:
                rows.append(self._row(event))
            except RecordCastError as error:
                if not followed:
                    followed = True
                    refused, changed = self._follow()
                    if refused is not None:
                        self._store(events[:index], rows, failed)
                        self._store([event], [], [self._failure(event, refused)], commit=False)
                        raise CdcStopped(self.table, refused,
                                         f"{event.topic()}[{event.partition()}]@{event.offset()}") from None
                    if changed:
                        rows, failed, index = [], [], 0
                        continue
                failed.append(self._failure(event, error.reason))
            index += 1
        self._store(events, rows, failed)

    def _failure(self, event: Event, reason: str) -> FailedRecord:
        return FailedRecord(payload=event.value() or b"", topic=event.topic(), partition=event.partition(),
                            offset=event.offset(), flow=self.flow, processor=PROCESSOR, reason=reason,
                            key=event.key(), table=self.table)

    def _store(self, events: Sequence[Event], rows: list[tuple[Any, ...]], failed: list[FailedRecord], *,
               commit: bool = True) -> None:
        """Insert the rows and record the failures of `events`; with `commit`, they may be committed in Kafka."""
        if rows:
            first, last = events[0], events[-1]
            token = f"cdc:{first.topic()}:{first.partition()}:{first.offset()}-{last.offset()}"
            self.db.insert(self.table, [c.name for c in self.columns], rows, token)
            version = self.columns.index(next(c for c in self.columns if c.name == VERSION))
            self.progress.last_lsn = max(self.progress.last_lsn, max(row[version] for row in rows))
        if failed:
            record_failures(self.failures, failed)
        self.progress.read += len(events)
        self.progress.applied += len(rows)
        self.progress.failed += len(failed)
        if commit and events:
            self.stored.append(events[-1])


Stop = Callable[[Progress, bool], bool]
"""Called after each poll with the progress and whether the poll was empty: True ends `run`."""


def consumer(bootstrap: str, topic: str) -> Consumer:
    """The table's consumer group, reading the topic from its start the first time."""
    return Consumer({"bootstrap.servers": bootstrap, "group.id": f"spotlight-cdc-apply.{topic}",
                     "auto.offset.reset": "earliest", "enable.auto.commit": False, "enable.partition.eof": False})


def _commit(kafka: Consumer, applier: Applier) -> None:
    last = {(e.topic(), e.partition()): e.offset() for e in applier.stored}
    applier.stored.clear()
    if last:
        kafka.commit(offsets=[TopicPartition(t, p, o + 1) for (t, p), o in last.items()],  # type: ignore[operator]
                     asynchronous=False)


def run(applier: Applier, kafka: Consumer, topic: str, stop: Stop, *, batch: int = 5000) -> Progress:
    """Apply the topic's events until `stop` says so; offsets are committed after each stored batch."""
    kafka.subscribe([topic])
    while True:
        messages = kafka.consume(num_messages=batch, timeout=1.0)
        events = []
        for message in messages:
            error = message.error()
            if error is None:
                events.append(message)
            elif error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise CdcError(f"Kafka error on `{topic}`: {error.str()}")
        try:
            if events:
                applier.apply(events)
        finally:
            _commit(kafka, applier)
        if stop(applier.progress, not events):
            return applier.progress
