#!/usr/bin/env python3
"""Change events applied per second, snapshot and streaming, against a direct COPY of the same table.

A fresh run dir of the local stack (Kafka, PostgreSQL with wal_level=logical, Kafka Connect with
Debezium; downloads cached by `spotlight-nifi dev install --with cdc`) and the embedded ClickHouse
engine on a temporary directory. The table is the one of `tests/integration/test_cdc.py` (every
common type), ROWS rows.
- Snapshot: from `cdc.add` until all ROWS snapshot events are applied (Debezium's snapshot, Kafka,
  and our apply, sharing the machine).
- Streaming: one UPDATE of every row; from its commit until its ROWS events are applied.
- Apply alone: the whole topic (2 × ROWS events) read again by another consumer group into another
  table, Kafka Connect idle: Kafka → convert → cast → insert, commits included.
- Limit: `COPY (SELECT …) TO STDOUT` of the same rows as JSON, inserted into a table of the same
  columns with one JSONEachRow insert per COPY chunk of 10,000 rows: no Kafka, no Debezium, no
  checks — what moving the bytes costs.

Run: python bench/cdc.py [ROWS]   (default 100,000)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from confluent_kafka import Consumer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ as a package

from spotlight_nifi import cdc, failures, stack  # noqa: E402
from spotlight_nifi.cdc import table as cdc_table  # noqa: E402
from spotlight_nifi.cdc.source import read_table  # noqa: E402
from spotlight_nifi.clickhouse import ClickHouse, connect  # noqa: E402
from spotlight_nifi.config import Settings  # noqa: E402
from spotlight_nifi.stack import postgres  # noqa: E402
from tests.integration.test_cdc import INSERT, SCHEMA  # noqa: E402

CHUNK = 10_000
COPY = ("COPY (SELECT to_jsonb(t) - 'clock' || jsonb_build_object('clock', (extract(epoch FROM clock) * 1000000)::bigint) "
        "FROM everything t) TO STDOUT")


def until(applier: cdc.Applier, kafka: Consumer, topic: str, read: int, start: float, timeout: float = 1800.0) -> float:
    """Apply until `read` events are; the seconds from `start` until Kafka held them all (Debezium's share)."""
    deadline, produced = time.monotonic() + timeout, [0.0]

    def stop(progress: cdc.Progress, idle: bool) -> bool:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {progress.read} of {read} events within {timeout:.0f} s")
        if progress.read and not produced[0] and kafka.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1] >= read:
            produced[0] = time.perf_counter() - start
        return progress.read >= read
    cdc.run(applier, kafka, topic, stop)
    return produced[0]


def replay(source: psycopg.Connection, db: ClickHouse, failure_db: str, topic: str, bootstrap: str, events: int) -> float:
    """Seconds to apply the topic's `events` again, into a table of its own."""
    definition = read_table(source, "public", "everything")
    db.command(cdc_table.create_sql("everything_replay", definition))
    kafka = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-replay", "auto.offset.reset": "earliest",
                      "enable.auto.commit": False})
    applier = cdc.Applier(db, source, failure_db, schema="public", name="everything", table="everything_replay")
    start = time.perf_counter()
    until(applier, kafka, topic, events, start)
    seconds = time.perf_counter() - start
    kafka.close()
    return seconds


def direct_copy(source: psycopg.Connection, db: ClickHouse, table: str) -> float:
    """Seconds to COPY every row out of PostgreSQL and insert it into `table`."""
    db.command(f"CREATE TABLE copy_limit AS `{table}`")
    start = time.perf_counter()
    lines: list[bytes] = []
    with source.cursor().copy(COPY) as copy:
        for row in copy.rows():
            lines.append(row[0].encode() if isinstance(row[0], str) else bytes(row[0]))
            if len(lines) == CHUNK:
                _insert(db, lines)
    _insert(db, lines)
    return time.perf_counter() - start


def _insert(db: ClickHouse, lines: list[bytes]) -> None:
    if lines:
        db.command("INSERT INTO copy_limit SETTINGS date_time_input_format = 'best_effort' FORMAT JSONEachRow\n"
                   + b"\n".join(lines).decode())
        lines.clear()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    run_dir, cache = Path(tempfile.mkdtemp(prefix="spotlight-bench-cdc-")), stack.cache_dir(Settings.load())
    run_dir.chmod(0o755)
    data = Path(tempfile.mkdtemp(prefix="spotlight-bench-cdc-ch-"))
    try:
        running = stack.up(run_dir, cache, ["kafka", "postgres", "connect"]).running
        port = running["postgres"].ports["postgres"]
        with psycopg.connect(postgres.dsn(port), autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench_source")
            admin.execute("CREATE DATABASE bench_failures")
        dsn, failure_db = postgres.dsn(port, "bench_source"), postgres.dsn(port, "bench_failures")
        failures.migrate(failure_db)
        source = psycopg.connect(dsn, autocommit=True)
        source.execute(SCHEMA)
        source.execute(INSERT.format(extra_column="", extra_value=""), {"first": 1, "last": rows})
        db = connect(f"chdb://{data}")
        connector = cdc.Connect(running["connect"].url)

        start = time.perf_counter()
        added = cdc.add(source, dsn, db, connector, "public", "everything")
        kafka = cdc.consumer(running["kafka"].url, added.names.topic)
        applier = cdc.Applier(db, source, failure_db, schema="public", name="everything", table=added.table)
        snapshot_kafka_s = until(applier, kafka, added.names.topic, rows, start)
        snapshot_s = time.perf_counter() - start

        source.execute("UPDATE everything SET amount = amount + 0.01, label = label || ' upd'")
        start = time.perf_counter()
        streaming_kafka_s = until(applier, kafka, added.names.topic, 2 * rows, start)
        streaming_s = time.perf_counter() - start
        kafka.close()
        assert applier.progress.failed == 0, applier.progress
        replay_s = replay(source, db, failure_db, added.names.topic, running["kafka"].url, 2 * rows)

        copy_s = direct_copy(source, db, added.table)
        assert db.query("SELECT count() FROM copy_limit") == [(rows,)]
        cdc.remove(source, dsn, connector, "public", "everything")
        db.close()
        source.close()
    finally:
        stack.down(run_dir, cache, purge=True)
        shutil.rmtree(data, ignore_errors=True)

    limit = rows / copy_s
    print(f"{rows:,} rows of every common type; ClickHouse: the embedded engine; 2 shared cores")
    print(f"  {'limit: COPY → JSONEachRow insert':<40} {limit:>9,.0f} rows/s")
    for phase, events, seconds in (("snapshot, end to end", rows, snapshot_s),
                                   ("  of which Debezium into Kafka", rows, snapshot_kafka_s),
                                   ("streaming, end to end", rows, streaming_s),
                                   ("  of which Debezium into Kafka", rows, streaming_kafka_s),
                                   ("apply alone (replay)", 2 * rows, replay_s)):
        print(f"  {phase:<40} {events / seconds:>9,.0f} events/s   ratio {events / seconds / limit:.2f}")


if __name__ == "__main__":
    main()
