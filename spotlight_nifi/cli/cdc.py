"""`spotlight-nifi cdc add|status|remove|apply`: PostgreSQL tables kept in sync in ClickHouse."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import typer
from psycopg.conninfo import conninfo_to_dict

from spotlight_nifi import cdc
from spotlight_nifi.cdc import source as cdc_source
from spotlight_nifi.cli.types import clickhouse_cluster
from spotlight_nifi.clickhouse import ClickHouse, connect
from spotlight_nifi.config import Settings

app = typer.Typer(help="Change data capture: PostgreSQL tables kept in sync in ClickHouse through Debezium and Kafka.",
                  no_args_is_help=True)
TABLE = typer.Argument(..., help="The PostgreSQL table, SCHEMA.TABLE.")
ENV = typer.Option(None, "--env", help="Environment whose keys (`<ENV>_CDC_SOURCE_DSN`, …) come first.")


@dataclass
class Targets:
    settings: Settings
    env: str | None
    dsn: str
    source: psycopg.Connection
    db: ClickHouse
    connect: cdc.Connect
    cluster: str | None
    """`CLICKHOUSE_CLUSTER` when ClickHouse is a server: tables are replicated behind a Distributed one."""


@contextmanager
def targets(env: str | None) -> Iterator[Targets]:
    """The source database, ClickHouse and Kafka Connect named by `.env`, closed afterwards."""
    settings = Settings.load()
    dsn = settings.require("CDC_SOURCE_DSN", environment=env, hint="libpq DSN of the PostgreSQL database to capture")
    url = settings.require("KAFKA_CONNECT_URL", environment=env, hint="`spotlight-nifi dev env` prints the local one")
    source = cdc_source.connect(dsn)
    clickhouse = settings.get("CLICKHOUSE_URL", environment=env)
    cluster = clickhouse_cluster(settings, clickhouse, env)
    db = connect(clickhouse)
    try:
        yield Targets(settings, env, dsn, source, db, cdc.Connect(url, secret=conninfo_to_dict(dsn).get("password")),
                      cluster)
    finally:
        db.close()
        source.close()


@app.command("add")
def add(name: str = TABLE, env: str | None = ENV,
        table: str | None = typer.Option(None, "--table", help="ClickHouse table (default: the PostgreSQL table's name)."),
        exclude: list[str] = typer.Option([], "--exclude-column", help="Leave this column out; repeatable.")) -> None:
    """Create the ClickHouse table and register the Debezium connector (its snapshot starts at once)."""
    schema, base = cdc_source.parse_name(name)
    with targets(env) as t:
        added = cdc.add(t.source, t.dsn, t.db, t.connect, schema, base, table=table, exclude=exclude,
                        password_ref=t.settings.get("CDC_SOURCE_PASSWORD_REF", environment=env),
                        address=t.settings.get("CDC_CONNECT_SOURCE_ADDRESS", environment=env), cluster=t.cluster)
    typer.echo(f"{'created' if added.created else 'kept'} ClickHouse table `{added.table}`; connector "
               f"`{added.names.connector}` writes to topic `{added.names.topic}` (slot `{added.names.slot}`); "
               f"run `spotlight-nifi cdc apply {schema}.{base}` to apply its events")


@app.command("status")
def status(name: str | None = typer.Argument(None, help="Only this table (SCHEMA.TABLE)."), env: str | None = ENV) -> None:
    """Connector state, replication slot lag and the last LSN applied, per captured table."""
    only = ".".join(cdc_source.parse_name(name)) if name else None
    with targets(env) as t:
        rows = cdc.status(t.source, t.db, t.connect, only)
    typer.echo("source\ttable\tconnector\tslot\tslot lag (bytes)\tlast applied LSN")
    for row in rows:
        slot = "missing" if row.slot_active is None else f"{row.slot} ({'active' if row.slot_active else 'inactive'})"
        typer.echo(f"{row.source}\t{row.table}\t{row.state}\t{slot}\t{'-' if row.lag_bytes is None else row.lag_bytes}"
                   f"\t{row.last_applied or '-'}")


@app.command("remove")
def remove(name: str = TABLE, env: str | None = ENV) -> None:
    """Delete the connector, then drop its replication slot and publication (the ClickHouse table stays)."""
    schema, base = cdc_source.parse_name(name)
    with targets(env) as t:
        removed = cdc.remove(t.source, t.dsn, t.connect, schema, base)
    done = [what for what, did in (("connector", removed.connector), ("replication slot", removed.slot),
                                   ("publication", removed.publication)) if did]
    typer.echo(f"`{schema}.{base}`: removed {', '.join(done) or 'nothing (none was there)'}")


@app.command("apply")
def apply(name: str = TABLE, env: str | None = ENV,
          until_idle: float | None = typer.Option(None, "--until-idle", help="Stop after this many seconds without events "
                                                  "(default: run until interrupted).")) -> None:
    """Apply the table's change events to ClickHouse; misfits go to the failure DB."""
    schema, base = cdc_source.parse_name(name)
    with targets(env) as t:
        found = cdc.captured(t.connect, t.dsn, schema, base)
        failures = t.settings.require("FAILURE_DB_DSN", environment=env)
        kafka = cdc.consumer(t.settings.require("KAFKA_BOOTSTRAP_SERVERS", environment=env), found.names.topic)
        applier = cdc.Applier(t.db, t.source, failures, schema=schema, name=base, table=found.table, exclude=found.exclude,
                               cluster=t.cluster)
        idle_since = [time.monotonic()]

        def stop(progress: cdc.Progress, idle: bool) -> bool:
            idle_since[0] = idle_since[0] if idle else time.monotonic()
            return until_idle is not None and time.monotonic() - idle_since[0] >= until_idle

        try:
            progress = cdc.run(applier, kafka, found.names.topic, stop)
        finally:
            kafka.close()
    typer.echo(f"`{found.table}`: read {progress.read} change events, applied {progress.applied}, failed "
               f"{progress.failed}" + (f"; followed the source with {len(progress.followed)} ALTER(s)" if progress.followed else ""))
