"""Envelopes and failure-DB records: every record that did not load becomes exactly one row."""

from __future__ import annotations

import base64

import orjson
import pytest

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.ingest import envelope
from spotlight_nifi.ingest.batch import Source, cast_batch, read_batch
from spotlight_nifi.ingest.failure_record import PARSE_FAILURE, UNKNOWN_FAILURE, encode, failure_record, failure_records
from spotlight_nifi.infer.types import Column, parse_type

CASTER = compile_caster([Column("id", parse_type("UInt8"), ("id",))])
WRAPPED = b"\n".join(orjson.dumps({"key": "k", "value": value, "headers": {},
                                   "metadata": {"topic": "t", "partition": 0, "offset": offset, "timestamp": 0}})
                     for offset, value in enumerate([{"id": 1}, {"id": 300}, {"id": 2}]))
WRAPPED += b'\n{"id": \xff}'


def cast_output() -> tuple[bytes, dict[str, str]]:
    batch = cast_batch(read_batch(WRAPPED), CASTER)
    return envelope.encode(batch), envelope.counts(batch)


def test_envelopes_round_trip_and_keep_every_record() -> None:
    content, attributes = cast_output()
    lines = envelope.decode(content)
    assert attributes[envelope.READ] == "4" and attributes[envelope.GOOD] == "2" and attributes[envelope.FAILED] == "2"
    assert [line["value"] for line in envelope.fitting(content)] == [{"id": 1}, {"id": 2}]
    assert [(e.source.offset, e.reason, e.payload) for e in lines if not e.fits] == [
        (1, "field `id` 300 is outside UInt8 [0, 255] (column `id` UInt8)", b'{"id":300}'),
        (None, "not valid UTF-8 (byte 7)", b'{"id": \xff}')]


def test_cast_success_copy_yields_one_row_per_misfit() -> None:
    content, attributes = cast_output()
    rows = failure_records(content, attributes, flow="orders")
    assert [(r["offset"], r["processor"], r["payload_text"], base64.b64decode(r["payload"])) for r in rows] == [
        (1, "CastToClickHouse", '{"id":300}', b'{"id":300}'),
        (None, "CastToClickHouse", None, b'{"id": \xff}')]
    assert rows[0] == {"topic": "t", "partition": 0, "offset": 1, "key": base64.b64encode(b"k").decode(),
                       "payload": base64.b64encode(b'{"id":300}').decode(), "payload_text": '{"id":300}',
                       "flow": "orders", "processor": "CastToClickHouse",
                       "reason": "field `id` 300 is outside UInt8 [0, 255] (column `id` UInt8)"}


def test_cast_success_copy_without_misfits_yields_nothing() -> None:
    batch = cast_batch(read_batch(b'{"id": 1}'), CASTER)
    assert failure_records(envelope.encode(batch), envelope.counts(batch), flow="f") == []


def test_insert_failure_yields_one_row_per_line_that_fit() -> None:
    content, attributes = cast_output()
    attributes |= {envelope.FAILURE_REASON: "ClickHouse is down", envelope.FAILURE_PROCESSOR: "InsertClickHouse"}
    rows = failure_records(content, attributes, flow="f")
    assert [(r["offset"], r["processor"], r["reason"], r["payload_text"]) for r in rows] == [
        (0, "InsertClickHouse", "ClickHouse is down", '{"id":1}'),
        (2, "InsertClickHouse", "ClickHouse is down", '{"id":2}')]


def test_whole_flowfile_failure_yields_one_row_per_record_read() -> None:
    attributes = {envelope.FAILURE_REASON: "table `x` does not exist", envelope.FAILURE_PROCESSOR: "CastToClickHouse"}
    rows = failure_records(WRAPPED, attributes, flow="f")
    assert [(r["offset"], r["reason"]) for r in rows] == [
        (0, "table `x` does not exist"), (1, "table `x` does not exist"), (2, "table `x` does not exist"),
        (None, "not valid UTF-8 (byte 7)")]


@pytest.mark.parametrize(("content", "attributes", "expected"), [
    (b"\x00\xffnot json", {"kafka.topic": "t", "kafka.partition": "3", "kafka.offset": "99"},
     ("t", 3, 99, "ConsumeKafka", PARSE_FAILURE, None)),
    (b"", {"kafka.topic": "t", "kafka.partition": "3", "kafka.offset": "100"},
     ("t", 3, 100, "ConsumeKafka", PARSE_FAILURE, "")),
    (b"x", {}, (None, None, None, "unknown", UNKNOWN_FAILURE, "x")),
])
def test_anything_else_is_one_raw_message(content: bytes, attributes: dict[str, str], expected: tuple) -> None:
    [row] = failure_records(content, attributes, flow="f")
    assert (row["topic"], row["partition"], row["offset"], row["processor"], row["reason"], row["payload_text"]) == expected
    assert base64.b64decode(row["payload"]) == content


def test_a_parse_failure_keeps_its_kafka_key() -> None:
    """ConsumeKafka puts the key on a `parse failure` FlowFile; replay needs it to reach the same partition."""
    [row] = failure_records(b"{oops", {"kafka.topic": "t", "kafka.partition": "3", "kafka.offset": "7",
                                       "kafka.key": "order-ü"}, flow="f")
    assert base64.b64decode(row["key"]) == "order-ü".encode()


def test_rows_are_json_lines() -> None:
    row = failure_record(b"p", Source("t", 0, 1), flow="f", processor="p", reason="r")
    assert [orjson.loads(line) for line in encode([row, row]).splitlines()] == [row, row]
