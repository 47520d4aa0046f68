#!/usr/bin/env python3
"""Records/s from first produce to last row visible in ClickHouse: our processors through the NiFi
stand-ins of the end-to-end test, as a ratio to a direct confluent-kafka → chdb loop.

100,000 good events of `tests/integration/test_pipeline_e2e.py` (nested, 2^70 integers, hostile
keys) are produced, from a thread, to a fresh 3-partition topic of a local Kafka that
`spotlight_nifi.stack` starts in a temporary run dir (and stops at the end), while a consumer group
reads them. Ours: ConsumeKafka's stand-in, CastToClickHouse (Schema Mode `create`, 1000 samples),
InsertClickHouse, AnnotateFailure on the cast copy. Direct: consume, `json.loads`, flatten to the
same table's columns (created before its clock starts), one JSONEachRow insert per poll. Both commit
offsets per poll and use one chdb data directory, each its own topic and table; best of two runs.
Each event holds an integer beyond 64 bits, which takes our exact (slower) parse path on every
record: a worst case for us. NiFi's own overhead (scheduler, FlowFile and content repositories,
the JVM ↔ Python bridge) is not included: this measures what our code adds to the work any loader does.

Run: python bench/pipeline.py
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from chdb import session
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test harness lives under tests/

from spotlight_nifi import stack  # noqa: E402
from spotlight_nifi.cast import json_bytes  # noqa: E402
from spotlight_nifi.config import Settings  # noqa: E402
from spotlight_nifi.infer import infer_table  # noqa: E402
from spotlight_nifi.infer.names import quote  # noqa: E402
from spotlight_nifi.infer.types import Column  # noqa: E402
from tests.integration.nifi_harness import Pipeline, commit, drain, processor_modules  # noqa: E402
from tests.integration.test_pipeline_e2e import good_record  # noqa: E402

RECORDS, PARTITIONS, POLL, SAMPLES, REPEATS = 100_000, 3, 10_000, 1000, 2
SEED = 7


def events() -> list[bytes]:
    rng = random.Random(SEED)
    return [json_bytes(good_record(n, rng)) for n in range(RECORDS)]


def start_producing(bootstrap: str, topic: str, values: list[bytes]) -> threading.Thread:
    """A new topic, and a thread (not started) producing every value to it."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)

    def produce() -> None:
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
        for n, value in enumerate(values):
            while True:
                try:
                    producer.produce(topic, value, partition=n % PARTITIONS)
                    break
                except BufferError:
                    producer.poll(0.05)
        if producer.flush(60):
            raise RuntimeError("messages left unsent")

    return threading.Thread(target=produce)


def consumer(bootstrap: str, topic: str) -> Consumer:
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:8]}",
                       "auto.offset.reset": "earliest", "enable.auto.commit": False})
    reader.subscribe([topic])
    return reader


def ours(bootstrap: str, url: str, table: str) -> None:
    failures: list[bytes] = []
    pipeline = Pipeline(processor_modules(), url, table, flow="bench", sample_size=SAMPLES,
                        store_failures=failures.append)
    reader = consumer(bootstrap, table)
    try:
        drain(reader, pipeline, RECORDS, poll=POLL)
    finally:
        reader.close()
        pipeline.stop()
    if any(failures):
        raise RuntimeError("a good record reached the failure path")


def _flatten(record: dict[str, Any], columns: list[Column], wide: set[str]) -> bytes:
    row = {}
    for column in columns:
        value: Any = record
        for key in column.path:
            value = value.get(key) if type(value) is dict else None
        row[column.name] = orjson.Fragment(str(value).encode()) if column.name in wide else value
    return orjson.dumps(row)


def direct(bootstrap: str, path: Path, table: str, samples: list[bytes]) -> Callable[[], None]:
    """The table created up front; the returned loop is what the clock measures."""
    db = session.Session(str(path))
    inferred = infer_table([json.loads(v) for v in samples], table)
    db.query(inferred.create_sql)
    wide = {c.name for c in inferred.columns if c.type.name in ("UInt128", "Int128", "UInt256", "Int256")}
    into = (f"INSERT INTO {quote(table)} SETTINGS date_time_input_format = 'best_effort' FORMAT JSONEachRow\n")

    def loop() -> None:
        reader = consumer(bootstrap, table)
        seen = 0
        while seen < RECORDS:
            messages = reader.consume(num_messages=POLL, timeout=1.0)
            if not messages:
                continue
            rows = [_flatten(json.loads(m.value() or b""), inferred.columns, wide) for m in messages]
            db.query(into + b"\n".join(rows).decode())
            commit(reader, messages)
            seen += len(messages)
        reader.close()
        db.close()

    return loop


def timed(bootstrap: str, topic: str, values: list[bytes], load: Callable[[], None],
          visible: Callable[[], int]) -> float:
    """Seconds from the first produce until every record is a visible row."""
    producer = start_producing(bootstrap, topic, values)
    start = time.perf_counter()
    producer.start()
    load()
    producer.join()
    if visible() != RECORDS:
        raise RuntimeError(f"`{topic}` has {visible()} rows, not {RECORDS}")
    return time.perf_counter() - start


def main() -> None:
    run_dir, cache = Path(tempfile.mkdtemp(prefix="spotlight-bench-")), stack.cache_dir(Settings.load())
    data = Path(tempfile.mkdtemp(prefix="spotlight-bench-chdb-"))
    values = events()
    try:
        bootstrap = stack.up(run_dir, cache, ["kafka"]).running["kafka"].url
        check = session.Session(str(data))

        def count(table: str) -> Callable[[], int]:
            return lambda: int(check.query(f"SELECT count() FROM {quote(table)}", "CSV").bytes())

        ours_s, direct_s = [], []
        for attempt in range(REPEATS):
            table = f"ours_{attempt}_{uuid.uuid4().hex[:6]}"
            ours_s.append(timed(bootstrap, table, values, partial(ours, bootstrap, f"chdb://{data}", table),
                                count(table)))
            table = f"direct_{attempt}_{uuid.uuid4().hex[:6]}"
            direct_s.append(timed(bootstrap, table, values, direct(bootstrap, data, table, values[:SAMPLES]),
                                  count(table)))
        check.close()
    finally:
        stack.down(run_dir, cache, purge=True)
        shutil.rmtree(data, ignore_errors=True)
    ours_rate, direct_rate = RECORDS / min(ours_s), RECORDS / min(direct_s)
    print(f"records: {RECORDS:,} ({sum(map(len, values)) / 1e6:.1f} MB), {PARTITIONS} partitions, best of {REPEATS}")
    print(f"harness + processors (ConsumeKafka stand-in → Cast → Insert, Annotate): {ours_rate:,.0f} records/s")
    print(f"direct confluent-kafka → json.loads → chdb:                            {direct_rate:,.0f} records/s")
    print(f"ratio: {ours_rate / direct_rate:.2f} (NiFi's own overhead not included)")


if __name__ == "__main__":
    main()
