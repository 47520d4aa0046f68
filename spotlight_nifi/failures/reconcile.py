"""Proof that nothing was lost: per partition, Kafka's offsets against ClickHouse rows plus failure rows.

Every offset Kafka holds in the checked range must be found exactly once: as a row of the
ClickHouse table (by its Kafka coordinates) or as a failure row. What is found nowhere is
missing; what is loaded twice, or both loaded and failed, is a duplicate.

The table must say where each row came from, in columns `_kafka_partition` and `_kafka_offset`
(and `_kafka_topic` when one table holds several topics): our processors fill them from each
record's source (`infer.coordinates`), and a table fed by ClickHouse's Kafka engine keeps its
`_partition`/`_offset` virtual columns through a materialized view (docs/failures.md).

The checked range is from the partition's first offset (or the first at or after `since`) up to
its end (or up to what consumer group `group` has committed, i.e. what the flow consumed).
Offsets that hold no record (transaction markers, compacted records) read as missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from confluent_kafka import Consumer, KafkaException, TopicPartition

from spotlight_nifi.clickhouse import ClickHouse
from spotlight_nifi.failures.db import Db, transaction
from spotlight_nifi.failures.errors import ReconcileError
from spotlight_nifi.infer.coordinates import OFFSET, PARTITION, TOPIC
from spotlight_nifi.infer.names import literal, quote
from spotlight_nifi.ingest.batch import HTTP_TOPIC_PREFIX


@dataclass(frozen=True)
class Duplicate:
    """An offset found more than once: loaded `rows` times, and maybe also a failure row."""

    offset: int
    rows: int
    failed: bool


@dataclass(frozen=True)
class PartitionReport:
    partition: int
    start: int
    end: int
    loaded: int
    failed: int
    missing: list[tuple[int, int]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.end - self.start

    @property
    def missing_count(self) -> int:
        return sum(last - first + 1 for first, last in self.missing)


@dataclass(frozen=True)
class Report:
    topic: str
    table: str
    partitions: list[PartitionReport]

    @property
    def missing(self) -> int:
        return sum(p.missing_count for p in self.partitions)

    @property
    def duplicates(self) -> int:
        return sum(len(p.duplicates) for p in self.partitions)


def compare(partition: int, start: int, end: int, loaded: Mapping[int, int], failed: set[int]) -> PartitionReport:
    """The gaps (inclusive offset ranges) and duplicates of one partition's offsets [start, end)."""
    present = sorted(set(loaded) | failed)
    gaps, expected = [], start
    for offset in present:
        if offset > expected:
            gaps.append((expected, offset - 1))
        expected = offset + 1
    if expected < end:
        gaps.append((expected, end - 1))
    duplicates = [Duplicate(o, loaded.get(o, 0), o in failed) for o in present
                  if loaded.get(o, 0) > 1 or (o in loaded and o in failed)]
    return PartitionReport(partition, start, end, len(loaded), len(failed), gaps, duplicates)


def kafka_ranges(consumer: Consumer, topic: str, since: datetime | None, group: str | None,
                 timeout: float) -> dict[int, tuple[int, int]]:
    """Per partition, the offsets to check: [first, end) as explained in the module docstring."""
    try:
        metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            raise ReconcileError(topic, f"Kafka has no such topic ({metadata.error if metadata else 'no metadata'})")
        ranges = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
                  for p in sorted(metadata.partitions)}
        if since is not None:
            wanted = [TopicPartition(topic, p, int(since.timestamp() * 1000)) for p in ranges]
            for found in consumer.offsets_for_times(wanted, timeout=timeout):
                low, high = ranges[found.partition]
                ranges[found.partition] = (high if found.offset < 0 else max(low, found.offset), high)
        if group is not None:
            for found in consumer.committed([TopicPartition(topic, p) for p in ranges], timeout=timeout):
                low, high = ranges[found.partition]
                ranges[found.partition] = (low, max(low, min(high, found.offset)))
    except KafkaException as error:
        raise ReconcileError(topic, f"Kafka did not answer: {error.args[0].str()}") from None
    return ranges


def _columns(clickhouse: ClickHouse, topic: str, table: str) -> bool:
    """Whether the table has a topic column; ReconcileError when it lacks the coordinate columns."""
    columns = {name for name, _, _ in clickhouse.columns(table) or []}
    if not columns:
        raise ReconcileError(topic, f"ClickHouse has no table `{table}`: name the table with `--table`")
    lacking = [c for c in (PARTITION, OFFSET) if c not in columns]
    if lacking:
        raise ReconcileError(topic, f"table `{table}` has no column {', '.join(f'`{c}`' for c in lacking)}: "
                                    "a reconciled table must keep each row's Kafka coordinates (docs/failures.md)")
    return TOPIC in columns


def loaded_offsets(clickhouse: ClickHouse, topic: str, table: str,
                   ranges: Mapping[int, tuple[int, int]]) -> dict[int, dict[int, int]]:
    """Per partition, offset → number of rows in the table, within the checked ranges."""
    by_topic = f"{quote(TOPIC)} = {literal(topic)} AND " if _columns(clickhouse, topic, table) else ""
    p, o = quote(PARTITION), quote(OFFSET)
    within = " OR ".join(f"({p} = {n} AND {o} >= {start} AND {o} < {end})"
                         for n, (start, end) in ranges.items() if end > start)
    found: dict[int, dict[int, int]] = {n: {} for n in ranges}
    if within:
        rows = clickhouse.query(f"SELECT {p}, {o}, count() FROM {quote(table)} WHERE {by_topic}({within}) "
                                f"GROUP BY {p}, {o}")
        for partition, offset, rows_count in rows:
            found[int(partition)][int(offset)] = int(rows_count)
    return found


def failed_offsets(db: Db, topic: str, ranges: Mapping[int, tuple[int, int]]) -> dict[int, set[int]]:
    """Per partition, the offsets with a failure row, within the checked ranges."""
    parts = list(ranges)
    with transaction(db) as conn:
        rows = conn.execute(
            'SELECT f."partition", f."offset" FROM failures f '
            "JOIN unnest(%s::int[], %s::bigint[], %s::bigint[]) AS r(p, first, stop) "
            'ON f."partition" = r.p AND f."offset" >= r.first AND f."offset" < r.stop WHERE f.topic = %s',
            (parts, [ranges[p][0] for p in parts], [ranges[p][1] for p in parts], topic)).fetchall()
    found: dict[int, set[int]] = {n: set() for n in ranges}
    for partition, offset in rows:
        found[partition].add(offset)
    return found


def reconcile(topic: str, *, kafka: Mapping[str, str], clickhouse: ClickHouse, failure_db: Db,
              table: str | None = None, since: datetime | None = None, group: str | None = None,
              timeout: float = 10.0) -> Report:
    """Check every partition of `topic` against `table` (default: the topic's name) and the failure DB."""
    if topic.startswith(HTTP_TOPIC_PREFIX):
        raise ReconcileError(topic, "is an HTTP batch, not a Kafka topic: only Kafka topics are reconciled")
    table = table or topic
    consumer = Consumer({**kafka, "group.id": group or "spotlight-nifi-reconcile", "enable.auto.commit": False})
    try:
        ranges = kafka_ranges(consumer, topic, since, group, timeout)
    finally:
        consumer.close()
    loaded = loaded_offsets(clickhouse, topic, table, ranges)
    failed = failed_offsets(failure_db, topic, ranges)
    return Report(topic, table, [compare(p, start, end, loaded[p], failed[p]) for p, (start, end) in ranges.items()])
