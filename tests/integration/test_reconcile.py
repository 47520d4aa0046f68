"""`spotlight-nifi reconcile` on a real Kafka topic, the real ClickHouse engine (over HTTP) and the real
failure DB: records are consumed, loaded with their Kafka coordinates or recorded as failures;
then one row is deleted and another duplicated, and both are reported (exit 1: one is missing)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from spotlight_nifi import failures, web
from spotlight_nifi.clickhouse import ClickHouse, connect
from spotlight_nifi.failures import FailedRecord, ReconcileError
from tests.cli_run import run_cli
from tests.integration.conftest import STEWARD_PASSWORD

pytestmark = pytest.mark.integration

PARTITIONS, RECORDS, LATE = 2, 40, 4
COLUMNS = ["id", "_kafka_partition", "_kafka_offset"]


run = run_cli


@pytest.fixture
def clickhouse_db(clickhouse_url: str) -> Iterator[ClickHouse]:
    db = connect(clickhouse_url)
    yield db
    db.close()


def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)


def _produce(bootstrap: str, topic: str, first: int, count: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for n in range(first, first + count):
        producer.produce(topic, key=str(n).encode(), value=b'{"id": %d}' % n if n % 7 else b"{broken", partition=n % PARTITIONS)
    assert producer.flush(30) == 0


def _consume_and_load(bootstrap: str, topic: str, group: str, clickhouse: ClickHouse, table: str, dsn: str) -> int:
    """What a flow does: every record read becomes a row (with its coordinates) or a failure row;
    offsets are committed after both are stored."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    rows, failed, seen = [], [], 0
    for _ in range(60):
        for message in consumer.consume(100, 1.0):
            if message.error() is not None:
                continue
            seen += 1
            value = message.value() or b""
            if value.startswith(b"{broken"):
                failed.append(FailedRecord(value, topic, message.partition(), message.offset(), "orders_flow",
                                           "CastToClickHouse", "invalid JSON", key=message.key()))
            else:
                rows.append((int(value[7:-1]), message.partition(), message.offset()))
        if seen >= RECORDS:
            break
    clickhouse.insert(table, COLUMNS, rows)
    failures.record_failures(dsn, failed)
    consumer.commit(asynchronous=False)
    consumer.close()
    return seen


def test_reconcile_reports_a_deleted_and_a_duplicated_row(capsys: pytest.CaptureFixture[str], kafka_bootstrap: str,
                                                         clickhouse_url: str, clickhouse_db: ClickHouse,
                                                         failure_db: str, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "CLICKHOUSE_URL": clickhouse_url,
                       "FAILURE_DB_DSN": failure_db}.items():
        monkeypatch.setenv(key, value)
    topic, group = f"orders-{uuid.uuid4().hex[:8]}", f"loader-{uuid.uuid4().hex[:8]}"
    table = topic.replace("-", "_")
    _create_topic(kafka_bootstrap, topic, PARTITIONS)
    clickhouse_db.command(f"CREATE TABLE {table} (id UInt32, _kafka_partition UInt32, _kafka_offset UInt64) "
                          "ENGINE = MergeTree ORDER BY (_kafka_partition, _kafka_offset)")
    _produce(kafka_bootstrap, topic, 0, RECORDS)
    assert _consume_and_load(kafka_bootstrap, topic, group, clickhouse_db, table, failure_db) == RECORDS

    code, out, err = run(capsys, "reconcile", "--topic", topic, "--table", table)
    assert (code, err) == (0, "")
    assert out.endswith("nothing missing; 0 duplicate offset(s)\n")

    clickhouse_db.command(f"DELETE FROM {table} WHERE _kafka_partition = 1 AND _kafka_offset = 4")
    clickhouse_db.insert(table, COLUMNS, [(4, 0, 2)])
    _produce(kafka_bootstrap, topic, RECORDS, LATE)

    code, out, err = run(capsys, "reconcile", "--topic", topic, "--table", table, "--group", group)
    assert code == 1
    assert err == (f"Error: topic `{topic}`: 1 offset(s) are neither in `{table}` nor in the failure DB "
                   "(listed above)\n")
    lines = [" ".join(line.split("│")[1:-1]).split() for line in out.splitlines() if line.startswith("│")]
    assert lines == [["0", "0-19", "20", "17", "3", "-", "2", "(loaded", "2x)"],
                     ["1", "0-19", "20", "16", "3", "4", "-"]]

    report = failures.reconcile(topic, kafka={"bootstrap.servers": kafka_bootstrap}, clickhouse=clickhouse_db,
                                failure_db=failure_db, table=table)
    assert [(p.partition, p.end, p.missing) for p in report.partitions] == [(0, 22, [(20, 21)]), (1, 22, [(4, 4), (20, 21)])]
    since = failures.reconcile(topic, kafka={"bootstrap.servers": kafka_bootstrap}, clickhouse=clickhouse_db,
                               failure_db=failure_db, table=table, since=datetime.now(timezone.utc))
    assert [(p.start, p.end) for p in since.partitions] == [(22, 22), (22, 22)]

    verdict = _reconcile_page(web.WebConfig(dsn=failure_db, user="steward", password_hash=web.password_hash(
        STEWARD_PASSWORD), kafka_bootstrap=kafka_bootstrap, clickhouse_url=clickhouse_url),
        {"topic": topic, "table": table, "group": group})
    assert verdict == f"1 offset(s) missing, 1 duplicate(s) in {table}"


def _reconcile_page(config: web.WebConfig, query: dict[str, str]) -> str:
    """The verdict line of the stewards' reconcile page for `query`, after logging in."""
    app = web.create_app(config)
    with app.test_client() as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post("/login", data={"user": "steward", "password": STEWARD_PASSWORD, "csrf_token": token.group(1)})
        page = client.get("/reconcile", query_string=query).text
    app.extensions["spotlight_failures"].close()
    found = re.search(r'<h2 class="bad" id="verdict">(.*?)</h2>', page, re.DOTALL)
    assert found is not None, page
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def test_reconcile_names_what_it_cannot_check(kafka_bootstrap: str, clickhouse_db: ClickHouse, failure_db: str) -> None:
    kafka = {"bootstrap.servers": kafka_bootstrap}
    with pytest.raises(ReconcileError, match="topic `http:batch-1`: is an HTTP batch, not a Kafka topic"):
        failures.reconcile("http:batch-1", kafka=kafka, clickhouse=clickhouse_db, failure_db=failure_db)
    missing = f"nothing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ReconcileError, match=f"topic `{missing}`: Kafka has no such topic"):
        failures.reconcile(missing, kafka=kafka, clickhouse=clickhouse_db, failure_db=failure_db)
    topic = f"plain-{uuid.uuid4().hex[:8]}"
    _create_topic(kafka_bootstrap, topic, 1)
    table = topic.replace("-", "_")
    with pytest.raises(ReconcileError, match=f"ClickHouse has no table `{table}`: name the table with `--table`"):
        failures.reconcile(topic, kafka=kafka, clickhouse=clickhouse_db, failure_db=failure_db, table=table)
    clickhouse_db.command(f"CREATE TABLE {table} (id UInt32) ENGINE = MergeTree ORDER BY id")
    with pytest.raises(ReconcileError, match=f"table `{table}` has no column `_kafka_partition`, `_kafka_offset`"):
        failures.reconcile(topic, kafka=kafka, clickhouse=clickhouse_db, failure_db=failure_db, table=table)
