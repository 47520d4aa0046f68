#!/usr/bin/env python3
"""Records/s from first produce to last row visible in ClickHouse: our processors through the NiFi
stand-ins of the end-to-end test, as a ratio to a direct confluent-kafka → chdb loop.

For each record mix of `bench/datasets.py` ((a) API events with 1% misfits, (b) 200-column
records, (c) integers beyond 64 bits on every record), the records are produced, from a thread, to
a fresh 3-partition topic of a local Kafka that `spotlight_nifi.stack` starts in a temporary run
dir (and stops at the end), while a consumer group reads them. Both loaders get the same table,
inferred from 1000 fitting records and created before their clock starts. Ours: ConsumeKafka's
stand-in, CastToClickHouse (Schema Mode `create`: the table exists), InsertClickHouse (which
inserts the rows as cast, each record cast once), AnnotateFailure on the cast copy, the misfits into
the failure DB's stand-in. Direct: consume, `json.loads`, flatten to the table's columns, one
JSONEachRow insert per poll, ClickHouse skipping the rows it cannot parse
(`input_format_allow_errors_ratio`), and no reasons kept. Both commit offsets per poll and use
one chdb data directory, each its own topic and table; best of two runs. NiFi's own overhead
(scheduler, FlowFile and content repositories, the JVM ↔ Python bridge) is not included: this
measures what our code adds to the work any loader does.

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
from dataclasses import dataclass
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets import MIXES, mix  # noqa: E402

SIZES = {"a": 100_000, "b": 20_000, "c": 100_000}
PARTITIONS, POLL, SAMPLES, REPEATS = 3, 10_000, 1000, 2


@dataclass(frozen=True)
class Mix:
    """One mix's messages, how many fit, and the samples both loaders' tables are inferred from."""

    values: list[bytes]
    good: int
    samples: list[dict[str, Any]]


def prepared(name: str) -> Mix:
    records = mix(name, SIZES[name])
    fitting = [r for r, fits in records if fits]
    return Mix([json_bytes(r) for r, _ in records], len(fitting), random.Random(1).sample(fitting, SAMPLES))


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


def created(db: Any, data: Mix, table: str) -> list[Column]:
    inferred = infer_table(data.samples, table)
    db.query(inferred.create_sql)
    return inferred.columns


def ours(bootstrap: str, url: str, table: str, total: int, failures: list[bytes]) -> Callable[[], None]:
    """The loop the clock measures; the failure-DB records it stores go to `failures` (a line each)."""

    def loop() -> None:
        pipeline = Pipeline(processor_modules(), url, table, flow="bench", sample_size=SAMPLES,
                            store_failures=failures.append)
        reader = consumer(bootstrap, table)
        try:
            drain(reader, pipeline, total, poll=POLL)
        finally:
            reader.close()
            pipeline.stop()

    return loop


def _flatten(record: dict[str, Any], columns: list[Column], wide: set[str]) -> bytes:
    row = {}
    for column in columns:
        value: Any = record
        for key in column.path:
            value = value.get(key) if type(value) is dict else None
        row[column.name] = orjson.Fragment(str(value).encode()) if column.name in wide else value
    return orjson.dumps(row)


def direct(bootstrap: str, db: Any, table: str, data: Mix, columns: list[Column]) -> Callable[[], None]:
    """The loop the clock measures, on a table created before it."""
    wide = {c.name for c in columns if c.type.name in ("UInt128", "Int128", "UInt256", "Int256")}
    into = (f"INSERT INTO {quote(table)} SETTINGS date_time_input_format = 'best_effort', "
            "input_format_allow_errors_ratio = 1, input_format_allow_errors_num = 1000000 FORMAT JSONEachRow\n")

    def loop() -> None:
        reader = consumer(bootstrap, table)
        seen = 0
        while seen < len(data.values):
            messages = reader.consume(num_messages=POLL, timeout=1.0)
            if not messages:
                continue
            rows = [_flatten(json.loads(m.value() or b""), columns, wide) for m in messages]
            db.query(into + b"\n".join(rows).decode())
            commit(reader, messages)
            seen += len(messages)
        reader.close()

    return loop


def timed(bootstrap: str, topic: str, values: list[bytes], load: Callable[[], None]) -> float:
    """Seconds from the first produce until every record is loaded (a row, or a misfit stored)."""
    producer = start_producing(bootstrap, topic, values)
    start = time.perf_counter()
    producer.start()
    load()
    producer.join()
    return time.perf_counter() - start


def checked(visible: int, failures: int, data: Mix, loader: str) -> None:
    """Every fitting record a row, every misfit a failure (ours); every fitting record a row (direct)."""
    if visible != data.good if loader == "ours" else visible < data.good:
        raise RuntimeError(f"{loader}: {visible} rows, not {data.good}")
    if loader == "ours" and failures != len(data.values) - data.good:
        raise RuntimeError(f"ours: {failures} failures stored, not {len(data.values) - data.good}")


def run_mix(name: str, bootstrap: str, path: Path, db: Any) -> tuple[Mix, float, float]:
    """(the mix, ours' best seconds, direct's best seconds)."""
    data = prepared(name)
    ours_s, direct_s = [], []
    for attempt in range(REPEATS):
        table = f"ours_{name}_{attempt}_{uuid.uuid4().hex[:6]}"
        created(db, data, table)
        failures: list[bytes] = []
        ours_s.append(timed(bootstrap, table, data.values, ours(bootstrap, f"chdb://{path}", table, len(data.values),
                                                               failures)))
        checked(_count(db, table), sum(lines.count(b"\n") for lines in failures), data, "ours")
        table = f"direct_{name}_{attempt}_{uuid.uuid4().hex[:6]}"
        columns = created(db, data, table)
        direct_s.append(timed(bootstrap, table, data.values, direct(bootstrap, db, table, data, columns)))
        checked(_count(db, table), 0, data, "direct")
    return data, min(ours_s), min(direct_s)


def _count(db: Any, table: str) -> int:
    return int(db.query(f"SELECT count() FROM {quote(table)}", "CSV").bytes())


def main() -> None:
    run_dir, cache = Path(tempfile.mkdtemp(prefix="spotlight-bench-")), stack.cache_dir(Settings.load())
    path = Path(tempfile.mkdtemp(prefix="spotlight-bench-chdb-"))
    try:
        bootstrap = stack.up(run_dir, cache, ["kafka"]).running["kafka"].url
        db = session.Session(str(path))
        results = [(name, *run_mix(name, bootstrap, path, db)) for name in MIXES]
        db.close()
    finally:
        stack.down(run_dir, cache, purge=True)
        shutil.rmtree(path, ignore_errors=True)
    print(f"{PARTITIONS} partitions, polls of {POLL:,}, best of {REPEATS}; NiFi's own overhead not included")
    for name, data, ours_s, direct_s in results:
        count = len(data.values)
        print(f"({name}) {MIXES[name][0]}: {count:,} records ({sum(map(len, data.values)) / 1e6:.1f} MB), "
              f"{len(infer_table(data.samples, 't').columns)} columns, {count - data.good:,} misfits")
        print(f"    ours (ConsumeKafka stand-in → Cast → Insert, Annotate) {count / ours_s:>9,.0f} records/s   "
              f"direct confluent-kafka → json.loads → chdb {count / direct_s:>9,.0f} records/s   "
              f"ratio {direct_s / ours_s:.2f}")
    print("goal: ratio ≥ 0.5 for (a) and (b); (c) is reported")


if __name__ == "__main__":
    main()
