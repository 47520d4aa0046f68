"""10,000 records POSTed in batches through the real NiFi 2.3.0: each lands in ClickHouse or the failure DB, once.

Nothing is a stand-in: the `Spotlight HTTP ingest` flow of `flows/`, built for 2.3.0 and deployed
by `spotlight_nifi.canvas`, runs on the local stack's NiFi (ListenHTTP, our three Python
processors, PutDatabaseRecord into `failure_inbox` over the PostgreSQL JDBC driver); ClickHouse is
the local stack's embedded engine behind its HTTP interface (NiFi's Python processes and this test
share it), the failure DB a migrated PostgreSQL database.

Each batch carries a `Spotlight-Batch` header, so every record has coordinates (`http:<batch>`,
partition 0, its line) and a re-sent batch is recognised. The second run kills NiFi (SIGKILL)
mid-stream, restarts it, and re-sends batches NiFi had acknowledged, as a producer that lost the
answers would: still nothing lost, nothing twice.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from spotlight_nifi import failures
from spotlight_nifi import stack as local_stack
from spotlight_nifi.canvas import NiFi, deploy_definition
from spotlight_nifi.cast import json_bytes
from spotlight_nifi.clickhouse import ClickHouse, connect
from spotlight_nifi.clickhouse.tables import prepare_table
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.build import check
from spotlight_nifi.flow.manifest import load_manifest
from spotlight_nifi.flow.release import release
from spotlight_nifi.flow.target import with_project_processors
from spotlight_nifi.infer.reader import parse_json
from spotlight_nifi.ingest.batch import HTTP_TOPIC_PREFIX
from spotlight_nifi.stack.process import choose_port
from spotlight_nifi.stack.state import StackState, is_alive
from spotlight_nifi.versions import LOCAL_NIFI_VERSION
from tests.integration.conftest import LocalStack
from tests.integration.http_ingress import post_batch
from tests.integration.test_pipeline_e2e import HOSTILE_KEYS, bad_message, good_record

pytestmark = pytest.mark.integration

TOTAL, BATCH, BAD_SHARE = 10_000, 250, 0.05
TABLE, FLOW, PATH = "events", "Spotlight HTTP ingest", "events"
FLOWS = Path(__file__).resolve().parents[2] / "flows"
KINDS = ["wrong type", "missing field", "hostile key", "huge number", "invalid utf-8", "empty object", "malformed",
         "late field"]
REASONS = {
    "wrong type": r"^field `(qty|user\.vip|at|amount)` .*not",
    "missing field": r"^field `id` is missing",
    "empty object": r"^field `\w+` is missing",
    "hostile key": r"^field `.*` has no column$",
    "huge number": r"^field `qty` \d{20,} is outside UInt32",
    "late field": r"^field `coupon` has no column$",
    "invalid utf-8": r"\S",
    "malformed": r"\S",
}


@dataclass(frozen=True)
class Sent:
    kind: str
    line: bytes
    id: int | None


@dataclass
class Run:
    """One producer's batches: what each record was, and what NiFi acknowledged."""

    name: str
    batches: list[tuple[str, list[Sent]]]
    acknowledged: list[str] = field(default_factory=list)

    def records(self) -> dict[tuple[str, int], Sent]:
        return {(f"{HTTP_TOPIC_PREFIX}{batch}", i): s for batch, sent in self.batches for i, s in enumerate(sent)}

    def good_ids(self) -> set[int]:
        return {s.id for _, sent in self.batches for s in sent if s.id is not None}


def make_run(name: str, first_id: int, rng: random.Random) -> Run:
    """TOTAL records, about 5% bad of every kind, in batches of BATCH lines."""
    records: list[Sent] = []
    for n in range(TOTAL):
        record = {**good_record(n, rng), "id": first_id + n}
        kind = KINDS[n % len(KINDS)] if n >= BATCH and rng.random() < BAD_SHARE else "good"
        if kind == "good":
            records.append(Sent(kind, json_bytes(record), record["id"]))
        elif kind == "empty object":
            records.append(Sent(kind, b"{}", None))
        elif kind == "late field":
            records.append(Sent(kind, json_bytes({**record, "coupon": "SPRING"}), None))
        else:
            records.append(Sent(kind, bad_message(kind, record, rng), None))
    batches = [(f"{name}-{i // BATCH:03d}", records[i:i + BATCH]) for i in range(0, TOTAL, BATCH)]
    return Run(name, batches)


def post(url: str, batch: str, sent: list[Sent], deadline: float) -> None:
    post_batch(url, batch, b"\n".join(s.line for s in sent) + b"\n", deadline)


def produce(url: str, run: Run, batches: list[tuple[str, list[Sent]]], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    for batch, sent in batches:
        post(url, batch, sent, deadline)
        run.acknowledged.append(batch)


@dataclass
class Pipeline:
    """The deployed flow and where its output goes."""

    nifi: NiFi
    ingress: str
    clickhouse: ClickHouse
    failure_dsn: str
    stack: LocalStack

    def stored_ids(self, run: Run) -> Counter[int]:
        low, high = min(run.good_ids() or {0}), max(run.good_ids() or {0})
        rows = self.clickhouse.query(f"SELECT id FROM {TABLE} WHERE id BETWEEN {low} AND {high}")
        return Counter(int(r[0]) for r in rows)

    def failures(self, run: Run) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.failure_dsn) as conn:
            return conn.execute('SELECT topic, "partition", "offset", payload, processor, reason, flow FROM failures '
                                "WHERE topic LIKE %s", (f"{HTTP_TOPIC_PREFIX}{run.name}-%",)).fetchall()

    def wait_for(self, run: Run, timeout: float = 300.0) -> None:
        """Until every record of the run is stored or failed; a stall fails with the counts."""
        deadline, seen = time.monotonic() + timeout, -1
        while time.monotonic() < deadline:
            seen = sum(self.stored_ids(run).values()) + len(self.failures(run))
            if seen >= TOTAL:
                time.sleep(2)  # anything still in flight would show up as a duplicate now
                return
            time.sleep(1)
        raise AssertionError(f"after {timeout:.0f} s only {seen} of {TOTAL} records are stored or failed")


def database_name(dsn: str) -> str:
    return dict(part.split("=", 1) for part in dsn.split())["dbname"]


@pytest.fixture(scope="module")
def pipeline(stack: LocalStack, stack_settings: Callable[..., Settings], nifi_url: str, clickhouse_url: str,
             new_database: Callable[[str], str]) -> Iterator[Pipeline]:
    """The HTTP flow deployed and running, its table created from good records, a fresh failure DB."""
    dsn = new_database("nifi_e2e")
    failures.migrate(dsn)
    connect(clickhouse_url).command("CREATE DATABASE IF NOT EXISTS nifi_e2e")  # `events` of its own
    own_url = clickhouse_url.rsplit("/", 1)[0] + "/nifi_e2e"
    clickhouse = connect(own_url)
    sample = [parse_json(s.line) for _, sent in make_run("sample", 40_000_000, random.Random(1)).batches[:2]
              for s in sent if s.kind == "good"]
    prepare_table(clickhouse, TABLE, sample, create=True, evolve=False)
    port = choose_port("ingress", None)
    jdbc = stack_settings().get("FAILURE_DB_JDBC_URL", "").rsplit("/", 1)[0] + "/" + database_name(dsn)
    settings = stack_settings(NIFI_HTTP_INGRESS_PORT=str(port), FAILURE_DB_JDBC_URL=jdbc, CLICKHOUSE_URL=own_url)
    manifest = with_project_processors(load_manifest(nifi_url=nifi_url, cache_dir=local_stack.cache_dir(settings)))
    definition = check(FLOWS, manifest, [FLOW], target=release(LOCAL_NIFI_VERSION)).flows[FLOW]
    nifi = NiFi(nifi_url)
    deployment = deploy_definition(nifi, definition, settings)
    assert deployment.invalid() == [], [c.line() for c in deployment.invalid()]
    try:
        yield Pipeline(nifi, f"http://127.0.0.1:{port}/{PATH}", clickhouse, dsn, stack)
    finally:
        NiFi(StackState.load(stack.run_dir).running["nifi"].url).remove(deployment.group_id)
        clickhouse.close()


def assert_each_record_once(pipeline: Pipeline, run: Run) -> None:
    records = run.records()
    stored = pipeline.stored_ids(run)
    rows = pipeline.failures(run)
    failed = Counter((topic, offset) for topic, _, offset, *_ in rows)
    bad = {where for where, s in records.items() if s.kind != "good"}

    assert 0.04 < len(bad) / TOTAL < 0.07 and {s.kind for s in records.values()} == {"good", *KINDS}
    misfits = Counter(reason[:100] for topic, _, offset, _, _, reason, _ in rows if records[(topic, offset)].kind == "good")
    assert set(stored) == run.good_ids(), f"good records missing, failed as: {misfits.most_common(3)}"
    assert max(stored.values()) == 1, "every good record stored once"
    assert set(failed) == bad and max(failed.values()) == 1, "every bad record a failure row, once"
    assert sum(stored.values()) + len(rows) == TOTAL
    for topic, partition, offset, payload, processor, reason, flow in rows:
        sent = records[(topic, offset)]
        assert (partition, processor, flow) == (0, "CastToClickHouse", FLOW)
        assert bytes(payload) == sent.line, "the raw bytes are kept"
        assert re.search(REASONS[sent.kind], reason, re.S), (sent.kind, reason)


def test_every_posted_record_is_in_clickhouse_or_the_failure_db_once(pipeline: Pipeline) -> None:
    run = make_run(f"r{uuid.uuid4().hex[:6]}", 10_000_000, random.Random(7))
    produce(pipeline.ingress, run, run.batches)
    pipeline.wait_for(run)
    assert_each_record_once(pipeline, run)


def test_a_steward_fixes_the_table_and_replays_http_records_to_the_ingress(pipeline: Pipeline) -> None:
    run = make_run(f"s{uuid.uuid4().hex[:6]}", 50_000_000, random.Random(17))
    produce(pipeline.ingress, run, run.batches[:8])
    late = {(b, i): s for b, sent in run.batches[:8] for i, s in enumerate(sent) if s.kind == "late field"}
    wanted = sum(1 for _, sent in run.batches[:8] for s in sent if s.kind == "good") + len(late)
    deadline = time.monotonic() + 120
    while sum(pipeline.stored_ids(run).values()) + len(pipeline.failures(run)) < 8 * BATCH:
        assert time.monotonic() < deadline, "the eight batches did not all arrive"
        time.sleep(1)
    with psycopg.connect(pipeline.failure_dsn) as conn:
        ids = [i for (i,) in conn.execute("SELECT id FROM failures WHERE topic LIKE %s AND reason LIKE %s",
                                          (f"{HTTP_TOPIC_PREFIX}{run.name}-%", "field `coupon` has no column"))]
    assert len(ids) == len(late) > 0
    pipeline.clickhouse.command(f"ALTER TABLE {TABLE} ADD COLUMN coupon Nullable(String)")
    try:
        replayed = failures.replay_http(pipeline.failure_dsn, ids, pipeline.ingress, by="steward", note="coupon")
        assert {r.status for r in replayed} == {"replayed"}
        coupons = {parse_json(s.line)["id"] for s in late.values()}
        landed = f"SELECT id FROM {TABLE} WHERE coupon = 'SPRING' AND id >= 50000000"
        deadline = time.monotonic() + 120
        while len(pipeline.clickhouse.query(landed)) < len(coupons):
            assert time.monotonic() < deadline, "the replayed records did not land"
            time.sleep(1)
        assert {r[0] for r in pipeline.clickhouse.query(landed)} == coupons
        assert sum(pipeline.stored_ids(run).values()) == wanted
    finally:  # the other tests count the late field as a misfit
        pipeline.clickhouse.command(f"ALTER TABLE {TABLE} DROP COLUMN coupon")


def test_good_records_keep_their_types_and_values(pipeline: Pipeline) -> None:
    types = dict(pipeline.clickhouse.query(f"SELECT name, type FROM system.columns WHERE table = '{TABLE}'"))
    assert {n: types[n] for n in ("id", "serial", "at", "user__vip", "user__ip", "amount", "note", "tags")} == {
        "id": "UInt32", "serial": "UInt128", "at": "DateTime64(3, 'UTC')", "user__vip": "Bool", "user__ip": "IPv4",
        "amount": "Float64", "note": "Nullable(String)", "tags": "Array(LowCardinality(String))"}
    run = make_run("types", 20_000_000, random.Random(11))
    produce(pipeline.ingress, run, run.batches[:4])
    expected = {s.id: parse_json(s.line) for _, sent in run.batches[:4] for s in sent if s.id is not None}
    deadline = time.monotonic() + 120
    while sum(pipeline.stored_ids(run).values()) < len(expected) and time.monotonic() < deadline:
        time.sleep(1)
    rows = pipeline.clickhouse.query(f"SELECT id, serial, user__name, toString(user__ip), amount, qty, tags, note, "
                                     f"`labels__quo_te` FROM {TABLE} WHERE id >= 20000000 AND id < 30000000")
    assert {r[0] for r in rows} == set(expected)
    for row in rows:
        r = expected[row[0]]
        assert row[1:] == (r["serial"], r["user"]["name"], r["user"]["ip"], r["amount"], r["qty"], r["tags"],
                           r["note"], r["labels"]['quo"te']), HOSTILE_KEYS


def test_nifi_killed_mid_stream_loses_and_duplicates_nothing(pipeline: Pipeline) -> None:
    run = make_run(f"k{uuid.uuid4().hex[:6]}", 30_000_000, random.Random(13))
    producer = threading.Thread(target=produce, args=(pipeline.ingress, run, run.batches), daemon=True)
    producer.start()
    while len(run.acknowledged) < len(run.batches) // 2:
        time.sleep(0.05)
    running = StackState.load(pipeline.stack.run_dir).running["nifi"]
    os.kill(running.pid, signal.SIGKILL)
    while is_alive(running.pid, running.start_ticks):
        time.sleep(0.1)
    restarted = local_stack.up(pipeline.stack.run_dir, pipeline.stack.cache, ["nifi"]).running["nifi"]
    assert restarted.url == running.url, "a restarted NiFi keeps its port, so NIFI_URL stays true"
    producer.join(600)
    assert not producer.is_alive() and run.acknowledged == [b for b, _ in run.batches]
    for batch, sent in run.batches[: len(run.batches) // 2: 5]:  # answers "lost": the producer sends again
        post(pipeline.ingress, batch, sent, time.monotonic() + 60)
    pipeline.wait_for(run)
    assert_each_record_once(pipeline, run)
