"""The JSON Schema of sample records (genson), and checking records against it (jsonschema).

A table created by `infer --apply` keeps its samples' schema as its table comment, so later
samples can be checked against the contract the table was reviewed with (`infer --evolve`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from genson import SchemaBuilder
from jsonschema import Draft202012Validator


def json_schema(records: Iterable[Mapping[str, Any]], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema genson derives from the records, merged into `base` when given."""
    builder = SchemaBuilder()
    if base:
        builder.add_schema(dict(base))
    for record in records:
        builder.add_object(record)
    return builder.to_schema()


def mismatches(schema: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> list[tuple[int, str]]:
    """(index, first reason) of every record that does not match `schema`."""
    validator = Draft202012Validator(schema)
    found = []
    for index, record in enumerate(records):
        error = next(iter(validator.iter_errors(record)), None)
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "(record)"
            found.append((index, f"{where}: {error.message}"))
    return found
