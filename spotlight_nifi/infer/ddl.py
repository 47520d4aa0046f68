"""CREATE TABLE / ALTER TABLE text for inferred columns.

- Engine MergeTree. Suggested ORDER BY: up to two non-nullable LowCardinality columns, then the
  first non-nullable time column (low-cardinality first sorts similar rows together, which is what
  makes MergeTree compress); `tuple()` when there is none. No PARTITION BY unless asked: each
  partition is its own parts with a fixed per-column overhead (4× the bytes per row on a small
  GitHub sample), and months exceed ClickHouse's 100-partitions-per-INSERT limit on a 15-year
  Reddit sample; a partition key is for data management (TTL, tiering), so the DDL suggests one in a
  comment (`--partition-by 'toYYYYMM(ts)'`). ORDER BY can be overridden too.
- Codecs only where they clearly help: ZSTD(1) on text, JSON text and arrays (2–4× smaller than the
  default LZ4 on JSON-ish text), Delta+ZSTD on the time column in the sort key (monotonic within a
  part). Numbers keep the default LZ4.
- Every column carries its JSON path in its comment (`{"path": [...], "json": true}`), so the
  caster maps records to columns exactly, whatever normalisation the name went through. A Kafka
  coordinate column (`coordinates`) says which coordinate it holds instead (`{"kafka": "offset"}`). A `JSON`
  column's path is the subtree it takes (`[]` for the whole record); its typed path hints are in
  its type, which `system.columns` gives back as written (`types.parse_json_type`).
- SETTINGS keep a deduplication window (`DEDUPLICATION_WINDOW`), so InsertClickHouse's retries
  re-send batches with the same `insert_deduplication_token` and ClickHouse skips those it has.
- An optional storage policy (S3/MinIO tiering, `CLICKHOUSE_STORAGE_POLICY`) goes in SETTINGS.
- The samples' JSON Schema is the table comment: the reviewed contract later samples are checked
  against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from spotlight_nifi.infer import coordinates
from spotlight_nifi.infer.names import literal, quote
from spotlight_nifi.infer.types import Column, parse_type

_TEXT = {"String", "Array", "Variant"}
_TIME = {"DateTime64", "Date", "Date32"}
DEDUPLICATION_WINDOW = 10_000
"""Inserts whose tokens the table remembers. A FlowFile is retried 5 times with a penalty doubling
from 30 s (30+60+120+240+480 s, about 15 min); at 10 inserts/s into one table (100k rows/s in
10k-row batches) that is ~9,300 inserts, so 10,000 still holds the first attempt's tokens at the
last retry. It is also ClickHouse's own default for replicated tables; the cost is one hash per
insert, in memory and in a small log file next to the table's parts."""


def comment(column: Column) -> str:
    """The comment recording the column's JSON path (and JSON-text storage); a Kafka coordinate
    column has no path but says which coordinate it holds."""
    if coordinates.is_coordinate(column):
        return orjson.dumps({"kafka": coordinates.WHAT[column.name]}).decode()
    data: dict[str, object] = {"path": list(column.path)}
    if column.json_text:
        data["json"] = True
    return orjson.dumps(data).decode()


def column_from_table(name: str, type_text: str, comment_text: str) -> Column:
    """A table column read back from ClickHouse; columns we did not create map by their name."""
    try:
        data = orjson.loads(comment_text) if comment_text else {}
    except orjson.JSONDecodeError:
        data = {}
    if not isinstance(data, dict) or not isinstance(data.get("path"), list):
        data = {"path": [name]}
    return Column(name, parse_type(type_text), tuple(str(k) for k in data["path"]), bool(data.get("json")))


def suggest_order_by(columns: Sequence[Column]) -> list[str]:
    keys = [c.name for c in columns if c.type.name == "LowCardinality" and not c.type.nullable][:2]
    keys += [c.name for c in columns if c.type.name in _TIME][:1]
    return keys


def suggest_partition_by(columns: Sequence[Column]) -> str | None:
    times = [c for c in columns if c.type.name in _TIME and not c.type.nullable]
    return f"toYYYYMM({quote(times[0].name)})" if times else None


def codec(column: Column, order_by: Sequence[str]) -> str:
    base = column.type.inner()
    if base.name in _TIME and column.name in order_by and not column.type.nullable:
        return " CODEC(Delta, ZSTD(1))"
    if base.name in _TEXT and column.type.name != "LowCardinality":
        return " CODEC(ZSTD(1))"
    return ""


def column_sql(column: Column, order_by: Sequence[str] = ()) -> str:
    return f"{quote(column.name)} {column.type}{codec(column, order_by)} COMMENT {literal(comment(column))}"


def create_table(table: str, columns: Sequence[Column], *, order_by: Sequence[str] | None = None,
                 partition_by: str | None = None, storage_policy: str | None = None,
                 schema: Mapping[str, Any] | None = None) -> str:
    """CREATE TABLE text: one column per line, suggested keys unless given."""
    keys = suggest_order_by(columns) if order_by is None else list(order_by)
    lines = ",\n".join("    " + column_sql(c, keys) for c in columns)
    sql = f"CREATE TABLE {quote(table)}\n(\n{lines}\n)\nENGINE = MergeTree"
    suggestion = suggest_partition_by(columns)
    if partition_by:
        sql += f"\nPARTITION BY {partition_by}"
    elif suggestion:
        sql += f"\n-- for TTL or tiering by time: --partition-by '{suggestion}'"
    sql += f"\nORDER BY ({', '.join(quote(k) for k in keys)})" if keys else "\nORDER BY tuple()"
    sql += f"\nSETTINGS non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}"
    if storage_policy:
        sql += f", storage_policy = {literal(storage_policy)}"
    if schema is not None:
        sql += f"\nCOMMENT {literal(orjson.dumps(schema).decode())}"
    return sql


def modify_comment(table: str, schema: Mapping[str, Any]) -> str:
    """Replace the JSON Schema kept as the table comment."""
    return f"ALTER TABLE {quote(table)} MODIFY COMMENT {literal(orjson.dumps(schema).decode())}"


def add_column(table: str, column: Column) -> str:
    return f"ALTER TABLE {quote(table)} ADD COLUMN {column_sql(column)}"


def modify_column(table: str, column: Column) -> str:
    return f"ALTER TABLE {quote(table)} MODIFY COLUMN {column_sql(column)}"

