"""CastToClickHouse and InsertClickHouse on the embedded engine: which tables keep Kafka coordinates,
and how each record is cast once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from spotlight_nifi.cast import json_bytes
from spotlight_nifi.clickhouse import ClickHouse, connect, embedded
from spotlight_nifi.ingest import envelope, steps
from spotlight_nifi.ingest.batch import HTTP_BATCH
from spotlight_nifi.ingest.steps import cast_flowfile, insert_flowfile

RECORDS = b'{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n'


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ClickHouse]:
    clickhouse = connect(f"chdb://{tmp_path / 'ch'}")
    yield clickhouse
    clickhouse.close()


def load(db: ClickHouse, content: bytes, attributes: dict[str, str], table: str) -> tuple[str, str]:
    """Cast (creating the table) then insert; each step's relationship."""
    cast = cast_flowfile(db, content, attributes, table=table, mode="create")
    inserted = insert_flowfile(db, cast.contents or b"", {**attributes, **cast.attributes}, table=table)
    return cast.relationship, inserted.relationship


def test_a_table_created_from_an_http_batch_keeps_each_records_batch_and_line(db: ClickHouse) -> None:
    assert load(db, RECORDS, {HTTP_BATCH: "b-7", "uuid": "u-1"}, "posted") == ("success", "success")
    assert db.query("SELECT id, name, _kafka_topic, _kafka_partition, _kafka_offset FROM posted ORDER BY id") == [
        (1, "a", "http:b-7", 0, 0), (2, "b", "http:b-7", 0, 1)]


def test_a_table_created_from_records_of_unknown_origin_has_no_coordinates(db: ClickHouse) -> None:
    assert load(db, RECORDS, {"uuid": "u-1"}, "plain") == ("success", "success")
    assert [name for name, _, _ in db.columns("plain") or []] == ["id", "name"]


def test_insert_fills_the_coordinates_from_the_envelope_and_refuses_a_table_changed_to_need_them(db: ClickHouse) -> None:
    cast = cast_flowfile(db, RECORDS, {"uuid": "u-1"}, table="later", mode="create")
    db.command("ALTER TABLE later ADD COLUMN _kafka_offset UInt64")
    inserted = insert_flowfile(db, cast.contents or b"", cast.attributes, table="later")
    assert inserted.relationship == "failure"
    assert inserted.attributes[envelope.FAILURE_REASON].startswith(
        "table `later` changed since the cast: the record's Kafka offset is unknown, and column `_kafka_offset` needs it")
    wrapped = b"\n".join(orjson.dumps({"key": None, "value": {"id": n, "name": "k"}, "headers": {},
                                       "metadata": {"topic": "t", "partition": 3, "offset": 40 + n}}) for n in (1, 2))
    assert load(db, wrapped, {"uuid": "u-2"}, "later") == ("success", "success")
    assert db.query("SELECT id, _kafka_offset FROM later ORDER BY id") == [(1, 41), (2, 42)]


EVENTS = b"\n".join(json_bytes(record) for record in [
    {"id": 1, "at": "2024-02-29T23:59:59.123Z", "at6": "2024-02-29T23:59:59.123456Z", "ip": "10.0.0.1",
     "uuid": "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d",
     "f": 3, "big": 2**70, "day": "2024-02-29", "price": 1.25, "v6": "2001:db8::1", "tags": ["a"], "n": None,
     "user": {"name": "ü\"x", "ok": True}},
    {"id": 2, "at": "2000-02-29T00:00:00+00:00", "ip": "255.255.255.255",
     "uuid": "00000000-0000-4000-8000-000000000000",
     "f": 0.1, "big": -(2**80), "day": "1970-01-01", "price": 7, "v6": "::1", "tags": [], "n": 5,
     "user": {"name": "", "ok": False}},
    {"id": 3, "at": "2024-01-01 00:00:00", "at6": "1999-12-31 23:59:59.5", "ip": "10.0.0.2",
     "uuid": "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d",
     "f": 2**53, "big": 0, "day": "2149-06-06", "price": 0.5, "v6": "::", "tags": ["b", "c"], "n": -1,
     "user": {"name": "z", "ok": True}},
])


def test_insert_sends_the_rows_as_cast_without_casting_again(db: ClickHouse, monkeypatch: pytest.MonkeyPatch) -> None:
    cast = cast_flowfile(db, EVENTS, {"uuid": "u-1"}, table="once", mode="create")
    monkeypatch.setattr(steps, "compile_caster", lambda columns: pytest.fail("InsertClickHouse cast again"))
    inserted = insert_flowfile(db, cast.contents or b"", {**cast.attributes, "uuid": "u-1"}, table="once")
    assert (inserted.relationship, inserted.attributes[envelope.INSERTED]) == ("success", "3")


def test_rows_as_cast_and_rows_cast_again_store_the_same_values(db: ClickHouse) -> None:
    cast = cast_flowfile(db, EVENTS, {"uuid": "u-1"}, table="as_cast", mode="create")
    db.command("CREATE TABLE cast_again AS as_cast")
    assert insert_flowfile(db, cast.contents or b"", cast.attributes, table="as_cast").relationship == "success"
    without_columns = {k: v for k, v in cast.attributes.items() if k != envelope.COLUMNS}
    assert insert_flowfile(db, cast.contents or b"", without_columns, table="cast_again").relationship == "success"
    assert db.query("SELECT * FROM as_cast ORDER BY id") == db.query("SELECT * FROM cast_again ORDER BY id")
    assert len(db.query("SELECT * FROM as_cast")) == 3


def test_a_table_changed_since_the_cast_gets_the_lines_cast_again(db: ClickHouse,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cast = cast_flowfile(db, EVENTS, {"uuid": "u-1"}, table="widened", mode="create")
    db.command("ALTER TABLE widened MODIFY COLUMN id UInt64")
    monkeypatch.setattr(envelope, "row_batches", lambda *_: pytest.fail("rows cast for other columns were sent"))
    assert insert_flowfile(db, cast.contents or b"", cast.attributes, table="widened").relationship == "success"
    assert db.query("SELECT id FROM widened ORDER BY id") == [(1,), (2,), (3,)]


def test_rows_as_cast_go_in_the_backends_own_chunks(db: ClickHouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "_BATCH", 2)
    cast = cast_flowfile(db, EVENTS, {"uuid": "u-1"}, table="chunked", mode="create")
    assert insert_flowfile(db, cast.contents or b"", cast.attributes, table="chunked").relationship == "success"
    assert db.query("SELECT id FROM chunked ORDER BY id") == [(1,), (2,), (3,)]


def test_a_table_created_on_a_cluster_is_replicated_behind_a_distributed_one(db: ClickHouse) -> None:
    """The embedded engine has no cluster, so the ON CLUSTER statement it refuses shows where the table went."""
    cast = cast_flowfile(db, RECORDS, {"uuid": "u-1"}, table="spread", mode="create", cluster="spotlight")
    assert cast.relationship == "failure"
    assert "`spread_local` ON CLUSTER `spotlight`" in cast.attributes["spotlight.failure.reason"]
