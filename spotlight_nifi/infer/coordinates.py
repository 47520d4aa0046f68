"""Kafka coordinate columns: where each row came from, so `spotlight-nifi reconcile` can check a table.

A column named `_kafka_topic`, `_kafka_partition` or `_kafka_offset` holds the topic, partition or
offset of the Kafka record its row was loaded from, whoever made the table (`infer
--kafka-coordinates`, CastToClickHouse's `create` mode, or a materialized view over ClickHouse's
Kafka engine, which uses the same names). The caster fills such a column from the record's source,
never from the record, so these names are not the records' to use: a record with a top-level field
of one of these names does not fit a table that keeps coordinates (its value would pass for, or
hide, a coordinate), and inference never makes a column of such a name from a field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spotlight_nifi.infer.types import INTEGER_RANGES, Column, t

TOPIC, PARTITION, OFFSET = "_kafka_topic", "_kafka_partition", "_kafka_offset"
NAMES = (TOPIC, PARTITION, OFFSET)
"""In the order of a source's (topic, partition, offset)."""
WHAT = {TOPIC: "topic", PARTITION: "partition", OFFSET: "offset"}

COLUMNS = (
    Column(TOPIC, t("LowCardinality", t("String")), (TOPIC,)),
    Column(PARTITION, t("UInt32"), (PARTITION,)),
    Column(OFFSET, t("UInt64"), (OFFSET,)),
)
"""What a new table gets: Kafka's partitions are non-negative 32-bit and its offsets non-negative
64-bit integers; a table holds few topics, so their names are a small dictionary."""


def is_coordinate(column: Column) -> bool:
    return column.name in WHAT


def _type_problem(column: Column) -> str | None:
    """Why the column's type cannot hold its coordinate (every row has one, so never Nullable)."""
    if column.name == TOPIC:
        return None if column.type.inner().name == "String" and not column.type.nullable else "a non-Nullable String"
    return None if column.type.name in INTEGER_RANGES else "a non-Nullable integer"


def positions(columns: Sequence[Column]) -> tuple[tuple[int, int], ...]:
    """(index in `columns`, index in a source's (topic, partition, offset)) of each coordinate column;
    ValueError naming a coordinate column whose type cannot hold its coordinate."""
    found = []
    for index, column in enumerate(columns):
        if not is_coordinate(column):
            continue
        wanted = _type_problem(column)
        if wanted is not None:
            raise ValueError(f"column `{column.name}` is {column.type}: the Kafka {WHAT[column.name]} it holds "
                             f"needs {wanted} column")
        found.append((index, NAMES.index(column.name)))
    return tuple(found)


def reserved_field(record: Mapping[str, Any]) -> str | None:
    """The first top-level field of `record` named like a coordinate column, if any."""
    for name in NAMES:
        if name in record:
            return name
    return None


def reserved_reason(field: str, column: str) -> str:
    return (f"field `{field}` is named like column `{column}`, kept for the record's Kafka {WHAT[column]}: "
            "rename the field upstream")
