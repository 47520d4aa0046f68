"""The JSON Schema of sample records (genson), and checking records against it (jsonschema).

A table created by `infer --apply` keeps its samples' schema as its table comment, so later
samples can be checked against the contract the table was reviewed with (`infer --evolve`). A
table with a JSON column keeps the schema of its typed columns only (`restrict`): the JSON column
takes any shape, and the schema of thousands of sparse paths would not fit a statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


def restrict(schema: Mapping[str, Any], paths: Iterable[Sequence[str]]) -> dict[str, Any]:
    """`schema` with only the object properties on the way to `paths`; other keys are allowed."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for key in path:
            node = node.setdefault(key, {})
    return _restrict(dict(schema), tree)


def _restrict(schema: dict[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    if "anyOf" in schema:
        return {**schema, "anyOf": [_restrict(dict(s), tree) for s in schema["anyOf"]]}
    if not tree or "properties" not in schema:
        return schema
    kept = {key: _restrict(dict(sub), tree[key]) for key, sub in schema["properties"].items() if key in tree}
    result = {**schema, "properties": kept}
    if "required" in schema:
        result["required"] = [key for key in schema["required"] if key in kept]
    return result


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
