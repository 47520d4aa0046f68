"""Read records from a JSON Lines file, a JSON array file, or a sample of a Kafka topic.

JSON Lines is parsed with orjson; a line holding an integer literal of 19+ digits is parsed with
the standard library instead, because orjson silently turns integers beyond 64 bits into floats.
Invalid lines are errors naming the line; with `skip_invalid` they are collected instead.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from spotlight_nifi.cast import json_bytes
from spotlight_nifi.errors import InputDataError

_LONG_INTEGER = re.compile(rb"\d{19}")


@dataclass
class Records:
    """Parsed records, each with the line (or Kafka offset) it came from, and skipped bad lines."""

    source: str
    records: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    invalid: list[tuple[int, str, bytes]] = field(default_factory=list)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(data: bytes) -> Any:
    """One JSON document, exact for big integers; ValueError when invalid."""
    try:
        if _LONG_INTEGER.search(data):
            return json.loads(data, parse_constant=_reject_constant)
        return orjson.loads(data)
    except json.JSONDecodeError as error:  # orjson's error is a subclass
        raise ValueError(f"{error.msg} at column {error.colno}") from None


def parse_lines(source: str, data: bytes, *, skip_invalid: bool = False, first_line: int = 1) -> Records:
    """Records from JSON Lines (or one JSON array when the text starts with `[`)."""
    result = Records(source)
    if data.lstrip()[:1] == b"[":
        try:
            items = parse_json(data)
        except ValueError as error:
            raise InputDataError(source, f"invalid JSON array: {error}") from None
        for index, item in enumerate(items):
            _add(result, item, index + 1, json_bytes(item), skip_invalid)
    else:
        for number, line in enumerate(data.split(b"\n"), start=first_line):
            add_line(result, line, number, skip_invalid)
    if not result.records:
        raise no_records(source, bool(result.invalid))
    return result


def no_records(source: str, invalid: bool) -> InputDataError:
    """The error for an input without a record: empty, or every line invalid."""
    return InputDataError(source, "no records: every line is invalid JSON" if invalid else "no records: the input is empty")


def add_line(result: Records, line: bytes, number: int, skip_invalid: bool) -> None:
    """One line of JSON Lines into `result`: a record, an invalid line (with `skip_invalid`), or
    nothing when blank; InputDataError naming the line otherwise."""
    if not line.strip():
        return
    try:
        item = parse_json(line)
    except ValueError as error:
        if not skip_invalid:
            raise InputDataError(result.source, f"invalid JSON ({error}); use --skip-invalid to skip such lines",
                                 number) from None
        result.invalid.append((number, f"invalid JSON ({error})", line))
        return
    _add(result, item, number, line, skip_invalid)


def _add(result: Records, item: Any, number: int, raw: bytes, skip_invalid: bool) -> None:
    if not isinstance(item, dict):
        if not skip_invalid:
            raise InputDataError(result.source, "not a JSON object; use --skip-invalid to skip such lines", number)
        result.invalid.append((number, "not a JSON object", raw))
        return
    result.records.append(item)
    result.lines.append(number)
    result.raw.append(raw)


def read_file(path: Path, *, skip_invalid: bool = False) -> Records:
    """Records from a JSON Lines or JSON array file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise unreadable(path, error) from None
    return parse_lines(str(path), data, skip_invalid=skip_invalid)


def check_readable(path: Path) -> None:
    """InputDataError when `path` cannot be opened for reading (before anything else is done with it)."""
    try:
        path.open("rb").close()
    except OSError as error:
        raise unreadable(path, error) from None


def unreadable(path: Path, error: OSError) -> InputDataError:
    return InputDataError(str(path), f"cannot read: {error.strerror}")


def read_kafka(topic: str, bootstrap: str, sample: int, *, skip_invalid: bool = False, timeout: float = 10.0) -> Records:
    """Up to `sample` records from the start of a Kafka topic (all partitions, no commit, a group of
    its own); "line N" in errors is the N-th message read."""
    from confluent_kafka import Consumer, KafkaException

    source = f"kafka:{topic}"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"spotlight-nifi-infer-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    lines: list[bytes] = []
    try:
        consumer.subscribe([topic])
        while len(lines) < sample:
            batch = consumer.consume(min(500, sample - len(lines)), timeout=timeout)
            if not batch:
                break
            for message in batch:
                if message.error():
                    raise InputDataError(source, f"Kafka error: {message.error()}")
                lines.append((message.value() or b"").replace(b"\n", b" "))
    except KafkaException as error:
        raise InputDataError(source, f"cannot read from `{bootstrap}`: {error}") from None
    finally:
        consumer.close()
    return parse_lines(source, b"\n".join(lines), skip_invalid=skip_invalid)
