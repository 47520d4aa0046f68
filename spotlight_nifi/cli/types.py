"""Top-level types commands: `infer` (columns from samples) and `load` (cast and insert)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import typer

from spotlight_nifi.cast import converter
from spotlight_nifi.clickhouse import connect, is_server
from spotlight_nifi.clickhouse.bulk import load_file
from spotlight_nifi.clickhouse.interface import ClickHouse
from spotlight_nifi.clickhouse.tables import (
    LoadSummary,
    evolve_table,
    execute_ddl,
    load,
)
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import InferenceError, InputDataError, SchemaEvolutionError
from spotlight_nifi.infer import Options, infer_table
from spotlight_nifi.infer.layout import parse_path, parse_type_override
from spotlight_nifi.infer.placement import place
from spotlight_nifi.infer.reader import Records, check_readable, read_file, read_kafka

SOURCE = typer.Argument(None, help="JSON Lines or JSON array file (or use --kafka-topic).")
TABLE = typer.Option(..., "--table", help="ClickHouse table name.")
CLICKHOUSE = typer.Option(None, "--clickhouse", help="http(s)://… server or chdb:///path (default CLICKHOUSE_URL, "
                          "else the embedded engine under ./.spotlight/clickhouse).")
KAFKA_TOPIC = typer.Option(None, "--kafka-topic", help="Sample records from this Kafka topic instead of a file.")
KAFKA_BOOTSTRAP = typer.Option(None, "--kafka-bootstrap", help="Kafka bootstrap servers HOST:PORT.")
SAMPLE = typer.Option(1000, "--sample", help="How many Kafka records to sample.")
SKIP_INVALID = typer.Option(False, "--skip-invalid", help="Skip lines that are not JSON objects instead of failing.")
EVOLVE = typer.Option(False, "--evolve", help="Alter the existing table to hold the new records (safe changes only).")
DECIMAL = typer.Option(False, "--decimal", help="Type non-integer numbers as Decimal(P, S) instead of Float64.")
EXPLAIN = typer.Option(False, "--explain", help="Print the layout chosen (flat, or typed columns + JSON) and its thresholds.")
FLATTEN = typer.Option(False, "--flatten", help="One column per leaf path, however many (never a JSON column).")
JSON_COLUMN = typer.Option([], "--json-column", help="Keep this subtree (a.b, or a JSON array of keys) whole in a JSON column; repeatable.")
TYPE = typer.Option([], "--type", help="Force a path's type, e.g. issue.number=UInt32 (a column's, or a hint in a JSON column); repeatable.")
KAFKA_COORDINATES = typer.Option(False, "--kafka-coordinates", help="Add `_kafka_topic`, `_kafka_partition` and "
                                 "`_kafka_offset` columns, which our NiFi processors fill from each record's source, "
                                 "so `spotlight-nifi reconcile` can check the table.")


def _options(table: str, decimal: bool, flatten: bool, json_columns: list[str], types: list[str]) -> Options:
    """The layout overrides, each checked: a path, and a type the caster can write."""
    try:
        roots = tuple(parse_path(path) for path in json_columns)
        forced = tuple(parse_type_override(text) for text in types)
        for _, typ in forced:
            converter(typ)
    except ValueError as error:
        raise InferenceError(table, f"{error}") from None
    return Options(decimal=decimal, flatten=flatten, json_columns=roots, types=forced)


def _records(source: Path | None, topic: str | None, bootstrap: str | None, sample: int, skip: bool) -> Records:
    if topic:
        if not bootstrap:
            raise InputDataError(f"kafka:{topic}", "`--kafka-bootstrap HOST:PORT` is required with `--kafka-topic`")
        return read_kafka(topic, bootstrap, sample, skip_invalid=skip)
    if source is None:
        raise InputDataError("(none)", "give a JSON Lines or JSON array file, or `--kafka-topic`")
    return read_file(source, skip_invalid=skip)


def infer(source: Path | None = SOURCE, table: str = TABLE, apply: bool = typer.Option(False, "--apply", help="Create (or alter) the table."),
          evolve: bool = EVOLVE, clickhouse: str | None = CLICKHOUSE, decimal: bool = DECIMAL,
          order_by: str | None = typer.Option(None, "--order-by", help="Comma-separated ORDER BY columns (overrides the suggestion)."),
          partition_by: str | None = typer.Option(None, "--partition-by", help="PARTITION BY expression (none unless given)."),
          tier_after: str | None = typer.Option(None, "--tier-after", help="Move parts older than this (30d, 12h, 2w) "
                                                "to the storage policy's cold volume on MinIO (TTL … TO VOLUME 'cold')."),
          skip_invalid: bool = SKIP_INVALID, kafka_topic: str | None = KAFKA_TOPIC,
          kafka_bootstrap: str | None = KAFKA_BOOTSTRAP, sample: int = SAMPLE, explain: bool = EXPLAIN,
          flatten: bool = FLATTEN, json_column: list[str] = JSON_COLUMN, type_: list[str] = TYPE,
          kafka_coordinates: bool = KAFKA_COORDINATES) -> None:
    """Print CREATE TABLE (or, with --evolve, the ALTER plan) and the JSON Schema for sample records."""
    settings = Settings.load()
    url = clickhouse or settings.get("CLICKHOUSE_URL")
    options = _options(table, decimal, flatten, json_column, type_)
    if evolve and kafka_coordinates:
        raise InferenceError(table, "`--kafka-coordinates` is for a new table: rows already stored have no coordinates "
                                    "(docs/failures.md says how to add the columns by hand)")
    records = _records(source, kafka_topic, kafka_bootstrap, sample, skip_invalid).records
    if evolve:
        db = connect(url)
        try:
            migration = evolve_table(db, table, records, options, apply=apply, cluster=clickhouse_cluster(settings, url))
        finally:
            db.close()
        typer.echo(migration.render())
        if migration.refused:
            column, reason = migration.refused[0]
            raise SchemaEvolutionError(table, column.name, f"{reason}; nothing was changed")
        return
    keys = [k.strip() for k in order_by.split(",") if k.strip()] if order_by is not None else None
    inferred = infer_table(records, table, options, order_by=keys, partition_by=partition_by,
                           kafka_coordinates=kafka_coordinates,
                           storage_policy=settings.get("CLICKHOUSE_STORAGE_POLICY") if is_server(url) or tier_after else None)
    statements = place(table, inferred.create_sql, inferred.columns, tier_after=tier_after,
                       cluster=clickhouse_cluster(settings, url))
    notes = "".join(f"-- {note}\n" for note in inferred.layout.notes) if explain else ""
    typer.echo(notes + ";\n\n".join(statements) + ";\n\n" + orjson.dumps(inferred.schema, option=orjson.OPT_INDENT_2).decode())
    if apply:
        db = connect(url)
        try:
            for statement in statements:
                execute_ddl(db, statement)
        finally:
            db.close()


def clickhouse_cluster(settings: Settings, url: str | None, environment: str | None = None) -> str | None:
    """`CLICKHOUSE_CLUSTER` when ClickHouse is a server: tables are replicated behind a Distributed one."""
    return settings.get("CLICKHOUSE_CLUSTER", environment=environment) if is_server(url) else None


def _loaded(url: str | None, how: Callable[[ClickHouse], LoadSummary]) -> LoadSummary:
    """`how` run on a connection to `url`, closed after (the embedded engine allows one process)."""
    db = connect(url)
    try:
        return how(db)
    finally:
        db.close()


def load_command(source: Path | None = SOURCE, table: str = TABLE, evolve: bool = EVOLVE, clickhouse: str | None = CLICKHOUSE,
                 rejects: Path | None = typer.Option(None, "--rejects", help="Where records that do not fit go (default SOURCE.rejects.jsonl)."),
                 decimal: bool = DECIMAL, skip_invalid: bool = SKIP_INVALID, kafka_topic: str | None = KAFKA_TOPIC,
                 kafka_bootstrap: str | None = KAFKA_BOOTSTRAP, sample: int = SAMPLE) -> None:
    """Cast and insert records; those that do not fit go to the rejects file with a reason each."""
    settings = Settings.load()
    url = clickhouse or settings.get("CLICKHOUSE_URL")
    rejects_path = rejects or Path(f"{source or kafka_topic}.rejects.jsonl")
    options, policy = Options(decimal=decimal), settings.get("CLICKHOUSE_STORAGE_POLICY") if is_server(url) else None
    if source is not None and not kafka_topic:
        check_readable(source)
        summary = _loaded(url, lambda db: load_file(db, table, source, rejects_path, evolve=evolve, options=options,
                                                    storage_policy=policy, skip_invalid=skip_invalid,
                                                    cluster=clickhouse_cluster(settings, url)))
    else:
        records = _records(source, kafka_topic, kafka_bootstrap, sample, skip_invalid)
        summary = _loaded(url, lambda db: load(db, table, records, rejects_path, evolve=evolve, options=options,
                                               storage_policy=policy, cluster=clickhouse_cluster(settings, url)))
    if summary.plan is not None:
        typer.echo(summary.plan.render())
    typer.echo(f"{'created' if summary.created else 'loaded into'} `{table}`: read {summary.read}, "
               f"loaded {summary.loaded}, rejected {summary.rejected}"
               + (f" (reasons in {rejects_path})" if summary.rejected else ""))


def query(sql: str = typer.Argument(..., help="One SQL statement returning rows."),
          clickhouse: str | None = CLICKHOUSE) -> None:
    """Run a query and print its rows, tab-separated: the way to read the embedded engine, which
    allows one process per data directory."""
    db = connect(clickhouse or Settings.load().get("CLICKHOUSE_URL"))
    try:
        rows = db.query(sql)
    finally:
        db.close()
    for row in rows:
        typer.echo("\t".join("" if value is None else str(value) for value in row))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("infer")(infer)
    app.command("load")(load_command)
    app.command("query")(query)
