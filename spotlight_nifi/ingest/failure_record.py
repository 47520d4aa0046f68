"""Failure-DB records from whatever reaches AnnotateFailure, one per Kafka record that did not load.

What arrives, and how it is told apart (by attributes, never by guessing from content):
- a CastToClickHouse `success` copy (`spotlight.content` = envelopes, no failure reason): one
  record per misfit line, with the line's own reason;
- an InsertClickHouse `failure` (envelopes and `spotlight.failure.reason`): one record per line
  that fit the table but was not inserted (the misfits went through the line above already);
- a CastToClickHouse `failure` (its input, with `spotlight.failure.reason`): one record per record
  of the input, read leniently;
- anything else, e.g. ConsumeKafka `parse failure`: the content is one raw message, located by
  the `kafka.topic` / `kafka.partition` / `kafka.offset` attributes.

The record's fields follow the `failures` table: `payload` and `key` are base64 (the table stores
bytea), `payload_text` is the payload as text when it is valid UTF-8 (null otherwise).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from spotlight_nifi.ingest import envelope
from spotlight_nifi.ingest.batch import Source, read_batch

PARSE_FAILURE = "ConsumeKafka could not parse the message as JSON with its record reader"
UNKNOWN_FAILURE = "routed to failure without a reason"


def failure_record(raw: bytes, source: Source, *, flow: str, processor: str, reason: str) -> dict[str, Any]:
    """One row of the failure DB's `failures` table (without its review columns)."""
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {
        "topic": source.topic, "partition": source.partition, "offset": source.offset,
        "key": None if source.key is None else base64.b64encode(source.key).decode(),
        "payload": base64.b64encode(raw).decode(), "payload_text": text,
        "flow": flow, "processor": processor, "reason": reason,
    }


def failure_records(content: bytes, attributes: Mapping[str, str], *, flow: str) -> list[dict[str, Any]]:
    """Every failure-DB record that a FlowFile reaching AnnotateFailure stands for."""
    reason = attributes.get(envelope.FAILURE_REASON)
    processor = attributes.get(envelope.FAILURE_PROCESSOR, "")
    if attributes.get(envelope.CONTENT) == envelope.ENVELOPES:
        if reason is None:
            return [failure_record(e.payload, e.source, flow=flow, processor="CastToClickHouse", reason=e.reason or "")
                    for e in _misfits(content, attributes.get(envelope.FAILED))]
        return [failure_record(e.raw(), e.source, flow=flow, processor=processor, reason=reason)
                for e in envelope.decode(content) if e.fits]
    if reason is not None:
        return [failure_record(item.payload(), item.source, flow=flow, processor=processor, reason=item.reason or reason)
                for item in read_batch(content, lenient=True, attributes=attributes)]
    source = Source.from_attributes(attributes, True)
    kafka = source.topic is not None
    return [failure_record(content, source, flow=flow, processor="ConsumeKafka" if kafka else "unknown",
                           reason=PARSE_FAILURE if kafka else UNKNOWN_FAILURE)]


def _misfits(content: bytes, failed: str | None) -> list[envelope.Envelope]:
    """The misfit lines of a cast `success` copy: only its last lines when it says how many."""
    if failed is not None and failed.isdigit():
        return envelope.misfits(content, int(failed))
    return [e for e in envelope.decode(content) if not e.fits]


def encode(records: Iterable[dict[str, Any]]) -> bytes:
    """JSON Lines, as PutDatabaseRecord's JSON reader reads them."""
    return b"".join(orjson.dumps(record) + b"\n" for record in records)
