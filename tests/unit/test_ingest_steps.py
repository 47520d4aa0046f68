"""CastToClickHouse and InsertClickHouse on the embedded engine: which tables keep Kafka coordinates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from spotlight_nifi.clickhouse import ClickHouse, connect
from spotlight_nifi.ingest import envelope
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
