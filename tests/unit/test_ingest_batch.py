"""Reading a FlowFile's records and casting them: no record is dropped or duplicated."""

from __future__ import annotations

import base64
import copy
import gc
from collections import Counter

import orjson
import pytest

from spotlight_nifi.cast import compile_caster, json_text
from spotlight_nifi.ingest.batch import HTTP_BATCH, Source, cast_batch, gc_paused, read_batch, repair
from spotlight_nifi.ingest.steps import batch_token
from spotlight_nifi.infer.types import Column, parse_type

CASTER = compile_caster([
    Column("id", parse_type("UInt64"), ("id",)),
    Column("user__name", parse_type("Nullable(String)"), ("user", "name")),
    Column("n", parse_type("Nullable(Int128)"), ("n",)),
])


def wrapper(value: object, offset: int, key: object = None) -> dict:
    return {"key": key, "value": value, "headers": {"h": "v"},
            "metadata": {"topic": "orders", "partition": 2, "offset": offset, "timestamp": 1700000000000}}


def lines(*records: object) -> bytes:
    return b"\n".join(r if isinstance(r, bytes) else json_text(r).encode() for r in records)


# (name, content, lenient, records read, good, reasons of the failed ones)
CASES = [
    ("json lines", lines({"id": 1}, {"id": 2, "user": {"name": "a"}}), True, 2, 2, []),
    ("blank lines are not records", b"\n\r\n" + lines({"id": 1}) + b"\n\n  \n", True, 1, 1, []),
    ("json array", orjson.dumps([{"id": 1}, {"id": 2}, {"id": -1}]), True, 3, 2,
     ["field `id` -1 is outside UInt64 [0, 18446744073709551615] (column `id` UInt64)"]),
    ("empty json array", b" [] ", True, 0, 0, []),
    ("empty flowfile", b"", True, 0, 0, []),
    ("wrapper records", lines(wrapper({"id": 1}, 10), wrapper({"id": "x"}, 11)), True, 2, 1,
     ["field `id` is a string, not an integer (column `id` UInt64)"]),
    ("wrapper array", orjson.dumps([wrapper({"id": 1}, 10), wrapper({"id": 2}, 11)]), True, 2, 2, []),
    ("empty kafka message", lines(wrapper(None, 12)), True, 1, 0, ["empty Kafka message (no value)"]),
    ("malformed json repaired", lines(b'{"id": 1,}', b'\xef\xbb\xbf{"id": 2}', b'{"id": 3}\x00\x00'), True, 3, 3, []),
    ("malformed json not repaired when strict", lines(b'{"id": 1,}'), False, 1, 0,
     ["invalid JSON (trailing comma is not allowed at column 9)"]),
    ("unrepairable json", lines(b"{'id': 1}", b'{"id": 1'), True, 2, 0,
     ["invalid JSON (unexpected character, expected a string key at column 2)",
      "invalid JSON (unexpected end of data at column 9)"]),
    ("truncated array", b'[{"id": 1}, {"id": 2', True, 1, 0, ["invalid JSON (unexpected end of data at column 21)"]),
    ("invalid utf-8", lines(b'{"id": 1, "user": {"name": "\xff"}}', {"id": 2}), True, 2, 1, ["not valid UTF-8 (byte 28)"]),
    ("huge numbers stay exact", lines({"id": 1, "n": 2**100}, {"id": 2**64}), True, 2, 1,
     ["field `id` 18446744073709551616 is outside UInt64 [0, 18446744073709551615] (column `id` UInt64)"]),
    ("huge numbers in a json array stay exact", b'[{"id": 1, "n": 1267650600228229401496703205376}, {"id": 18446744073709551616}]',
     True, 2, 1, ["field `id` 18446744073709551616 is outside UInt64 [0, 18446744073709551615] (column `id` UInt64)"]),
    ("not an object", lines(5, [1], "s", None), True, 4, 0,
     ["record is an integer, not an object", "record is an array, not an object", "record is a string, not an object",
      "record is null, not an object"]),
    ("hostile keys", lines({"id": 1, "__proto__": 1}, {"id": 2, "user.name": "x"}, {"id": 3, "": 0},
                          {"id": 4, "user": {"name\u0000": "x"}}), True, 4, 0,
     ["field `__proto__` has no column", "field `user.name` has no column", "field `` has no column",
      "field `user.name\u0000` has no column"]),
]


@pytest.mark.parametrize(("name", "content", "lenient", "read", "good", "reasons"), CASES, ids=[c[0] for c in CASES])
def test_every_record_read_is_good_or_failed_once(name: str, content: bytes, lenient: bool, read: int, good: int,
                                                  reasons: list[str]) -> None:
    items = read_batch(content, lenient=lenient)
    batch = cast_batch(items, CASTER)
    assert len(items) == read
    assert len(batch.good) == good
    assert len(batch.good) + len(batch.failed) == len(items)
    assert Counter((i.payload(), i.source) for i in batch.good + batch.failed) == Counter(
        (i.payload(), i.source) for i in items)
    assert [item.reason for item in batch.failed] == reasons


def test_failed_records_keep_their_exact_raw_bytes() -> None:
    raw = [b'{"id": -1}', b'{"id": 1', b'\xff\xfe{}']
    batch = cast_batch(read_batch(b"\n".join(raw)), CASTER)
    assert [item.payload() for item in batch.failed] == raw


def test_repaired_records_record_the_repair_and_keep_the_original_bytes() -> None:
    items = read_batch(b'\xef\xbb\xbf{"id": 1, "user": {"name": "a,}"},}\x00')
    assert [(item.record, item.repairs, item.raw) for item in items] == [(
        {"id": 1, "user": {"name": "a,}"}},
        ("removed a UTF-8 byte-order mark", "removed trailing NUL bytes", "removed 1 trailing comma(s)"),
        b'\xef\xbb\xbf{"id": 1, "user": {"name": "a,}"},}\x00')]


@pytest.mark.parametrize(("text", "fixed"), [
    (b'{"a": [1, 2, ], }', b'{"a": [1, 2 ] }'),
    (b'{"s": ",}", "t": "\\",]"}', b'{"s": ",}", "t": "\\",]"}'),
    (b'[1,\n]', b'[1\n]'),
])
def test_repair_removes_only_commas_outside_strings(text: bytes, fixed: bytes) -> None:
    assert repair(text)[0] == fixed


def test_wrapper_records_carry_where_they_came_from() -> None:
    items = read_batch(lines(wrapper({"id": 1}, 10, key="k1"), wrapper({"id": 2}, 11, key=[-1, 65])))
    assert [item.source for item in items] == [
        Source("orders", 2, 10, 1700000000000, b"k1"), Source("orders", 2, 11, 1700000000000, b"\xffA")]
    assert [item.payload() for item in items] == [b'{"id":1}', b'{"id":2}']


def test_plain_records_take_topic_and_partition_from_attributes_and_the_offset_only_when_alone() -> None:
    attributes = {"kafka.topic": "t", "kafka.partition": "0", "kafka.offset": "41"}
    assert read_batch(b'{"id": 1}', attributes=attributes)[0].source == Source("t", 0, 41)
    assert {item.source for item in read_batch(lines({"id": 1}, {"id": 2}), attributes=attributes)} == {Source("t", 0)}
    keyed = {**attributes, "kafka.key": "k1"}
    assert read_batch(b'{"id": 1}', attributes=keyed)[0].source == Source("t", 0, 41, key=b"k1")
    assert {item.source for item in read_batch(lines({"id": 1}, {"id": 2}), attributes=keyed)} == {Source("t", 0)}


def test_an_http_batch_numbers_its_records_under_its_batch_name() -> None:
    named = {HTTP_BATCH: "b-7"}
    assert [i.source for i in read_batch(lines({"id": 1}, {"id": 2}), attributes=named)] == [
        Source("http:b-7", 0, 0), Source("http:b-7", 0, 1)]
    assert [i.source for i in read_batch(b'[{"id": 1}, {"id": 2}]', attributes=named)] == [
        Source("http:b-7", 0, 0), Source("http:b-7", 0, 1)]
    assert read_batch(b'{"id": 1}\nnot json', attributes=named)[1].source == Source("http:b-7", 0, 1)
    assert read_batch(b'{"id": 1}', attributes={**named, "kafka.topic": "t"})[0].source == Source("t", None, None)


def test_insert_tokens_name_an_http_batch_by_its_producer_and_other_flowfiles_by_uuid() -> None:
    named = {HTTP_BATCH: "b-7", "uuid": "u-1"}
    assert batch_token(named, "events", 0, 10) == batch_token({**named, "uuid": "u-2"}, "events", 0, 10)
    assert batch_token({"uuid": "u-1"}, "events", 0, 10) != batch_token({"uuid": "u-2"}, "events", 0, 10)
    assert batch_token(named, "events", 0, 10) != batch_token(named, "events", 10, 20)
    assert batch_token({}, "events", 0, 10) is None


def test_source_round_trips_through_json() -> None:
    source = Source("t", 1, 2, 3, b"\x00key")
    assert Source.from_json(orjson.loads(orjson.dumps(source.as_json()))) == source
    assert source.as_json()["key"] == base64.b64encode(b"\x00key").decode()


def test_gc_paused_resumes_the_collector_only_if_it_paused_it() -> None:
    with pytest.raises(ValueError):
        with gc_paused():
            assert not gc.isenabled()
            raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


SOURCED = compile_caster([Column("id", parse_type("UInt64"), ("id",)),
                          Column("_kafka_topic", parse_type("LowCardinality(String)"), ("_kafka_topic",)),
                          Column("_kafka_partition", parse_type("UInt32"), ("_kafka_partition",)),
                          Column("_kafka_offset", parse_type("UInt64"), ("_kafka_offset",))])


@pytest.mark.parametrize(("content", "attributes", "good", "reasons"), [
    (lines(wrapper({"id": 1}, 10), wrapper({"id": 2, "_kafka_offset": 3}, 11)), {}, [10],
     ["field `_kafka_offset` is named like column `_kafka_offset`, kept for the record's Kafka offset: "
      "rename the field upstream"]),
    (lines({"id": 1}, {"id": 2}), {HTTP_BATCH: "b-7"}, [0, 1], []),
    (b'{"id": 1}', {"kafka.topic": "t", "kafka.partition": "0", "kafka.offset": "41"}, [41], []),
    (lines({"id": 1}, {"id": 2}), {"kafka.topic": "t", "kafka.partition": "0"}, [], [
        "the record's Kafka offset is unknown, and column `_kafka_offset` needs it: only records read from Kafka "
        "(ConsumeKafka's wrapper records, or one message per FlowFile) or POSTed in a batch with a `Spotlight-Batch` "
        "header carry their coordinates"] * 2),
], ids=["wrappers", "http batch", "one kafka message", "kafka records without wrappers"])
def test_a_coordinates_table_takes_each_records_own_coordinates(content: bytes, attributes: dict[str, str],
                                                                 good: list[int], reasons: list[str]) -> None:
    items = read_batch(content, attributes=attributes)
    records = copy.deepcopy([item.record for item in items])
    batch = cast_batch(items, SOURCED)
    assert [item.source.offset for item in batch.good] == good
    assert [item.reason for item in batch.failed] == reasons
    assert [item.record for item in items] == records, "the records' own fields are left as they are"


def test_a_source_is_located_when_topic_partition_and_offset_are_known() -> None:
    assert Source("t", 0, 0).located and Source("http:b", 0, 3).located
    assert not Source("t", 0).located and not Source(None, 0, 1).located and not Source().located
