"""Top-level types commands: `infer` (columns from samples) and `load` (cast and insert)."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer

from spotlight_nifi.clickhouse import connect, is_server
from spotlight_nifi.clickhouse.tables import evolve_table, load
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import InputDataError, SchemaEvolutionError
from spotlight_nifi.infer import Options, infer_table
from spotlight_nifi.infer.reader import Records, read_file, read_kafka

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
          skip_invalid: bool = SKIP_INVALID, kafka_topic: str | None = KAFKA_TOPIC,
          kafka_bootstrap: str | None = KAFKA_BOOTSTRAP, sample: int = SAMPLE) -> None:
    """Print CREATE TABLE (or, with --evolve, the ALTER plan) and the JSON Schema for sample records."""
    settings = Settings.load()
    url = clickhouse or settings.get("CLICKHOUSE_URL")
    records = _records(source, kafka_topic, kafka_bootstrap, sample, skip_invalid).records
    if evolve:
        db = connect(url)
        try:
            migration = evolve_table(db, table, records, Options(decimal=decimal), apply=apply)
        finally:
            db.close()
        typer.echo(migration.render())
        if migration.refused:
            column, reason = migration.refused[0]
            raise SchemaEvolutionError(table, column.name, f"{reason}; nothing was changed")
        return
    keys = [k.strip() for k in order_by.split(",") if k.strip()] if order_by is not None else None
    inferred = infer_table(records, table, Options(decimal=decimal), order_by=keys, partition_by=partition_by,
                           storage_policy=settings.get("CLICKHOUSE_STORAGE_POLICY") if is_server(url) else None)
    typer.echo(inferred.create_sql + ";\n\n" + orjson.dumps(inferred.schema, option=orjson.OPT_INDENT_2).decode())
    if apply:
        db = connect(url)
        try:
            db.command(inferred.create_sql)
        finally:
            db.close()


def load_command(source: Path | None = SOURCE, table: str = TABLE, evolve: bool = EVOLVE, clickhouse: str | None = CLICKHOUSE,
                 rejects: Path | None = typer.Option(None, "--rejects", help="Where records that do not fit go (default SOURCE.rejects.jsonl)."),
                 decimal: bool = DECIMAL, skip_invalid: bool = SKIP_INVALID, kafka_topic: str | None = KAFKA_TOPIC,
                 kafka_bootstrap: str | None = KAFKA_BOOTSTRAP, sample: int = SAMPLE) -> None:
    """Cast and insert records; those that do not fit go to the rejects file with a reason each."""
    settings = Settings.load()
    url = clickhouse or settings.get("CLICKHOUSE_URL")
    records = _records(source, kafka_topic, kafka_bootstrap, sample, skip_invalid)
    rejects_path = rejects or Path(f"{source or kafka_topic}.rejects.jsonl")
    db = connect(url)
    try:
        summary = load(db, table, records, rejects_path, evolve=evolve, options=Options(decimal=decimal),
                       storage_policy=settings.get("CLICKHOUSE_STORAGE_POLICY") if is_server(url) else None)
    finally:
        db.close()
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
