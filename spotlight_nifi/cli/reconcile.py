"""`spotlight-nifi reconcile`: prove per partition that every Kafka record is loaded or failed."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from spotlight_nifi import failures
from spotlight_nifi.clickhouse import connect
from spotlight_nifi.config import Settings
from spotlight_nifi.failures import ReconcileError, Report

console = Console(highlight=False, soft_wrap=True)


def _ranges(ranges: list[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges) or "-"


def _print(report: Report) -> None:
    table = Table("partition", "offsets", "expected", "loaded", "failed", "missing", "duplicates",
                  title=f"topic {report.topic} → table {report.table}")
    for p in report.partitions:
        dups = ", ".join(f"{d.offset} (loaded {d.rows}x{' and failed' if d.failed else ''})" for d in p.duplicates)
        offsets = f"{p.start}-{p.end - 1}" if p.end > p.start else "-"
        table.add_row(str(p.partition), offsets, str(p.expected), str(p.loaded), str(p.failed),
                      _ranges(p.missing), dups or "-")
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command()
    def reconcile(
        topic: str = typer.Option(..., "--topic", help="Kafka topic to check."),
        table: str = typer.Option(None, "--table", help="ClickHouse table with `_kafka_partition`/`_kafka_offset` (default: the topic's name)."),
        since: datetime = typer.Option(None, "--since", help="Only offsets from this time on (Kafka timestamps)."),
        group: str = typer.Option(None, "--group", help="Check up to what this consumer group committed (default: the partition's end)."),
        bootstrap_servers: str = typer.Option(None, "--bootstrap-servers", help="Kafka (env KAFKA_BOOTSTRAP_SERVERS)."),
        clickhouse_url: str = typer.Option(None, "--clickhouse-url", help="ClickHouse (env CLICKHOUSE_URL)."),
        dsn: str = typer.Option(None, "--dsn", help="libpq DSN of the failure DB (env FAILURE_DB_DSN)."),
    ) -> None:
        """Kafka offsets vs ClickHouse rows plus failure rows, per partition; exit 1 when a record is missing."""
        settings = Settings.load()
        kafka = {"bootstrap.servers": bootstrap_servers or settings.require("KAFKA_BOOTSTRAP_SERVERS")}
        clickhouse = connect(clickhouse_url or settings.require("CLICKHOUSE_URL"))
        try:
            report = failures.reconcile(topic, kafka=kafka, clickhouse=clickhouse, table=table, since=since,
                                        group=group, failure_db=dsn or settings.require("FAILURE_DB_DSN"))
        finally:
            clickhouse.close()
        _print(report)
        if report.missing:
            raise ReconcileError(topic, f"{report.missing} offset(s) are neither in `{report.table}` nor in the "
                                        "failure DB (listed above)")
        console.print(f"nothing missing; {report.duplicates} duplicate offset(s)")
