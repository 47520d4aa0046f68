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
import re
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import chain, islice
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
_BLANK = b" \t\r"
BLOCK = 1 << 20
"""How much of a FlowFile's JSON Lines is split into lines at a time."""
_ARRAY = re.compile(rb"[ \t\r\n\xef\xbb\xbf]*\[")
"""What `bytes.lstrip` of whitespace and BOM bytes, then `[`, finds."""


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

    The rows themselves are not kept, so `envelope.encode` of a batch writes none and InsertClickHouse
    casts its lines again; CastToClickHouse writes each row as it casts (`steps.cast_records`).
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


def key_bytes(key: Any) -> bytes | None:
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
                    metadata.get("timestamp"), key_bytes(wrapper.get("key")))
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


def is_array(data: bytes) -> bool:
    """Whether `data` is one JSON array of records (else JSON Lines), found without copying it."""
    return _ARRAY.match(data) is not None


def read_head(data: bytes, size: int, *, lenient: bool = True, attributes: Mapping[str, str] | None = None
              ) -> tuple[list[Item], Iterator[tuple[bytes, Source]]]:
    """The items of the first records, up to the `size`-th object record (to infer or evolve a table
    from), and the lines after them, not read yet. A JSON array is read whole: no lines are left."""
    attributes = attributes or {}
    if is_array(data):
        return read_batch(data, lenient=lenient, attributes=attributes), iter(())
    lines = sourced_lines(data, attributes)
    items: list[Item] = []
    objects = 0
    while objects < size:
        found = next(lines, None)
        if found is None:
            break
        item = read_line(found[0], found[1], lenient=lenient)
        items.append(item)
        objects += item.parsed and type(item.record) is dict
    return items, lines


def read_batch(data: bytes, *, lenient: bool = True, attributes: Mapping[str, str] | None = None) -> list[Item]:
    """One Item per record in `data` (JSON Lines or a JSON array), in order."""
    attributes = attributes or {}
    if is_array(data):
        value, repairs, reason = _parse(data, lenient, data.translate(_DIGITS_TO_ZERO).find(_DIGIT_RUN) != -1)
        if reason is not None or type(value) is not list:
            return [Item(data, Source.from_attributes(attributes, True), reason=reason or "not a JSON array")]
        source = Source.from_attributes(attributes, len(value) == 1)
        return [_item(v, None, repairs, source.at(i)) for i, v in enumerate(value)]
    lines = _lines(data)
    batch_source = Source.from_attributes(attributes, len(lines) == 1)
    return [read_line(line, batch_source.at(index), lenient=lenient, exact=exact)
            for index, (line, exact) in enumerate(lines)]


def read_line(line: bytes, source: Source, *, lenient: bool = True, exact: bool | None = None) -> Item:
    """The Item of one JSON Lines record; `exact` when it may hold integers beyond 64 bits (None: look)."""
    if exact is None:
        exact = line.translate(_DIGITS_TO_ZERO).find(_DIGIT_RUN) != -1
    if not exact:
        try:
            return _item(orjson.loads(line), line, (), source)
        except orjson.JSONDecodeError:
            pass
    value, repairs, reason = _parse(line, lenient, True)
    return Item(line, source, reason=reason) if reason is not None else _item(value, line, repairs, source)


def non_blank_lines(data: bytes) -> Iterator[bytes]:
    """The non-blank lines of JSON Lines, a block of `BLOCK` bytes split at a time: a FlowFile is
    never copied whole."""
    start, size = 0, len(data)
    while start < size:
        end = data.find(b"\n", start + BLOCK)
        end = size if end == -1 else end
        for line in data[start:end].split(b"\n"):
            if line and (line[0] not in _BLANK or line.strip(_BLANK)):
                yield line
        start = end + 1


def sourced_lines(data: bytes, attributes: Mapping[str, str]) -> Iterator[tuple[bytes, Source]]:
    """Each non-blank line with its source as `read_batch` gives it (a one-line FlowFile's from its attributes)."""
    lines = non_blank_lines(data)
    first, second = next(lines, None), next(lines, None)
    source = Source.from_attributes(attributes, first is not None and second is None)
    every = chain((line for line in (first, second) if line is not None), lines)
    if source.at(1) is source:  # records that take no position share the FlowFile's source
        yield from ((line, source) for line in every)
        return
    for index, line in enumerate(every):
        yield line, source.at(index)


def cast_batch(items: Sequence[Item], caster: Caster) -> CastBatch:
    """Cast every parsed item; each item ends up in exactly one of `good` or `failed`. Only a table with
    Kafka coordinate columns reads the items' sources."""
    batch = CastBatch()
    for item in items:
        cast, row = cast_item(item, caster)
        (batch.failed if row is None else batch.good).append(cast)
    return batch


def cast_item(item: Item, caster: Caster) -> tuple[Item, tuple[Any, ...] | None]:
    """The item and its row when it fits; the item with its reason and None when it does not. Only a
    table with Kafka coordinate columns reads the item's source."""
    if not item.parsed:
        return item, None
    try:
        if isinstance(caster, SourcedCaster):
            return item, caster.cast_from(item.record, item.source)
        return item, caster.cast(item.record)
    except RecordCastError as error:
        return replace(item, reason=error.reason), None


def sample(items: Sequence[Item], size: int) -> list[Item]:
    """Up to `size` items holding parsed object records, to infer or evolve a table from."""
    return list(islice((item for item in items if item.parsed and type(item.record) is dict), size))
