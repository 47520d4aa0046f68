"""A PostgreSQL table kept in sync in ClickHouse through Debezium, Kafka and `spotlight-nifi cdc`.

Real: the session's PostgreSQL (wal_level=logical), Kafka, Kafka Connect with Debezium's PostgreSQL
connector, the ClickHouse engine behind its HTTP interface and the failure DB. A table with every
common type gets 10,000 rows, is captured (`cdc add`: snapshot), then gets 1,000 updates (Kafka
Connect is killed with SIGKILL halfway and restarted), 500 deletes, a new column and 1,000 more rows
(some old rows updated to fill the column). After each phase the applier runs until it has
applied a sentinel change made last; then `SELECT … FINAL` equals the PostgreSQL table column by
column (an MD5 of each column's values in key order, computed in each database), every event read
is applied or failed, and the consumer group has committed the whole topic. `cdc remove` leaves
no connector, replication slot nor publication behind.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Consumer, TopicPartition

from spotlight_nifi import cdc, failures
from spotlight_nifi import stack as local_stack
from spotlight_nifi.cdc.connector import names
from spotlight_nifi.clickhouse import ClickHouse, connect
from spotlight_nifi.stack.state import StackState, is_alive
from tests.cli_run import run_cli
from tests.integration.conftest import LocalStack

pytestmark = pytest.mark.integration

ROWS, UPDATES, DELETES, MORE, FILLED = 10_000, 1_000, 500, 1_000, 200
SCHEMA = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE everything (
    id bigint PRIMARY KEY, small smallint NOT NULL, whole integer, amount numeric(12,2) NOT NULL, ratio real,
    score double precision, exact numeric, flag boolean NOT NULL, label text, code varchar(16), fixed char(4),
    ref uuid, born date, at timestamp NOT NULL, at_ms timestamp(3), seen timestamptz, clock time, doc jsonb,
    tags text[] NOT NULL, nums integer[], m mood, blob bytea, ip inet, span interval)
"""
INSERT = """
INSERT INTO everything (id, small, whole, amount, ratio, score, exact, flag, label, code, fixed, ref, born, at, at_ms,
                        seen, clock, doc, tags, nums, m, blob, ip, span{extra_column})
SELECT i, (i %% 30000)::smallint, CASE WHEN i %% 7 = 0 THEN NULL ELSE i * 3 END, (i * 12.34)::numeric(12,2),
       (i %% 1000) / 7.0, i * 1.25 + 0.1, CASE WHEN i %% 5 = 0 THEN NULL ELSE i::numeric / 7 END, i %% 2 = 0,
       'label ' || i || ' ünï', CASE WHEN i %% 3 = 0 THEN NULL ELSE 'c' || (i %% 97) END, lpad((i %% 100)::text, 2),
       md5(i::text)::uuid, date '1950-01-01' + i, timestamp '2020-01-01' + i * interval '61.000001 seconds',
       timestamp '2020-01-01' + i * interval '1.001 seconds', timestamptz '2021-06-01 00:00:00+02' + i * interval '1020.5 seconds',
       time '00:00' + i * interval '7.25 seconds', jsonb_build_object('i', i, 'even', i %% 2 = 0, 'tags', jsonb_build_array('a', i %% 3)),
       ARRAY['t' || (i %% 5), CASE WHEN i %% 4 = 0 THEN NULL ELSE 'x' END],
       CASE WHEN i %% 6 = 0 THEN NULL ELSE ARRAY[i, NULL, -i] END, (ARRAY['sad', 'ok', 'happy'])[i %% 3 + 1]::mood,
       decode(md5(i::text), 'hex'), ('10.' || (i %% 256) || '.' || (i / 256 %% 256) || '.1')::inet,
       make_interval(months => i %% 14, days => i %% 40, secs => i %% 3600 + 0.25){extra_value}
FROM generate_series(%(first)s::int, %(last)s::int) AS i
"""


def _text(column: str) -> str:
    """PostgreSQL's text of a value through its output function (`concat`), NULL kept."""
    return f"CASE WHEN {column} IS NOT NULL THEN concat({column}) END"


CHECKSUMS = {  # column: (PostgreSQL text, ClickHouse text) of each value, the same when the values are
    "id": ("id::text", "toString(id)"), "small": ("small::text", "toString(small)"),
    "whole": ("whole::text", "toString(whole)"), "amount": ("trim_scale(amount)::text", "toString(amount)"),
    "ratio": ("ratio::text", "toString(ratio)"), "score": ("score::text", "toString(score)"),
    "exact": ("exact::text", "exact"), "flag": ("flag::text", "toString(flag)"), "label": ("label", "label"),
    "code": ("code", "code"), "fixed": (_text("fixed"), "fixed"), "ref": ("ref::text", "toString(ref)"),
    "born": ("born::text", "toString(born)"), "at": ("to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')", "toString(at)"),
    "at_ms": ("to_char(at_ms, 'YYYY-MM-DD HH24:MI:SS.MS')", "toString(at_ms)"),
    "seen": ("to_char(seen AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')", "toString(seen)"),
    "clock": ("(extract(epoch FROM clock) * 1000000)::bigint::text", "toString(clock)"),
    "doc": ("doc::text", "doc"), "tags": ("array_to_json(tags)::text", "toJSONString(tags)"),
    "nums": ("array_to_json(nums)::text", "if(isNull(nums), NULL, toJSONString(nums))"),
    "m": ("m::text", "toString(m)"), "blob": ("encode(blob, 'hex')", "blob"), "ip": (_text("ip"), "ip"),
    "span": ("format('P%sY%sM%sDT%sH%sM%sS', extract(year FROM span), extract(month FROM span), extract(day FROM span), "
             "extract(hour FROM span), extract(minute FROM span), trim_scale(extract(second FROM span)))", "span"),
    "extra": ("extra::text", "toString(extra)"),
}


def pg_checksums(conn: psycopg.Connection, columns: list[str]) -> dict[str, str]:
    parts = ", ".join(f"md5(string_agg(coalesce({CHECKSUMS[c][0]}, '\\N'), E'\\n' ORDER BY id))" for c in columns)
    row = conn.execute(f"SELECT {parts} FROM everything").fetchone()
    assert row is not None
    return dict(zip(columns, row))


def ch_checksums(db: ClickHouse, table: str, columns: list[str]) -> dict[str, str]:
    parts = ", ".join(f"lower(hex(MD5(arrayStringConcat(arrayMap(x -> x.2, arraySort(x -> x.1, groupArray((id, "
                      f"ifNull({CHECKSUMS[c][1]}, '\\\\N'))))), '\\n'))))" for c in columns)
    return dict(zip(columns, db.query(f"SELECT {parts} FROM `{table}` FINAL")[0]))


@dataclass
class Capture:
    """One captured table and what it takes to apply its events."""

    source: psycopg.Connection
    dsn: str
    failure_db: str
    db: ClickHouse
    table: str
    topic: str
    applier: cdc.Applier
    kafka: Consumer

    def sync(self, timeout: float = 180.0) -> cdc.Progress:
        """Change a sentinel (row 1's `small`) and apply events until ClickHouse shows it and as many rows
        as PostgreSQL: streamed changes arrive in LSN order, so everything before the sentinel is in
        too, and the count covers a snapshot still running when the sentinel was changed."""
        sentinel = self.source.execute("UPDATE everything SET small = small + 1 WHERE id = 1 RETURNING small").fetchone()
        count = self.source.execute("SELECT count(*) FROM everything").fetchone()
        wanted = [(sentinel[0], count[0])]  # type: ignore[index]
        query = f"SELECT (SELECT small FROM `{self.table}` FINAL WHERE id = 1), (SELECT count() FROM `{self.table}` FINAL)"
        deadline = time.monotonic() + timeout

        def stop(progress: cdc.Progress, idle: bool) -> bool:
            if time.monotonic() > deadline:
                pytest.fail(f"ClickHouse did not show the sentinel {wanted} within {timeout:.0f} s: {progress}")
            return self.db.query(query) == wanted
        return cdc.run(self.applier, self.kafka, self.topic, stop)

    def assert_equal(self, columns: list[str]) -> None:
        pg, ch = pg_checksums(self.source, columns), ch_checksums(self.db, self.table, columns)
        assert {c: ch[c] for c in columns if ch[c] != pg[c]} == {}, "columns whose values differ"
        count = self.source.execute("SELECT count(*) FROM everything").fetchone()
        assert self.db.query(f"SELECT count(), uniqExact(id) FROM `{self.table}` FINAL") == [(count[0], count[0])]  # type: ignore[index]


@pytest.fixture(scope="module")
def env(kafka_connect_url: str, kafka_bootstrap: str, clickhouse_url: str,
        new_database: Callable[[str], str]) -> dict[str, str]:
    """What `spotlight-nifi dev env` gives with `--with cdc`, plus a source database and a failure DB of their own."""
    failure_db = new_database("cdcfail")
    failures.migrate(failure_db)
    return {"CDC_SOURCE_DSN": new_database("cdc"), "KAFKA_CONNECT_URL": kafka_connect_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "CLICKHOUSE_URL": clickhouse_url, "FAILURE_DB_DSN": failure_db}


@pytest.fixture
def cli(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """`spotlight-nifi ARGS...` in an empty directory with the module's settings in the environment."""
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return lambda *args: run_cli(capsys, *args)


def kill_and_restart_connect(stack: LocalStack) -> None:
    running = StackState.load(stack.run_dir).running["connect"]
    os.kill(running.pid, signal.SIGKILL)
    while is_alive(running.pid, running.start_ticks):
        time.sleep(0.1)
    restarted = local_stack.up(stack.run_dir, stack.cache, ["connect"]).running["connect"]
    assert restarted.url == running.url, "a restarted Kafka Connect keeps its port"


@pytest.fixture(scope="module")
def captured(env: dict[str, str], stack: LocalStack) -> Iterator[Capture]:
    """The table, captured and changed phase by phase, each phase applied; removed afterwards."""
    table = f"everything_{uuid.uuid4().hex[:8]}"
    source = psycopg.connect(env["CDC_SOURCE_DSN"], autocommit=True)
    source.execute(SCHEMA)
    source.execute(INSERT.format(extra_column="", extra_value=""), {"first": 1, "last": ROWS})
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        db = connect(env["CLICKHOUSE_URL"])
        connector = cdc.Connect(env["KAFKA_CONNECT_URL"])
        added = cdc.add(source, env["CDC_SOURCE_DSN"], db, connector, "public", "everything", table=table)
        kafka = cdc.consumer(env["KAFKA_BOOTSTRAP_SERVERS"], added.names.topic)
        applier = cdc.Applier(db, source, env["FAILURE_DB_DSN"], schema="public", name="everything", table=table)
        capture = Capture(source, env["CDC_SOURCE_DSN"], env["FAILURE_DB_DSN"], db, table, added.names.topic, applier, kafka)
        try:
            yield capture
        finally:
            kafka.close()
            cdc.remove(source, env["CDC_SOURCE_DSN"], connector, "public", "everything")
            db.command(f"DROP TABLE IF EXISTS `{table}`")
            db.close()
            source.close()


def test_the_snapshot_equals_the_source_column_by_column(captured: Capture) -> None:
    progress = captured.sync()
    assert progress.read >= ROWS and progress.failed == 0
    captured.assert_equal([c for c in CHECKSUMS if c != "extra"])


def test_updates_deletes_a_new_column_and_more_rows_through_a_killed_connect(captured: Capture, stack: LocalStack) -> None:
    source = captured.source
    for chunk in range(4):
        if chunk == 2:
            time.sleep(1.0)  # Debezium has read some of the first half; some of it is not yet flushed as its offset
            kill_and_restart_connect(stack)
        source.execute("UPDATE everything SET amount = amount + 0.01, label = label || ' upd', seen = seen + interval "
                       "'1 hour', tags = array_append(tags, 'u'), nums = NULL, doc = doc || '{\"u\": true}' "
                       "WHERE id %% 10 = 3 AND id %% 40 = %s", (3 + chunk * 10,))
    assert source.execute("SELECT count(*) FROM everything WHERE label LIKE '% upd'").fetchone() == (UPDATES,)
    source.execute("DELETE FROM everything WHERE id % 20 = 7")
    source.execute("ALTER TABLE everything ADD COLUMN extra integer")
    source.execute(INSERT.format(extra_column=", extra", extra_value=", i * 11"), {"first": ROWS + 1, "last": ROWS + MORE})
    source.execute(f"UPDATE everything SET extra = -id WHERE id <= {ROWS} AND id % 50 = 1")
    progress = captured.sync()
    assert source.execute("SELECT count(*) FROM everything").fetchone() == (ROWS - DELETES + MORE,)
    assert source.execute("SELECT count(extra) FROM everything").fetchone() == (MORE + FILLED,)
    assert progress.failed == 0 and len(progress.followed) == 1 and "ADD COLUMN `extra` Nullable(Int32)" in progress.followed[0]
    captured.assert_equal(list(CHECKSUMS))


def test_a_widened_column_is_followed_and_its_wider_values_land(captured: Capture) -> None:
    source = captured.source
    source.execute("ALTER TABLE everything ALTER COLUMN whole TYPE bigint")
    source.execute("UPDATE everything SET whole = id * 10000000000 WHERE id % 100 = 5")
    progress = captured.sync()
    assert progress.failed == 0
    assert [s for s in progress.followed if "`whole`" in s] == [
        f"ALTER TABLE `{captured.table}` MODIFY COLUMN `whole` Nullable(Int64) COMMENT '{{\"path\":[\"whole\"]}}'"]
    captured.assert_equal(list(CHECKSUMS))


def test_every_event_on_the_topic_was_applied_or_failed_and_committed(captured: Capture) -> None:
    progress = captured.applier.progress
    changes = ROWS + UPDATES + DELETES + MORE + FILLED + 2  # and two sentinels
    end = captured.kafka.get_watermark_offsets(TopicPartition(captured.topic, 0), timeout=10)[1]
    committed = captured.kafka.committed([TopicPartition(captured.topic, 0)], timeout=10)[0].offset
    assert (progress.read, committed) == (end, end) and progress.read == progress.applied + progress.failed
    assert progress.read >= changes, "Debezium may send events again after the kill, never fewer"
    assert failures.list_failures(captured.failure_db, flow="cdc public.everything") == []
    print(f"{progress.read} events for {changes} changes: {progress.read - changes} sent again after the kill")


def test_status_shows_the_connector_the_slot_and_the_last_lsn(captured: Capture, cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = cli("cdc", "status", "public.everything")
    lines = [line.split("\t") for line in out.splitlines()]
    lsn = captured.applier.progress.last_lsn
    assert (code, err, lines[0]) == (0, "", ["source", "table", "connector", "slot", "slot lag (bytes)", "last applied LSN"])
    assert lines[1][:4] == ["public.everything", captured.table, "RUNNING", "spotlight_public_everything (active)"]
    assert int(lines[1][4]) >= 0 and lines[1][5] == f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def test_remove_leaves_no_connector_slot_or_publication(env: dict[str, str], cli: Callable[..., tuple[int, str, str]]) -> None:
    source = psycopg.connect(env["CDC_SOURCE_DSN"], autocommit=True)
    source.execute("CREATE TABLE removable (id int PRIMARY KEY, name text)")
    table = f"removable_{uuid.uuid4().hex[:8]}"
    assert cli("cdc", "add", "public.removable", "--table", table)[0] == 0
    named = names(source.info.dbname, "public", "removable")
    connector = cdc.Connect(env["KAFKA_CONNECT_URL"])
    deadline = time.monotonic() + 60
    while source.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (named.slot,)).fetchone() != (True,):
        assert time.monotonic() < deadline, f"the connector never took its slot: {connector.status(named.connector)}"
        time.sleep(0.5)
    assert cli("cdc", "remove", "public.removable") == (
        0, "`public.removable`: removed connector, replication slot, publication\n", "")
    assert source.execute("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (named.slot,)).fetchone() == (0,)
    assert source.execute("SELECT count(*) FROM pg_publication WHERE pubname = %s", (named.publication,)).fetchone() == (0,)
    assert connector.status(named.connector) is None
    assert cli("cdc", "remove", "public.removable") == (0, "`public.removable`: removed nothing (none was there)\n", "")
    assert cli("query", f"DROP TABLE `{table}`")[0] == 0


def test_a_table_without_a_primary_key_is_one_line_naming_it_and_the_fix(
        env: dict[str, str], cli: Callable[..., tuple[int, str, str]]) -> None:
    with psycopg.connect(env["CDC_SOURCE_DSN"], autocommit=True) as conn:
        conn.execute("CREATE TABLE keyless (a int, b text)")
    assert cli("cdc", "add", "public.keyless") == (1, "", (
        "Error: table `public.keyless` has no primary key: ClickHouse keeps one row per key, so add one (`ALTER TABLE "
        "public.keyless ADD PRIMARY KEY (…)`); a table without one, even with REPLICA IDENTITY FULL, cannot be captured\n"))


def test_a_type_without_a_clickhouse_mapping_names_the_column_and_the_fix(
        env: dict[str, str], cli: Callable[..., tuple[int, str, str]]) -> None:
    with psycopg.connect(env["CDC_SOURCE_DSN"], autocommit=True) as conn:
        conn.execute("CREATE TABLE places (id int PRIMARY KEY, location point)")
    assert cli("cdc", "add", "public.places") == (1, "", (
        "Error: column `public.places.location` is `point`, which has no ClickHouse mapping: change its type in "
        "PostgreSQL to one `docs/cdc.md` lists (e.g. text or jsonb), or leave the column out with "
        "`--exclude-column location`\n"))


def test_a_connector_that_cannot_reach_postgresql_is_one_line_and_nothing_is_created(
        env: dict[str, str], cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    with psycopg.connect(env["CDC_SOURCE_DSN"], autocommit=True) as conn:
        conn.execute("CREATE TABLE unreachable (id int PRIMARY KEY)")
        database = conn.info.dbname
    monkeypatch.setenv("CDC_CONNECT_SOURCE_ADDRESS", "127.0.0.1:9")
    code, out, err = cli("cdc", "add", "public.unreachable", "--table", "unreachable_never")
    connector = f"spotlight-cdc.{database}.public.unreachable"
    assert (code, out, err.count("\n")) == (1, "", 1)
    assert err.startswith(f"Error: connector `{connector}` cannot be set up: `database.hostname`: "), err
    assert err.endswith("; check `CDC_CONNECT_SOURCE_ADDRESS` (or `CDC_SOURCE_DSN`): Kafka Connect's workers must "
                        "reach PostgreSQL at `127.0.0.1:9` and log in\n"), err
    assert cdc.Connect(env["KAFKA_CONNECT_URL"]).status(connector) is None
    db = connect(env["CLICKHOUSE_URL"])
    try:
        assert db.columns("unreachable_never") is None
    finally:
        db.close()


def test_a_change_that_cannot_be_followed_stops_only_that_table_with_the_event_in_the_failure_db(
        env: dict[str, str], cli: Callable[..., tuple[int, str, str]]) -> None:
    """`label` text → integer: stored labels would disagree with the source, so the event that carries it
    goes to the failure DB, `apply` stops at it (uncommitted), and another table's `apply` goes on."""
    source = psycopg.connect(env["CDC_SOURCE_DSN"], autocommit=True)
    tables = {}
    for name in ("retyped", "bystander"):
        source.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, label text)")
        source.execute(f"INSERT INTO {name} SELECT i, i::text FROM generate_series(1, 50) AS i")
        tables[name] = f"{name}_{uuid.uuid4().hex[:8]}"
        assert cli("cdc", "add", f"public.{name}", "--table", tables[name])[0] == 0
    try:
        for name in tables:
            assert cli("cdc", "apply", f"public.{name}", "--until-idle", "3")[:2] == (
                0, f"`{tables[name]}`: read 50 change events, applied 50, failed 0\n")
        source.execute("ALTER TABLE retyped ALTER COLUMN label TYPE integer USING label::integer")
        source.execute("UPDATE retyped SET label = label + 1000 WHERE id = 7")
        source.execute("UPDATE bystander SET label = 'still here' WHERE id = 7")
        code, out, err = cli("cdc", "apply", "public.retyped", "--until-idle", "3")
        assert (code, out) == (1, "")
        assert err.startswith(f"Error: table `{tables['retyped']}` stopped at ") and (
            "column `public.retyped.label` changed type: String → Int32 is not a safe widening") in err
        stored = failures.list_failures(env["FAILURE_DB_DSN"], flow="cdc public.retyped")
        assert len(stored) == 1 and "changed type" in stored[0].reason
        assert cli("cdc", "apply", "public.bystander", "--until-idle", "3")[:2] == (
            0, f"`{tables['bystander']}`: read 1 change events, applied 1, failed 0\n")
        assert cli("query", f"SELECT label FROM `{tables['bystander']}` FINAL WHERE id = 7")[1] == "still here\n"
    finally:
        for name, table in tables.items():
            cli("cdc", "remove", f"public.{name}")
            cli("query", f"DROP TABLE IF EXISTS `{table}`")
        source.close()
