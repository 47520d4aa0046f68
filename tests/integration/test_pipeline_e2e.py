"""10,000 Kafka records, 5% of them bad, through the ingest flow: each lands in ClickHouse or the failure DB, once.

Real: Apache Kafka (KRaft broker of the local stack, a 3-partition topic, confluent-kafka producer
and consumer group), PostgreSQL (the failure DB after `failures.migrate`, rows arriving through
`failure_inbox` and its trigger), the ClickHouse engine (chdb on a temporary data directory),
our processor classes from `processors/spotlight_processors` and the `nifiapi` package they run on.
Stand-ins for NiFi (`nifi_harness`): ConsumeKafka's record reading and wrapping, the moving of
FlowFiles along the template's connections (with InsertClickHouse's retries), PutDatabaseRecord's
INSERT, and the Java objects `nifiapi` reads (`test_processors.py`). Kafka offsets are committed
after each poll's FlowFiles are stored, as ConsumeKafka commits after its session.

Each good record's unique `id` maps it to the (partition, offset) the producer was told; the failure
rows carry their own coordinates. The table CastToClickHouse creates from ConsumeKafka's wrapper
records keeps each row's Kafka coordinates too, so `spotlight-nifi reconcile` checks the run against
the real topic: nothing missing, and a deleted and a duplicated row in a copy of the table reported.
"""

from __future__ import annotations

import random
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from spotlight_nifi import failures
from spotlight_nifi.cast import json_bytes
from spotlight_nifi.cli import main
from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.infer.reader import parse_json
from spotlight_nifi.ingest.failure_record import PARSE_FAILURE
from tests.integration.nifi_harness import Pipeline, coordinates, drain, processor_modules, put_database_record

pytestmark = pytest.mark.integration

TOTAL, PARTITIONS, SEED = 10_000, 3, 20241124
CLEAN_START = 300
"""The first 100 records of each partition are good: the first FlowFile creates the table from them."""
LATE_FIELD_FROM = TOTAL - 100
"""From here on producers send a field the table was not created with (Schema Mode `create` does not evolve)."""
BAD_SHARE = 0.04
HOSTILE_KEYS = ["we`ird", 'quo"te', "new\nline", "ünïcødé ключ", "", "a.b.c"]
TABLE, FLOW = "events", "events_to_clickhouse"
REASONS = {
    "wrong type": r"^field `(qty|user\.vip|at|amount)` .*not",
    "missing field": r"^field `id` is missing and column `id` is not Nullable$",
    "hostile key": r"^field `.*` has no column$",
    "huge number": r"^field `qty` \d{20,} is outside UInt32",
    "late field": r"^field `coupon` has no column$",
    "invalid utf-8": re.escape(PARSE_FAILURE),
    "empty": re.escape(PARSE_FAILURE),
    "malformed": re.escape(PARSE_FAILURE),
}
PARSE_FAILURES = {"invalid utf-8", "empty", "malformed"}


def good_record(n: int, rng: random.Random) -> dict[str, Any]:
    """An event whose every field the table holds: nested, big integers, hostile keys under `labels`."""
    return {
        "id": 1_000_000 + n, "serial": 2**70 + n * 7919, "event": rng.choice(["view", "click", "buy"]),
        "at": f"2024-05-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{n % 59:02d}.{n % 1000:03d}Z",
        "user": {"name": f"u{rng.randint(0, 999)}", "vip": n % 3 == 0, "ip": f"10.{n % 256}.{(n >> 8) % 256}.{n % 200}"},
        "amount": round(rng.uniform(0, 500), 2), "qty": rng.randint(1, 60000),
        "tags": rng.sample(["a", "b", "c", "d"], rng.randint(0, 3)),
        "note": None if n % 4 else f"n{n}",
        "labels": {key: f"{key}{n % 5}" for key in HOSTILE_KEYS},
    }


def bad_message(kind: str, record: dict[str, Any], rng: random.Random) -> bytes:
    if kind == "wrong type":
        field, value = rng.choice([("qty", "seven"), ("user", {**record["user"], "vip": "yes"}),
                                   ("at", "not a time"), ("amount", True)])
        return json_bytes({**record, field: value})
    if kind == "missing field":
        return json_bytes({k: v for k, v in record.items() if k != "id"})
    if kind == "hostile key":
        return json_bytes({**record, rng.choice(HOSTILE_KEYS): 1})
    if kind == "huge number":
        return json_bytes({**record, "qty": 2**64 + rng.randint(1, 10**6)})
    if kind == "invalid utf-8":
        return json_bytes(record)[:-1] + b',"bad":"\xff\xfe"}'
    if kind == "empty":
        return b""
    return json_bytes(record)[: rng.randint(1, 40)]


@dataclass(frozen=True)
class Sent:
    """One produced message, as the broker acknowledged it."""

    kind: str
    value: bytes
    key: bytes | None
    record: dict[str, Any] | None


def messages(rng: random.Random) -> Iterator[tuple[Sent, int]]:
    """(message, partition) for all TOTAL records: ~5% bad, every kind, a new field at the end."""
    bad_kinds = [k for k in REASONS if k != "late field"]
    for n in range(TOTAL):
        record = good_record(n, rng)
        key = None if n % 10 == 0 else str(n).encode()
        if n >= LATE_FIELD_FROM:
            sent = Sent("late field", json_bytes({**record, "coupon": "SPRING"}), key, None)
        elif n >= CLEAN_START and rng.random() < BAD_SHARE:
            kind = bad_kinds[n % len(bad_kinds)]
            sent = Sent(kind, bad_message(kind, record, rng), key, None)
        else:
            sent = Sent("good", json_bytes(record), key, record)
        yield sent, n % PARTITIONS


def produce(bootstrap: str, topic: str) -> dict[tuple[int, int], Sent]:
    """Every message on the topic, by the (partition, offset) its delivery report gave."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True})
    placed: dict[tuple[int, int], Sent] = {}

    def delivery(sent: Sent) -> Callable[[KafkaError | None, Message], None]:
        def delivered(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                raise RuntimeError(f"not delivered: {error}")
            placed[coordinates(message)[1:]] = sent
        return delivered

    for sent, partition in messages(random.Random(SEED)):
        producer.produce(topic, sent.value, sent.key, partition=partition, on_delivery=delivery(sent))
        producer.poll(0)
    assert producer.flush(60) == 0
    return placed


@dataclass
class Loaded:
    """What the run left behind."""

    sent: dict[tuple[int, int], Sent]
    topic: str
    pipeline: Pipeline
    db: Embedded
    dsn: str
    committed: dict[int, int]


@pytest.fixture(scope="module")
def e2e_failure_db(new_database: Callable[[str], str]) -> str:
    """A migrated failure DB of its own (the session's database is shared with other tests)."""
    dsn = new_database("e2e")
    failures.migrate(dsn)
    return dsn


@pytest.fixture(scope="module")
def loaded(kafka_bootstrap: str, e2e_failure_db: str, clickhouse: tuple[str, Embedded]) -> Iterator[Loaded]:
    """TOTAL records produced, then consumed through the flow into ClickHouse and the failure DB."""
    url, db = clickhouse
    topic, group = f"events-{uuid.uuid4().hex[:8]}", f"spotlight-e2e-{uuid.uuid4().hex[:8]}"
    sent = produce(kafka_bootstrap, topic)
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    with psycopg.connect(e2e_failure_db) as conn:
        pipeline = Pipeline(processor_modules(), url, TABLE, flow=FLOW, sample_size=100,
                            store_failures=lambda content: put_database_record(conn, content))
        try:
            assert drain(consumer, pipeline, TOTAL) == TOTAL
            committed = {tp.partition: tp.offset for tp in consumer.committed(
                [TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)}
        finally:
            consumer.close()
        yield Loaded(sent, topic, pipeline, db, e2e_failure_db, committed)
        pipeline.stop()


def stored_failures(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute('SELECT "partition", "offset", topic, payload, key, processor, reason, attempts, flow '
                            "FROM failures").fetchall()


def good_coordinates(run: Loaded) -> Counter[tuple[int, int]]:
    """The (partition, offset) of every ClickHouse row, through its `id`."""
    by_id = {s.record["id"]: where for where, s in run.sent.items() if s.record is not None}
    return Counter(by_id[row[0]] for row in run.db.query(f"SELECT id FROM {TABLE}"))


def test_every_record_is_in_clickhouse_or_the_failure_db_exactly_once(loaded: Loaded) -> None:
    good = {where for where, s in loaded.sent.items() if s.kind == "good"}
    bad = set(loaded.sent) - good
    rows = stored_failures(loaded.dsn)
    failed = Counter((p, o) for p, o, *_ in rows)
    stored = good_coordinates(loaded)

    assert len(loaded.sent) == TOTAL and 0.04 < len(bad) / TOTAL < 0.07
    assert loaded.db.query(f"SELECT count(), countDistinct(id) FROM {TABLE}") == [(len(good), len(good))]
    assert set(stored) == good and max(stored.values()) == 1
    assert set(failed) == bad and max(failed.values()) == 1 and {r[7] for r in rows} == {1}
    assert not set(stored) & set(failed)
    assert sum(stored.values()) + len(rows) == TOTAL
    for partition in range(PARTITIONS):
        produced = sum(1 for p, _ in loaded.sent if p == partition)
        assert sum(n for (p, _), n in stored.items() if p == partition) + sum(
            1 for p, _ in failed if p == partition) == produced
        assert loaded.committed[partition] == produced, "offsets are committed once outputs are stored"


def test_each_bad_record_keeps_its_bytes_key_and_reason(loaded: Loaded) -> None:
    kinds: Counter[str] = Counter()
    for partition, offset, topic, payload, key, processor, reason, _, flow in stored_failures(loaded.dsn):
        sent = loaded.sent[(partition, offset)]
        kinds[sent.kind] += 1
        assert (topic, flow, key) == (loaded.topic, FLOW, sent.key), sent.kind
        assert re.search(REASONS[sent.kind], reason, re.S), (sent.kind, reason)
        if sent.kind in PARSE_FAILURES:
            assert (processor, bytes(payload)) == ("ConsumeKafka", sent.value)
        else:
            assert processor == "CastToClickHouse" and parse_json(bytes(payload)) == parse_json(sent.value)
    assert set(kinds) == set(REASONS) and kinds["late field"] == TOTAL - LATE_FIELD_FROM


def test_column_types_and_values_match_the_records(loaded: Loaded) -> None:
    types = dict(loaded.db.query(f"SELECT name, type FROM system.columns WHERE table = '{TABLE}'"))
    assert {name: types[name] for name in ("id", "serial", "at", "user__vip", "user__ip", "amount", "qty", "note",
                                           "tags", "labels__we_ird", "labels___", "labels__ünïcødé ключ")} == {
        "id": "UInt32", "serial": "UInt128", "at": "DateTime64(3, 'UTC')", "user__vip": "Bool",
        "user__ip": "IPv4", "amount": "Float64", "qty": "UInt32", "note": "Nullable(String)",
        "tags": "Array(LowCardinality(String))", "labels__we_ird": "LowCardinality(String)",
        "labels___": "LowCardinality(String)", "labels__ünïcødé ключ": "LowCardinality(String)"}
    records = [s.record for s in loaded.sent.values() if s.record is not None]
    sample = {r["id"]: r for r in random.Random(SEED).sample(records, 200)}
    rows = loaded.db.query(
        "SELECT id, serial, toUnixTimestamp64Milli(at), user__name, user__vip, toString(user__ip), amount, qty, "
        "tags, note, `labels__quo_te`, `labels__new_line`, `labels___`, `labels__a_b_c` "
        f"FROM {TABLE} WHERE id IN ({', '.join(map(str, sample))}) ORDER BY id")
    assert len(rows) == len(sample)
    for row in rows:
        r = sample[row[0]]
        at = int(datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp() * 1000)
        labels = r["labels"]
        assert row[1:] == (r["serial"], at, r["user"]["name"], r["user"]["vip"], r["user"]["ip"], r["amount"],
                           r["qty"], r["tags"], r["note"], labels['quo"te'], labels["new\nline"], labels[""],
                           labels["a.b.c"])


def test_a_retried_insert_of_a_stored_flowfile_adds_no_row(loaded: Loaded) -> None:
    before = loaded.db.query(f"SELECT count() FROM {TABLE}")
    flowfile = loaded.pipeline.inserted[len(loaded.pipeline.inserted) // 2]
    assert loaded.pipeline.insert_with_retries(flowfile)[0] == "success"
    assert loaded.db.query(f"SELECT count() FROM {TABLE}") == before


def test_every_row_keeps_the_kafka_coordinates_of_its_record(loaded: Loaded) -> None:
    types = dict(loaded.db.query(f"SELECT name, type FROM system.columns WHERE table = '{TABLE}' AND name LIKE '\\_kafka%'"))
    assert types == {"_kafka_topic": "LowCardinality(String)", "_kafka_partition": "UInt32", "_kafka_offset": "UInt64"}
    assert "_kafka" not in loaded.db.query(f"SELECT sorting_key FROM system.tables WHERE name = '{TABLE}'")[0][0]
    by_id = {s.record["id"]: where for where, s in loaded.sent.items() if s.record is not None}
    rows = loaded.db.query(f"SELECT id, _kafka_topic, _kafka_partition, _kafka_offset FROM {TABLE}")
    assert {(topic, (partition, offset)) for _, topic, partition, offset in rows} == {
        (loaded.topic, by_id[row[0]]) for row in rows}


def reconcile(capsys: pytest.CaptureFixture[str], topic: str, table: str) -> tuple[int, list[list[str]], str]:
    """`spotlight-nifi reconcile`: exit code, the cells of each partition's row, stderr."""
    with pytest.raises(SystemExit) as exited:
        main(["reconcile", "--topic", topic, "--table", table])
    out, err = capsys.readouterr()
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    return int(exited.value.code or 0), cells, err


def test_reconcile_finds_every_record_then_a_deleted_and_a_duplicated_row(
        loaded: Loaded, clickhouse: tuple[str, Embedded], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kafka_bootstrap: str) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "CLICKHOUSE_URL": clickhouse[0],
                       "FAILURE_DB_DSN": loaded.dsn}.items():
        monkeypatch.setenv(key, value)
    code, cells, err = reconcile(capsys, loaded.topic, TABLE)
    produced = Counter(partition for partition, _ in loaded.sent)
    assert (code, err) == (0, "")
    assert [(c[0], c[2], c[5], c[6]) for c in cells] == [(str(p), str(produced[p]), "-", "-") for p in range(PARTITIONS)]

    good = sorted(where for where, s in loaded.sent.items() if s.kind == "good")
    deleted, duplicated = next(w for w in good if w[0] == 1), next(w for w in good if w[0] == 2)
    tampered = f"{TABLE}_tampered"
    loaded.db.command(f"CREATE TABLE {tampered} AS {TABLE}")
    loaded.db.command(f"INSERT INTO {tampered} SELECT * FROM {TABLE}")
    loaded.db.command(f"DELETE FROM {tampered} WHERE _kafka_partition = {deleted[0]} AND _kafka_offset = {deleted[1]}")
    loaded.db.command(f"INSERT INTO {tampered} SELECT * FROM {TABLE} "
                      f"WHERE _kafka_partition = {duplicated[0]} AND _kafka_offset = {duplicated[1]}")

    code, cells, err = reconcile(capsys, loaded.topic, tampered)
    assert code == 1
    assert err == (f"Error: topic `{loaded.topic}`: 1 offset(s) are neither in `{tampered}` nor in the failure DB "
                   "(listed above)\n")
    assert [(c[0], c[5], c[6]) for c in cells] == [
        ("0", "-", "-"), ("1", str(deleted[1]), "-"), ("2", "-", f"{duplicated[1]} (loaded 2x)")]
