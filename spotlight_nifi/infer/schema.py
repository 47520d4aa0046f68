"""The JSON Schema of sample records (genson), and checking records against it (jsonschema)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from genson import SchemaBuilder
from jsonschema import Draft202012Validator


def json_schema(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON Schema genson derives from the records."""
    builder = SchemaBuilder()
    for record in records:
        builder.add_object(record)
    return builder.to_schema()


def schema_errors(schema: Mapping[str, Any], record: Mapping[str, Any]) -> list[str]:
    """Why `record` does not match `schema` (empty when it does), one message per error."""
    validator = Draft202012Validator(schema)
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(record)'}: {e.message}" for e in validator.iter_errors(record)]
