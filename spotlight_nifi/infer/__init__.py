"""ClickHouse types from JSON samples: pure inference, DDL, evolution plans and JSON Schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from spotlight_nifi.errors import InferenceError
from spotlight_nifi.infer import coordinates, ddl, layout
from spotlight_nifi.infer.infer import Options, infer_columns, infer_leaves
from spotlight_nifi.infer.layout import Layout
from spotlight_nifi.infer.schema import json_schema, restrict
from spotlight_nifi.infer.types import Column


@dataclass(frozen=True)
class Inferred:
    """Columns for the samples, the CREATE TABLE text, the JSON Schema it keeps (None when too
    large for the statement) and the layout decision."""

    columns: list[Column]
    create_sql: str
    schema: dict[str, Any] | None
    layout: Layout


def infer_layout(records: Sequence[dict[str, Any]], table: str, options: Options = Options()) -> Layout:
    """The columns for these records, as `layout.choose` lays them out (flat or typed + JSON)."""
    leaves, count = infer_leaves(records, options)
    if not leaves:
        raise InferenceError(table, "every sample record is empty: a table needs at least one column")
    try:
        return layout.choose(leaves, count, options)
    except ValueError as error:
        raise InferenceError(table, str(error)) from None


def _check_reserved(table: str, records: Sequence[dict[str, Any]], columns: Sequence[Column],
                    kafka_coordinates: bool) -> None:
    """InferenceError when a field would take a coordinate column's name (`coordinates`): as a column,
    always; at the top level of a record (where a JSON column would take it), when the table keeps them."""
    for column in columns:
        if coordinates.is_coordinate(column):
            raise InferenceError(table, coordinates.reserved_reason(".".join(column.path), column.name))
    for record in records if kafka_coordinates else ():
        field = coordinates.reserved_field(record)
        if field is not None:
            raise InferenceError(table, coordinates.reserved_reason(field, field))


def infer_table(records: Sequence[dict[str, Any]], table: str, options: Options = Options(), *,
                order_by: Sequence[str] | None = None, partition_by: str | None = None,
                storage_policy: str | None = None, kafka_coordinates: bool = False) -> Inferred:
    """Everything `infer` prints for these records. The samples' JSON Schema (of the typed columns
    when there is a JSON column) becomes the table comment unless the statement would then exceed
    `layout.DDL_BUDGET`; the layout's notes say so.

    `kafka_coordinates` adds `coordinates.COLUMNS` after the records' columns, outside the suggested
    ORDER BY: the sort key serves the queries the table is for (and its compression), while
    `reconcile` reads three narrow columns whichever order the rows are in."""
    chosen = infer_layout(records, table, options)
    _check_reserved(table, records, chosen.columns, kafka_coordinates)
    columns = [*chosen.columns, *coordinates.COLUMNS] if kafka_coordinates else chosen.columns
    keys = ddl.suggest_order_by(chosen.columns) if order_by is None else order_by
    schema: dict[str, Any] | None = json_schema(records)
    if chosen.kind == "hybrid" or any(layout.is_json(c) for c in chosen.columns):
        schema = restrict(schema, [c.path for c in chosen.columns if not layout.is_json(c)])  # type: ignore[arg-type]

    def render(kept: dict[str, Any] | None) -> str:
        return ddl.create_table(table, columns, order_by=keys, partition_by=partition_by,
                                storage_policy=storage_policy, schema=kept)
    sql = render(schema)
    if len(sql.encode()) > layout.DDL_BUDGET:
        chosen.notes.append(f"the samples' JSON Schema ({len(orjson.dumps(schema)) // 1024:,} KiB) is not kept as the "
                            "table comment: the statement would exceed the DDL budget")
        schema = None
        sql = render(None)
    return Inferred(columns, sql, schema, chosen)


__all__ = ["Column", "Inferred", "Layout", "Options", "infer_columns", "infer_layout", "infer_table"]
