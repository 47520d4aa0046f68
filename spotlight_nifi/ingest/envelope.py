"""The FlowFile that CastToClickHouse sends on `success`: one JSON line per record read.

NiFi's FlowFileTransform emits one FlowFile per invocation, and a FlowFile routed to `failure`
keeps its original content, so the records that fit and the records that do not travel together:
a line with `value` is a record that fits the table (InsertClickHouse inserts it), a line with
`reason` is one that does not (AnnotateFailure turns it into a failure-DB row, its `payload` being
the record's exact raw bytes, base64). Both carry `source` (Kafka topic, partition, offset,
timestamp, key) and any lenient-parsing `repairs`.

The FlowFile attributes below tell the downstream processors what they hold.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from spotlight_nifi.cast import json_bytes
from spotlight_nifi.ingest.batch import CastBatch, Item, Source, json_lines

CONTENT = "spotlight.content"
ENVELOPES = "cast-envelopes"
READ = "spotlight.records.read"
GOOD = "spotlight.records.good"
FAILED = "spotlight.records.failed"
INSERTED = "spotlight.records.inserted"
TABLE = "spotlight.table"
FAILURE_REASON = "spotlight.failure.reason"
FAILURE_PROCESSOR = "spotlight.failure.processor"
MIME_TYPE = "application/x-ndjson"
FLOWFILE_UUID = "uuid"
"""NiFi's own FlowFile id: a retried FlowFile keeps it, so it names the FlowFile's inserts."""


@dataclass(frozen=True)
class Envelope:
    """One line: a record that fits (`value`) or one that does not (`reason`, `payload`)."""

    source: Source
    value: Any = None
    reason: str | None = None
    payload: bytes = b""
    repairs: tuple[str, ...] = ()

    @property
    def fits(self) -> bool:
        return self.reason is None

    def raw(self) -> bytes:
        """The record's bytes: the exact payload of a misfit, the JSON text of a record that fits."""
        return json_bytes(self.value) if self.fits else self.payload


def _line(item: Item, fits: bool) -> bytes:
    line: dict[str, Any] = {"source": item.source.as_json()}
    if fits:
        line["value"] = item.record
    else:
        line["reason"] = item.reason
        line["payload"] = base64.b64encode(item.payload()).decode()
    if item.repairs:
        line["repairs"] = list(item.repairs)
    return json_bytes(line)


def encode(batch: CastBatch) -> bytes:
    """JSON Lines: the records that fit, then the misfits."""
    lines = [_line(item, True) for item in batch.good] + [_line(item, False) for item in batch.failed]
    return b"\n".join(lines) + b"\n" if lines else b""


def _lines(data: bytes) -> list[dict[str, Any]]:
    """The parsed lines of a CastToClickHouse `success` FlowFile; ValueError when it is not one."""
    lines = json_lines(data)
    for item in lines:
        if type(item) is not dict or "source" not in item:
            raise ValueError("not a CastToClickHouse envelope line")
    return lines


def decode(data: bytes) -> list[Envelope]:
    """The envelopes of a CastToClickHouse `success` FlowFile; ValueError when it is not one."""
    envelopes = []
    for item in _lines(data):
        source = Source.from_json(item["source"])
        repairs = tuple(item.get("repairs", ()))
        if "reason" in item:
            envelopes.append(Envelope(source, reason=item["reason"], payload=base64.b64decode(item["payload"]),
                                      repairs=repairs))
        else:
            envelopes.append(Envelope(source, value=item["value"], repairs=repairs))
    return envelopes


def counts(batch: CastBatch) -> dict[str, str]:
    """The attributes that describe an envelope FlowFile."""
    return {CONTENT: ENVELOPES, READ: str(len(batch.good) + len(batch.failed)), GOOD: str(len(batch.good)),
            FAILED: str(len(batch.failed)), "mime.type": MIME_TYPE}


def fitting(data: bytes) -> list[dict[str, Any]]:
    """The lines that fit, as parsed (`value`, `source`), without decoding payloads (InsertClickHouse's path)."""
    return [item for item in _lines(data) if "reason" not in item]
