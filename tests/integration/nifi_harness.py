"""What stands in for NiFi around our processors, shared by `test_pipeline_e2e.py` and `bench/pipeline.py`.

Only three things are stand-ins, each doing what NiFi's own component does with the flow of
`spotlight_nifi.flow.template`:
- `consume_session`: ConsumeKafka (Processing Strategy RECORD, JsonTreeReader, JsonRecordSetWriter
  one record per line, Output Strategy USE_WRAPPER, Key Format byte-array). Each message that
  parses as a JSON object becomes a wrapper record in its partition's FlowFile; any other message
  (invalid UTF-8, empty, malformed, not an object) becomes one FlowFile on `parse failure` with
  `kafka.topic`, `kafka.partition`, `kafka.offset` and `kafka.key` (UTF-8, the default encoding).
  Two simplifications: the wrapper carries the value's own bytes (NiFi's writer re-serialises it
  with the schema inferred for that message), and a partition's records share one FlowFile per
  poll (NiFi splits them further by inferred schema).
- `Pipeline.run`: NiFi moving FlowFiles along the template's connections, running the real
  processor classes over the real `nifiapi` (the stand-ins of `test_processors.py`).
- `put_database_record`: PutDatabaseRecord into `failure_inbox` (one column-wise INSERT per record,
  quoted column identifiers, one transaction per FlowFile).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import orjson
import psycopg
from confluent_kafka import Consumer, Message, TopicPartition
from psycopg import sql

from spotlight_nifi.flow.template import FAILURE_INBOX
from spotlight_nifi.processor_specs import ANNOTATE, CAST, INSERT
from tests.integration.test_processors import FlowFile, configured, processor_modules, run

RETRIES = 1 + 5
"""InsertClickHouse's first attempt and the template's `retry_count` on `failure` (no penalty wait here)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_json_object(value: bytes) -> bool:
    """What JsonTreeReader reads as one record: strict UTF-8 JSON whose top level is an object."""
    try:
        return type(orjson.loads(value)) is dict
    except orjson.JSONDecodeError:
        pass
    try:
        return type(json.loads(value.decode("utf-8"), parse_constant=_no_constant)) is dict
    except ValueError:
        return False


def coordinates(message: Message) -> tuple[str, int, int]:
    """A consumed or delivered message's topic, partition and offset."""
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    if topic is None or partition is None or offset is None:
        raise RuntimeError(f"Kafka message without coordinates: {message.error()}")
    return topic, partition, offset


def _signed_bytes(key: bytes | None) -> bytes:
    """A key as Key Format `byte-array` writes it: Java's signed bytes."""
    return b"null" if key is None else orjson.dumps([b - 256 if b > 127 else b for b in key])


def wrapper(message: Message) -> bytes:
    """One USE_WRAPPER record, one line; the value's line breaks can only be whitespace between tokens."""
    value = (message.value() or b"").replace(b"\n", b" ").replace(b"\r", b" ")
    topic, partition, offset = coordinates(message)
    metadata = orjson.dumps({"topic": topic, "partition": partition, "offset": offset,
                             "timestamp": message.timestamp()[1]})
    return (b'{"key":' + _signed_bytes(message.key()) + b',"value":' + value + b',"headers":{},"metadata":'
            + metadata + b"}")


def consume_session(messages: Sequence[Message]) -> tuple[list[FlowFile], list[FlowFile]]:
    """ConsumeKafka's output for one poll: (`success` FlowFiles, one per partition; `parse failure` FlowFiles)."""
    records: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    parse_failures = []
    for message in messages:
        if message.error() is not None:
            raise RuntimeError(f"Kafka error: {message.error()}")
        value, key = message.value() or b"", message.key()
        topic, partition, offset = coordinates(message)
        if is_json_object(value):
            records[(topic, partition)].append(wrapper(message))
        else:
            attributes = {"kafka.topic": topic, "kafka.partition": str(partition), "kafka.offset": str(offset),
                          "uuid": str(uuid.uuid4())}
            if key is not None:
                attributes["kafka.key"] = key.decode("utf-8", "replace")
            parse_failures.append(FlowFile(value, attributes))
    success = [FlowFile(b"\n".join(lines) + b"\n", {"kafka.topic": topic, "kafka.partition": str(partition),
                                                   "record.count": str(len(lines)), "uuid": str(uuid.uuid4())})
               for (topic, partition), lines in records.items()]
    return success, parse_failures


def put_database_record(conn: psycopg.Connection, content: bytes) -> int:
    """PutDatabaseRecord (JSON reader, INSERT, quoted column identifiers): the records of one FlowFile."""
    rows = [orjson.loads(line) for line in content.splitlines() if line]
    with conn.transaction():
        for row in rows:
            conn.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.SQL(FAILURE_INBOX), sql.SQL(", ").join(map(sql.Identifier, row)),
                sql.SQL(", ").join(sql.Placeholder() * len(row))), list(row.values()))
    return len(rows)


class Pipeline:
    """The template's connections between ConsumeKafka, our three processors and PutDatabaseRecord."""

    def __init__(self, modules: dict[str, ModuleType], clickhouse_url: str, table: str, *, flow: str,
                 store_failures: Callable[[bytes], object], sample_size: int = 1000, batch_size: int = 10000) -> None:
        settings = {"ClickHouse URL": clickhouse_url, "Table": table}
        self.cast = configured(modules[CAST.type], CAST, {**settings, "Schema Mode": "create",
                                                          "Sample Size": str(sample_size)})
        self.insert = configured(modules[INSERT.type], INSERT, {**settings, "Batch Size": str(batch_size)})
        self.annotate = configured(modules[ANNOTATE.type], ANNOTATE, {"Flow Name": flow})
        self.store_failures = store_failures
        self.inserted: list[FlowFile] = []

    def run(self, success: Sequence[FlowFile], parse_failures: Sequence[FlowFile]) -> None:
        """Every FlowFile of one ConsumeKafka session to its end: inserted, or stored as failure rows."""
        to_annotate = list(parse_failures)
        for flowfile in success:
            relationship, cast = run(self.cast, flowfile)
            to_annotate.append(cast)
            if relationship == "success":
                inserted, out = self.insert_with_retries(cast)
                if inserted == "success":
                    self.inserted.append(cast)
                else:
                    to_annotate.append(out)
        for flowfile in to_annotate:
            relationship, out = run(self.annotate, flowfile)
            if relationship != "success":
                raise RuntimeError(f"AnnotateFailure held a FlowFile: {out.attributes}")
            self.store_failures(out.content)

    def insert_with_retries(self, flowfile: FlowFile) -> tuple[str, FlowFile]:
        """InsertClickHouse as the template schedules it: `failure` is retried before it is routed."""
        for _ in range(RETRIES):
            relationship, out = run(self.insert, flowfile)
            if relationship == "success":
                break
        return relationship, out

    def stop(self) -> None:
        self.cast.onStopped(None)
        self.insert.onStopped(None)


def drain(consumer: Consumer, pipeline: Pipeline, total: int, *, poll: int = 2000, idle_polls: int = 30) -> int:
    """Consume `total` messages through `pipeline`, committing each poll's offsets once its outputs are stored."""
    seen = idle = 0
    while seen < total:
        messages = consumer.consume(num_messages=poll, timeout=1.0)
        if not messages:
            idle += 1
            if idle > idle_polls:
                raise TimeoutError(f"only {seen} of {total} messages arrived")
            continue
        idle = 0
        pipeline.run(*consume_session(messages))
        commit(consumer, messages)
        seen += len(messages)
    return seen


def commit(consumer: Consumer, messages: Sequence[Message]) -> None:
    """Commit, synchronously, the offset after the last of `messages` in each partition."""
    last = {(topic, partition): offset for topic, partition, offset in map(coordinates, messages)}
    consumer.commit(offsets=[TopicPartition(t, p, o + 1) for (t, p), o in last.items()], asynchronous=False)
