"""Table operations over any backend: create from samples, evolve, and load records.

`load` is the library behind `spotlight-nifi load`: it casts with `spotlight_nifi.cast` (the same
code the NiFi processor runs) and never loses a record: every record read is either inserted or
written to the rejects file with one reason, so loaded + rejected = read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.clickhouse.interface import ClickHouse
from spotlight_nifi.errors import RecordCastError, SchemaEvolutionError
from spotlight_nifi.infer import Options, infer_table
from spotlight_nifi.infer.ddl import column_from_table, modify_comment
from spotlight_nifi.infer.evolve import Plan, Step, plan
from spotlight_nifi.infer.infer import infer_leaves
from spotlight_nifi.infer.layout import HINT_MIN_RECORDS, MAX_QUERY_SIZE, is_json, typed_leaves
from spotlight_nifi.infer.names import column_names, literal
from spotlight_nifi.infer.placement import altered_on_cluster, place
from spotlight_nifi.infer.schema import json_schema, mismatches
from spotlight_nifi.infer.reader import Records
from spotlight_nifi.infer.types import Column


def table_columns(db: ClickHouse, table: str) -> list[Column] | None:
    """The table's columns with their JSON paths, None when it does not exist."""
    found = db.columns(table)
    return None if found is None else [column_from_table(*c) for c in found]


def evolve_table(db: ClickHouse, table: str, records: Sequence[dict[str, Any]], options: Options = Options(), *,
                 apply: bool = False, cluster: str | None = None) -> Plan:
    """The migration plan that lets `table` hold these records; applied only when asked and
    nothing was refused (a plan is applied whole or not at all), on every node of `cluster`."""
    existing = table_columns(db, table)
    if existing is None:
        raise SchemaEvolutionError(table, "*", "table does not exist: run `spotlight-nifi infer` with `--apply` first")
    migration = migration_plan(table, existing, records, options)
    _check_schema(db, table, records, migration)
    if apply and not migration.refused:
        apply_plan(db, migration, cluster)
    return migration


def migration_plan(table: str, existing: list[Column], records: Sequence[dict[str, Any]], options: Options) -> Plan:
    """`evolve.plan` for these records; on a table with a JSON column, the paths dense and stable
    in at least `HINT_MIN_RECORDS` of them are offered for promotion to typed columns."""
    leaves, count = infer_leaves(records, options)
    inferred = [Column(name, leaf.type, leaf.path, leaf.json_text)
                for name, leaf in zip(column_names([leaf.path for leaf in leaves]), leaves)]
    promote = []
    if any(is_json(c) for c in existing):
        promote = [Column("", leaf.type, leaf.path) for leaf in typed_leaves(leaves, count, minimum=HINT_MIN_RECORDS)]
    return plan(table, existing, inferred, promote)


def execute_ddl(db: ClickHouse, sql: str) -> None:
    """Run a CREATE TABLE; one longer than ClickHouse's default `max_query_size` (only `--flatten`
    makes one) runs with the setting raised for it, then put back."""
    size = len(sql.encode())
    if size <= MAX_QUERY_SIZE:
        db.command(sql)
        return
    db.command(f"SET max_query_size = {size + 1024}")
    try:
        db.command(sql)
    finally:
        db.command(f"SET max_query_size = {MAX_QUERY_SIZE}")


def table_schema(db: ClickHouse, table: str) -> dict[str, Any] | None:
    """The JSON Schema kept as the table comment by `infer --apply`, if any."""
    rows = db.query(f"SELECT comment FROM system.tables WHERE database = currentDatabase() AND name = {literal(table)}")
    try:
        schema = orjson.loads(rows[0][0]) if rows and rows[0][0] else None
    except orjson.JSONDecodeError:
        return None
    return schema if isinstance(schema, dict) and "$schema" in schema else None


def _check_schema(db: ClickHouse, table: str, records: Sequence[dict[str, Any]], migration: Plan) -> None:
    """Note the records that break the table's reviewed JSON Schema; widen the schema with them."""
    schema = table_schema(db, table)
    if schema is None:
        return
    migration.samples = len(records)
    migration.off_schema = mismatches(schema, records)
    if migration.off_schema:
        migration.steps.append(Step("schema", None, (modify_comment(table, json_schema(records, schema)),)))


def apply_plan(db: ClickHouse, migration: Plan, cluster: str | None = None) -> None:
    """Run the plan's statements; on a cluster, on the replicated tables and the Distributed one."""
    apply_alters(db, migration.table, [s for step in migration.steps for s in step.statements], cluster)


def apply_alters(db: ClickHouse, table: str, statements: Sequence[str], cluster: str | None = None) -> None:
    """Run ALTER TABLE statements of `table` where it lives (see `placement.altered_on_cluster`)."""
    for statement in statements:
        for placed in altered_on_cluster(table, statement, cluster):
            db.command(placed)


@dataclass
class LoadSummary:
    read: int
    loaded: int
    rejected: int
    created: bool = False
    plan: Plan | None = None


@dataclass(frozen=True)
class Prepared:
    """A table's columns once it is ready for records: None when it is missing and may not be created."""

    columns: list[Column] | None
    created: bool = False
    plan: Plan | None = None


def prepare_table(db: ClickHouse, table: str, records: Sequence[dict[str, Any]], *, create: bool, evolve: bool,
                  options: Options = Options(), storage_policy: str | None = None,
                  kafka_coordinates: bool = False, cluster: str | None = None) -> Prepared:
    """Create a missing table from `records` (with Kafka coordinate columns when asked), or evolve an
    existing one to hold them without review; on a `cluster`, replicated behind a Distributed table.

    Evolution here is `Plan.unattended`: new columns and widening within a kind only. Both
    `spotlight-nifi load --evolve` and CastToClickHouse's `evolve` mode come through here, so a
    flow never changes a column's kind that the CLI would refuse to change."""
    columns = table_columns(db, table)
    if columns is None:
        if not create or not records:
            return Prepared(None)
        inferred = infer_table(records, table, options, storage_policy=storage_policy,
                               kafka_coordinates=kafka_coordinates)
        for statement in place(table, inferred.create_sql, inferred.columns, cluster=cluster):
            execute_ddl(db, statement)
        return Prepared(inferred.columns, created=True)
    if not evolve or not records:
        return Prepared(columns)
    migration = migration_plan(table, columns, records, options).unattended(columns)
    apply_plan(db, migration, cluster)
    return Prepared(migration.columns_after(columns), plan=migration)


def load(db: ClickHouse, table: str, records: Records, rejects: Path, *, evolve: bool = False,
         options: Options = Options(), storage_policy: str | None = None, cluster: str | None = None) -> LoadSummary:
    """Cast and insert `records`; the misfits go to `rejects` (JSON Lines: line, reason, raw)."""
    prepared = prepare_table(db, table, records.records, create=True, evolve=evolve, options=options,
                             storage_policy=storage_policy, cluster=cluster)
    summary = LoadSummary(read=len(records.records) + len(records.invalid), loaded=0, rejected=0,
                          created=prepared.created, plan=prepared.plan)
    columns = prepared.columns
    if columns is None:
        raise SchemaEvolutionError(table, "*", "no records to create the table from")
    try:
        caster = compile_caster(columns)
    except ValueError as error:
        raise SchemaEvolutionError(table, "*", str(error)) from None
    rows: list[tuple] = []
    failed: list[tuple[int, str, bytes]] = list(records.invalid)
    for number, record, raw in zip(records.lines, records.records, records.raw):
        try:
            rows.append(caster.cast(record))
        except RecordCastError as error:
            failed.append((number, error.reason, raw))
    db.insert(table, [c.name for c in columns], rows)
    write_rejects(rejects, failed)
    summary.loaded, summary.rejected = len(rows), len(failed)
    return summary


def write_rejects(path: Path, failed: list[tuple[int, str, bytes]]) -> None:
    """The misfits as JSON Lines (line, reason, raw) in line order; no file when there are none."""
    if not failed:
        path.unlink(missing_ok=True)
        return
    lines = [orjson.dumps({"line": n, "reason": reason, "raw": raw.decode("utf-8", "replace")})
             for n, reason, raw in sorted(failed, key=lambda f: f[0])]
    path.write_bytes(b"\n".join(lines) + b"\n")
