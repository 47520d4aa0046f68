"""The FlowFile that CastToClickHouse sends on `success`: one JSON line per record read.

NiFi's FlowFileTransform emits one FlowFile per invocation, and a FlowFile routed to `failure`
keeps its original content, so the records that fit and the records that do not travel together:
a line with `value` is a record that fits the table (InsertClickHouse inserts it), a line with
`reason` is one that does not (AnnotateFailure turns it into a failure-DB row, its `payload` being
the record's exact raw bytes, base64). Both carry `source` (Kafka topic, partition, offset,
timestamp, key) and any lenient-parsing `repairs`.

A line that fits also carries its `row`: the values cast for the table, as ClickHouse reads them
back (`cast.render_row`), so InsertClickHouse sends them as they are instead of casting again, as
long as the table still has the columns they were cast for (`COLUMNS`, see `columns_id`).

The FlowFile attributes below tell the downstream processors what they hold.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from spotlight_nifi.cast import json_bytes, render_row
from spotlight_nifi.infer.types import Column
from spotlight_nifi.ingest.batch import CastBatch, Item, Source, json_lines, non_blank_lines

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
COLUMNS = "spotlight.columns"
"""The `columns_id` of the columns the rows were cast for."""
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


def _with_row(line: bytes, row: bytes) -> bytes:
    return line[:-1] + b',"row":' + row + b"}"


def columns_id(columns: Sequence[Column]) -> str:
    """Names the columns (names, types, paths) rows were cast for: equal ids, equal casts."""
    return hashlib.sha256(repr(tuple(columns)).encode()).hexdigest()[:32]


PENDING = 1024
"""Lines that fit, joined into the buffer this many at a time."""


class Writer:
    """The envelope FlowFile, written record by record into one buffer: what a batch leaves behind is
    its output, never its parsed records. Misfits wait in a buffer of their own to follow the records
    that fit (one buffer each: no line outlives its batch, so batches reuse the same memory)."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._pending: list[bytes] = []
        self._misfits = bytearray()
        self.good = self.failed = 0

    def fits(self, line: bytes) -> None:
        """A line already written, with its row (`typed.TypedReader`)."""
        self._pending.append(line)
        if len(self._pending) == PENDING:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._out += b"\n".join(self._pending)
            self._out += b"\n"
            self.good += len(self._pending)
            self._pending.clear()

    def add(self, item: Item, row: Sequence[Any] | None) -> None:
        """An item and its row when it fits (`batch.cast_item`)."""
        if row is None:
            self._misfits += _line(item, False)
            self._misfits += b"\n"
            self.failed += 1
        else:
            self.fits(_with_row(_line(item, True), render_row(row)))

    def content(self) -> bytearray:
        """The FlowFile once every record is added: the lines that fit, then the misfits (the buffer
        itself, not a copy)."""
        self._flush()
        self._out += self._misfits
        return self._out

    def counts(self) -> dict[str, str]:
        return _counts(self.good + len(self._pending), self.failed)


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
    return _envelopes(_lines(data))


def misfits(data: bytes, failed: int) -> list[Envelope]:
    """The envelopes of the misfits of a FlowFile holding `failed` of them: its last lines, read
    without the lines that fit before them (all of them when those are not all misfits)."""
    end = len(data)
    while end and data[end - 1] == 0x0A:
        end -= 1
    start = end
    for _ in range(failed):
        start = data.rfind(b"\n", 0, start)
        if start == -1:
            break
    tail = [line for line in _envelopes(_lines(data[start + 1:end])) if not line.fits] if failed else []
    return tail if len(tail) == failed else [line for line in decode(data) if not line.fits]


def _envelopes(lines: list[dict[str, Any]]) -> list[Envelope]:
    envelopes = []
    for item in lines:
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
    return _counts(len(batch.good), len(batch.failed))


def _counts(good: int, failed: int) -> dict[str, str]:
    return {CONTENT: ENVELOPES, READ: str(good + failed), GOOD: str(good), FAILED: str(failed), "mime.type": MIME_TYPE}


def fitting(data: bytes) -> list[dict[str, Any]]:
    """The lines that fit, as parsed (`value`, `source`), without decoding payloads (InsertClickHouse's path)."""
    return [item for item in _lines(data) if "reason" not in item]


class _Rows(msgspec.Struct, gc=False):
    """What InsertClickHouse reads of a line: its row as raw JSON (empty when it has none), the rest
    skipped unparsed."""

    row: msgspec.Raw = msgspec.Raw()
    reason: Any = None


_ROWS = msgspec.json.Decoder(_Rows)


def row_batches(data: bytes, size: int) -> Iterator[tuple[bytearray, int]]:
    """The rows of the lines that fit, `size` at a time as one text (a line each) and how many, read
    as they are inserted: only a batch is held, never copied. ValueError for a line that is not an
    envelope line or fits without a row (an envelope CastToClickHouse did not write with `COLUMNS`)."""
    batch, count = bytearray(), 0
    for number, line in enumerate(non_blank_lines(data), start=1):
        try:
            parsed = _ROWS.decode(line)
        except msgspec.MsgspecError as error:
            raise ValueError(f"line {number} is not an envelope line ({error})") from None
        if parsed.reason is not None:
            continue
        if not parsed.row:
            raise ValueError(f"line {number} fits but carries no row")
        batch += parsed.row
        batch += b"\n"
        count += 1
        if count == size:
            yield batch, count
            batch, count = bytearray(), 0
    if count:
        yield batch, count
