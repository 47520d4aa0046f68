"""`spotlight-nifi failures ...`: the data stewards' review of records that could not be loaded."""

from __future__ import annotations

import getpass
from datetime import datetime

import typer
from confluent_kafka import Producer
from rich.console import Console
from rich.table import Table

from spotlight_nifi import failures
from spotlight_nifi.config import Settings

app = typer.Typer(no_args_is_help=True, help="Review, resolve, ignore and replay records that could not be loaded.")
console = Console(highlight=False, soft_wrap=True)

DsnOption = typer.Option(None, "--dsn", help="libpq DSN of the failure DB (env FAILURE_DB_DSN).")
ByOption = typer.Option(None, "--by", help="Who decides (default: the current user).")
NoteOption = typer.Option(None, "--note", help="Why: kept with the record.")


def _dsn(dsn: str | None) -> str:
    return dsn or Settings.load().require("FAILURE_DB_DSN", hint="`spotlight-nifi dev env` prints the local stack's")


@app.command()
def migrate(dsn: str = DsnOption) -> None:
    """Create or update the failure DB's tables (safe to run again)."""
    applied = failures.migrate(_dsn(dsn))
    console.print(f"applied: {', '.join(applied)}" if applied else "the failure DB is up to date")


@app.command("list")
def list_(
    status: failures.Status = typer.Option(None, help="Only this status."),
    flow: str = typer.Option(None, help="Only this flow."),
    topic: str = typer.Option(None, help="Only this Kafka topic."),
    since: datetime = typer.Option(None, help="Only records first seen at or after this time."),
    limit: int = typer.Option(50, help="At most this many, newest first."),
    dsn: str = DsnOption,
) -> None:
    """List failed records, newest first."""
    rows = failures.list_failures(_dsn(dsn), status=status, flow=flow, topic=topic, since=since, limit=limit)
    table = Table("id", "status", "attempts", "source", "flow", "processor", "first seen", "reason", "payload")
    for row in rows:
        preview = failures.payload_text(row.payload)[0][:40]
        table.add_row(str(row.id), row.status, str(row.attempts), row.source, row.flow, row.processor,
                      f"{row.first_seen:%Y-%m-%d %H:%M:%S}", row.reason, preview)
    console.print(table)
    console.print(f"{len(rows)} record(s)")


@app.command()
def show(record_id: int = typer.Argument(..., metavar="ID"), dsn: str = DsnOption) -> None:
    """Show one record with its raw payload (safe to print even when it is not UTF-8)."""
    row = failures.get_failure(_dsn(dsn), record_id)
    text, valid = failures.payload_text(row.payload)
    fields = {"id": row.id, "status": row.status, "source": row.source, "flow": row.flow, "processor": row.processor,
              "reason": row.reason, "attempts": row.attempts, "first seen": row.first_seen, "last seen": row.last_seen,
              "resolved by": row.resolved_by or "", "note": row.note or ""}
    for name, value in fields.items():
        console.print(f"{name:>12}: {value}", markup=False)
    encoding = "UTF-8" if valid else "not valid UTF-8, undecodable bytes shown as \\xNN"
    console.print(f"{'payload':>12}: {len(row.payload)} bytes, {encoding}", markup=False)
    console.print(text, markup=False)


@app.command()
def resolve(record_id: int = typer.Argument(..., metavar="ID"), by: str = ByOption, note: str = NoteOption,
            dsn: str = DsnOption) -> None:
    """Mark a record resolved (handled some other way)."""
    row = failures.resolve(_dsn(dsn), record_id, by or getpass.getuser(), note)
    console.print(f"record {row.id}: resolved by {row.resolved_by}", markup=False)


@app.command()
def ignore(record_id: int = typer.Argument(..., metavar="ID"), by: str = ByOption, note: str = NoteOption,
           dsn: str = DsnOption) -> None:
    """Mark a record ignored (never to be loaded)."""
    row = failures.ignore(_dsn(dsn), record_id, by or getpass.getuser(), note)
    console.print(f"record {row.id}: ignored by {row.resolved_by}", markup=False)


@app.command()
def replay(
    record_ids: list[int] = typer.Argument(..., metavar="ID..."),
    to_topic: str = typer.Option(None, "--to-topic", help="Publish here instead of each record's original topic."),
    to_url: str = typer.Option(None, "--to-url", help="POST records of HTTP batches to this flow ingress "
                               "(http://nifi:8081/events) instead of publishing to Kafka."),
    bootstrap_servers: str = typer.Option(None, "--bootstrap-servers", help="Kafka (env KAFKA_BOOTSTRAP_SERVERS)."),
    dsn: str = DsnOption,
) -> None:
    """Publish records' raw bytes back to Kafka (or POST them to a flow's HTTP ingress) and mark them replayed."""
    if to_url:
        for row in failures.replay_http(_dsn(dsn), record_ids, to_url, by=getpass.getuser()):
            console.print(f"record {row.id}: replayed to {to_url}", markup=False)
        return
    servers = bootstrap_servers or Settings.load().require("KAFKA_BOOTSTRAP_SERVERS")
    producer = Producer({"bootstrap.servers": servers, "enable.idempotence": True})
    rows = failures.replay(_dsn(dsn), record_ids, producer, to_topic, by=getpass.getuser())
    for row in rows:
        console.print(f"record {row.id}: replayed to {to_topic or row.topic}", markup=False)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback unless told otherwise)."),
    port: int = typer.Option(8090, help="Port to listen on."),
    dsn: str = DsnOption,
) -> None:
    """Serve the data stewards' web page (login required) until Ctrl-C."""
    from spotlight_nifi import web

    config = web.WebConfig.load(Settings.load(), dsn=dsn)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]listening on {host}: anyone who reaches it sees the login page; put TLS in front "
                      "and set FAILURES_WEB_SECURE_COOKIE=true[/yellow]")
    console.print(f"failure review for `{config.user}` on http://{host}:{port}/ (Ctrl-C stops)", markup=False)
    web.serve(config, host, port)


@app.command("hash-password")
def hash_password() -> None:
    """Print the `.env` line holding a hash of the steward's password (asked, never echoed)."""
    from spotlight_nifi import web

    password = typer.prompt("steward password", hide_input=True, confirmation_prompt=True)
    typer.echo(f"FAILURES_WEB_PASSWORD_HASH='{web.password_hash(password)}'")
