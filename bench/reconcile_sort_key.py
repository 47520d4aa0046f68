#!/usr/bin/env python3
"""Reconcile's ClickHouse query with the data's sort key against a coordinates-first sort key.

Why `infer --kafka-coordinates` leaves the coordinates out of ORDER BY: 10M rows of one topic in
three partitions, sorted by the data's key (`event, at`) or by `_kafka_topic, _kafka_partition,
_kafka_offset`, in the embedded engine; the query is `loaded_offsets`' over the whole topic and
over its last 1% (`--since`). Best of three, query condition cache off.

Run: python bench/reconcile_sort_key.py
"""

from __future__ import annotations

import tempfile
import time

from spotlight_nifi.clickhouse import ClickHouse, connect

ROWS, PARTITIONS, REPEATS = 10_000_000, 3, 3
KEYS = {"data key": "(event, at)", "coordinates key": "(_kafka_topic, _kafka_partition, _kafka_offset)"}


def create(db: ClickHouse, table: str, key: str) -> None:
    db.command(f"CREATE TABLE {table} (id UInt64, event LowCardinality(String), at DateTime64(3, 'UTC'), "
               "amount Float64, _kafka_topic LowCardinality(String), _kafka_partition UInt32, _kafka_offset UInt64) "
               f"ENGINE = MergeTree ORDER BY {key}")
    db.command(f"INSERT INTO {table} SELECT number, ['view', 'click', 'buy', 'refund'][number % 4 + 1], "
               "toDateTime64('2024-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 10), number / 7, "
               f"'events', number % {PARTITIONS}, intDiv(number, {PARTITIONS}) FROM numbers({ROWS})")
    db.command(f"OPTIMIZE TABLE {table} FINAL")


def seconds(db: ClickHouse, table: str, first: int, end: int) -> float:
    within = " OR ".join(f"(_kafka_partition = {p} AND _kafka_offset >= {first} AND _kafka_offset < {end})"
                         for p in range(PARTITIONS))
    sql = (f"SELECT count() FROM (SELECT _kafka_partition, _kafka_offset, count() FROM {table} "
           f"WHERE _kafka_topic = 'events' AND ({within}) GROUP BY 1, 2) SETTINGS use_query_condition_cache = 0")
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        db.query(sql)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    db = connect(f"chdb://{tempfile.mkdtemp(prefix='reconcile-bench-')}")
    try:
        tables = {label: f"t{n}" for n, label in enumerate(KEYS)}
        for label, table in tables.items():
            create(db, table, KEYS[label])
        end = ROWS // PARTITIONS
        for scope, first in (("whole topic", 0), ("last 1% (--since)", end - end // 100)):
            data, coordinates = (seconds(db, tables[label], first, end) for label in KEYS)
            print(f"{scope:18} data key {data * 1000:6.0f} ms, coordinates key {coordinates * 1000:6.0f} ms "
                  f"(ratio {data / coordinates:.1f})")
    finally:
        db.close()


if __name__ == "__main__":
    main()
