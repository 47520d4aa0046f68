"""Read a FlowFile's records and cast them: every record read either fits the table or fails.

Input is JSON Lines (one record per non-blank line), or one JSON array of records. A record that
is a ConsumeKafka wrapper (`{"key", "value", "headers", "metadata": {"topic", "partition",
"offset", "timestamp"}}`, NiFi's `ConsumeWrapperRecord` with Output Strategy USE_WRAPPER) is
unwrapped: its `value` is the record, its metadata says where it came from.

Lenient parsing repairs only what cannot change a value: a UTF-8 byte-order mark, trailing NUL
padding, and trailing commas before `}` or `]` outside strings. A repaired record carries the
repairs in `Item.repairs`; anything else unparseable (invalid UTF-8 included) is a failure with its
raw bytes kept exactly. Parsing goes through `infer.reader.parse_json`, which keeps integers beyond
64 bits exact.

The invariant the processors rely on: `len(good) + len(failed) == len(items)`, one entry per
record read (each list in input order).
"""

from __future__ import annotations

import base64
import gc
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import orjson

from spotlight_nifi.cast import Caster, SourcedCaster, json_bytes
from spotlight_nifi.errors import RecordCastError
from spotlight_nifi.infer.reader import parse_json

_DIGIT_RUN = b"0" * 19
"""A run of 19+ digits is where `parse_json` is needed (orjson turns integers beyond 64 bits into
floats); found in one scan of the FlowFile, so that every other record is parsed by orjson alone."""
_DIGITS_TO_ZERO = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
"""Every ASCII digit as `0`, anything else as a space: `bytes.find` of `_DIGIT_RUN` in that text
scans a FlowFile ten times faster than a regular expression over it."""
WRAPPER_FIELDS = frozenset({"key", "value", "headers", "metadata"})
_BOM = b"\xef\xbb\xbf"


HTTP_BATCH = "Spotlight-Batch"
"""The HTTP header (and so, through ListenHTTP, the FlowFile attribute) naming a POSTed batch: a
producer that re-sends a batch it got no answer for sends the same value."""
HTTP_TOPIC_PREFIX = "http:"


class Source(NamedTuple):
    """Where a record came from in Kafka; fields are None when unknown."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    timestamp: Any = None
    key: bytes | None = None

    def as_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset, "timestamp": self.timestamp,
                "key": None if self.key is None else base64.b64encode(self.key).decode()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Source:
        if not data:
            return cls()
        key = data.get("key")
        return cls(data.get("topic"), data.get("partition"), data.get("offset"), data.get("timestamp"),
                   None if key is None else base64.b64decode(key))

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, str], single: bool) -> Source:
        """Topic and partition from ConsumeKafka's attributes; the offset and key only for a one-record
        FlowFile (`kafka.key` as Key Attribute Encoding's default, UTF-8, writes it). A batch POSTed
        over HTTP with a `Spotlight-Batch` header is "topic" `http:<batch>`, partition 0, and each
        record's offset is its position in the batch (see `at`)."""
        batch = attributes.get(HTTP_BATCH)
        if batch and "kafka.topic" not in attributes:
            return cls(f"{HTTP_TOPIC_PREFIX}{batch}", 0)
        key = attributes.get("kafka.key") if single else None
        return cls(attributes.get("kafka.topic"), _int(attributes.get("kafka.partition")),
                   _int(attributes.get("kafka.offset")) if single else None,
                   key=None if key is None else key.encode())

    @property
    def located(self) -> bool:
        """Whether topic, partition and offset are all known: what Kafka coordinate columns need."""
        return self.topic is not None and self.partition is not None and self.offset is not None

    def at(self, index: int) -> Source:
        """The source of the record at `index` of its FlowFile: an HTTP batch numbers its records, so a
        re-sent batch names each record as before (the failure DB counts an attempt, not a new row)."""
        if self.offset is None and self.topic is not None and self.topic.startswith(HTTP_TOPIC_PREFIX):
            return self._replace(offset=index)
        return self


@dataclass(slots=True)
class Item:
    """One record read: the parsed record (when it parsed), its raw bytes, and why it failed.

    `raw` is None for an unwrapped Kafka value: its bytes are the value's JSON text, written only
    when needed (`payload`), since most records never fail.
    """

    raw: bytes | None
    source: Source
    record: Any = None
    parsed: bool = False
    reason: str | None = None
    repairs: tuple[str, ...] = ()

    def payload(self) -> bytes:
        return json_bytes(self.record) if self.raw is None else self.raw


@dataclass
class CastBatch:
    """The items that fit the table, and the items that did not, each with its reason.

    The rows themselves are not kept: the envelope carries each record's value, and InsertClickHouse
    casts again against the table as it is at insert time.
    """

    good: list[Item] = field(default_factory=list)
    failed: list[Item] = field(default_factory=list)


@contextmanager
def gc_paused() -> Iterator[None]:
    """CPython's cycle collector paused while a FlowFile's records are in memory.

    A batch keeps about ten containers per record alive until its envelope is written, and the
    collector rescans all live containers again and again as they pile up: half of the read time
    of 100k records. Parsed JSON holds no reference cycles, so nothing waits for the collector:
    reference counting frees the records when the FlowFile is done. The collector is per process;
    with concurrent tasks the first to finish resumes it, which only costs the others speed.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _key_bytes(key: Any) -> bytes | None:
    """A wrapper's key as bytes: text as UTF-8, a byte array (Java's signed bytes) as is, else its JSON."""
    if key is None:
        return None
    if type(key) is str:
        return key.encode()
    if type(key) is list and all(type(b) is int and -128 <= b <= 255 for b in key):
        return bytes(b & 0xFF for b in key)
    return json_bytes(key)


def is_wrapper(value: Any) -> bool:
    """True for a ConsumeKafka USE_WRAPPER record."""
    return (type(value) is dict and "value" in value and type(value.get("metadata")) is dict
            and value.keys() <= WRAPPER_FIELDS)


def unwrap(wrapper: dict[str, Any], repairs: tuple[str, ...] = ()) -> Item:
    metadata = wrapper["metadata"]
    source = Source(metadata.get("topic"), metadata.get("partition"), metadata.get("offset"),
                    metadata.get("timestamp"), _key_bytes(wrapper.get("key")))
    value = wrapper["value"]
    if value is None:
        return Item(b"", source, reason="empty Kafka message (no value)", repairs=repairs)
    return Item(None, source, value, True, repairs=repairs)


def _next_significant(data: bytes, start: int) -> int:
    """The byte at or after `start` that is not JSON whitespace (-1 at the end)."""
    for index in range(start, len(data)):
        if data[index] not in b" \t\r\n":
            return data[index]
    return -1


def repair(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """`data` without a BOM, trailing NUL padding and trailing commas; and what was repaired."""
    notes: list[str] = []
    if data.startswith(_BOM):
        data = data[len(_BOM):]
        notes.append("removed a UTF-8 byte-order mark")
    stripped = data.rstrip(b"\x00")
    if len(stripped) != len(data):
        data = stripped
        notes.append("removed trailing NUL bytes")
    out = bytearray()
    in_string = escaped = False
    removed = 0
    for index, byte in enumerate(data):
        if in_string:
            in_string = escaped or byte != 0x22
            escaped = not escaped and byte == 0x5C
        elif byte == 0x22:
            in_string = True
        elif byte == 0x2C and _next_significant(data, index + 1) in (0x7D, 0x5D):
            removed += 1
            continue
        out.append(byte)
    if removed:
        notes.append(f"removed {removed} trailing comma(s)")
    return bytes(out), tuple(notes)


def _why_invalid(data: bytes, error: str) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid UTF-8 (byte {bad.start})"
    return f"invalid JSON ({error})"


def _loads(data: bytes, exact: bool) -> Any:
    """orjson alone unless long integers may occur; `parse_json` words the errors."""
    if not exact:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return parse_json(data)


def _parse(data: bytes, lenient: bool, exact: bool) -> tuple[Any, tuple[str, ...], str | None]:
    """(value, repairs, None) or (None, (), reason); `exact` when long integers may occur."""
    try:
        return _loads(data, exact), (), None
    except ValueError as error:
        reason = _why_invalid(data, str(error))
    if lenient:
        fixed, notes = repair(data)
        if notes:
            try:
                return parse_json(fixed), notes, None
            except ValueError:
                pass
    return None, (), reason


def _item(value: Any, raw: bytes | None, repairs: tuple[str, ...], default: Source) -> Item:
    if is_wrapper(value):
        return unwrap(value, repairs)
    return Item(raw, default, value, True, repairs=repairs)


def _long_integers(data: bytes) -> list[int]:
    """Where runs of 19+ ASCII digits start (some of them, at least one per run)."""
    digits = data.translate(_DIGITS_TO_ZERO)
    hits, at = [], digits.find(_DIGIT_RUN)
    while at != -1:
        hits.append(at)
        at = digits.find(_DIGIT_RUN, at + len(_DIGIT_RUN))
    return hits


def _lines(data: bytes) -> list[tuple[bytes, bool]]:
    """The non-blank lines, each with whether it holds a run of 19+ digits (found in one scan)."""
    hits = _long_integers(data)
    found, start = [], 0
    for line in data.split(b"\n"):
        end = start + len(line)
        if line.strip(b" \t\r"):
            first = bisect_left(hits, start)
            found.append((line, first < len(hits) and hits[first] < end))
        start = end + 1
    return found


def json_lines(data: bytes) -> list[Any]:
    """The value of every non-blank line, exact for long integers; ValueError at the first invalid one."""
    return [_loads(line, exact) for line, exact in _lines(data)]


def read_batch(data: bytes, *, lenient: bool = True, attributes: Mapping[str, str] | None = None) -> list[Item]:
    """One Item per record in `data` (JSON Lines or a JSON array), in order."""
    attributes = attributes or {}
    if data.lstrip(b" \t\r\n" + _BOM)[:1] == b"[":
        value, repairs, reason = _parse(data, lenient, data.translate(_DIGITS_TO_ZERO).find(_DIGIT_RUN) != -1)
        if reason is not None or type(value) is not list:
            return [Item(data, Source.from_attributes(attributes, True), reason=reason or "not a JSON array")]
        source = Source.from_attributes(attributes, len(value) == 1)
        return [_item(v, None, repairs, source.at(i)) for i, v in enumerate(value)]
    lines = _lines(data)
    batch_source = Source.from_attributes(attributes, len(lines) == 1)
    items = []
    for index, (line, exact) in enumerate(lines):
        source = batch_source.at(index)
        if not exact:
            try:
                items.append(_item(orjson.loads(line), line, (), source))
                continue
            except orjson.JSONDecodeError:
                pass
        value, repairs, reason = _parse(line, lenient, True)
        items.append(Item(line, source, reason=reason) if reason is not None else _item(value, line, repairs, source))
    return items


def cast_batch(items: Sequence[Item], caster: Caster) -> CastBatch:
    """Cast every parsed item; each item ends up in exactly one of `good` or `failed`. Only a table with
    Kafka coordinate columns reads the items' sources."""
    batch = CastBatch()
    sourced = caster if isinstance(caster, SourcedCaster) else None
    for item in items:
        if not item.parsed:
            batch.failed.append(item)
            continue
        try:
            if sourced is None:
                caster.cast(item.record)
            else:
                sourced.cast_from(item.record, item.source)
        except RecordCastError as error:
            batch.failed.append(replace(item, reason=error.reason))
            continue
        batch.good.append(item)
    return batch


def sample(items: Sequence[Item], size: int) -> list[Item]:
    """Up to `size` items holding parsed object records, to infer or evolve a table from."""
    return list(islice((item for item in items if item.parsed and type(item.record) is dict), size))
