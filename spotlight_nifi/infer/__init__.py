"""ClickHouse types from JSON samples: pure inference, DDL, evolution plans and JSON Schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spotlight_nifi.errors import InferenceError
from spotlight_nifi.infer import ddl
from spotlight_nifi.infer.infer import Options, infer_columns
from spotlight_nifi.infer.schema import json_schema
from spotlight_nifi.infer.types import Column


@dataclass(frozen=True)
class Inferred:
    """Columns for the samples, the CREATE TABLE text and the samples' JSON Schema."""

    columns: list[Column]
    create_sql: str
    schema: dict[str, Any]


def infer_table(records: Sequence[dict[str, Any]], table: str, options: Options = Options(), *,
                order_by: Sequence[str] | None = None, partition_by: str | None = None,
                storage_policy: str | None = None) -> Inferred:
    """Everything `infer` prints for these records."""
    columns = infer_columns(records, options)
    if not columns:
        raise InferenceError(table, "every sample record is empty: a table needs at least one column")
    schema = json_schema(records)
    sql = ddl.create_table(table, columns, order_by=order_by, partition_by=partition_by, storage_policy=storage_policy,
                           schema=schema)
    return Inferred(columns, sql, schema)


__all__ = ["Column", "Inferred", "Options", "infer_columns", "infer_table"]
