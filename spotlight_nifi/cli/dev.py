"""`spotlight-nifi dev ...`: the local stack (Kafka, PostgreSQL, ClickHouse engine, NiFi 2.3.0, NiFi Registry,
and on request Kafka Connect with Debezium)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from spotlight_nifi import stack
from spotlight_nifi.config import Settings
from spotlight_nifi.stack.process import log_tail

app = typer.Typer(no_args_is_help=True, help="Run the local stack as plain processes on 127.0.0.1: Kafka (KRaft), "
                  "PostgreSQL, the embedded ClickHouse engine over HTTP, NiFi 2.3.0 and NiFi Registry; "
                  "with `--with cdc`, Kafka Connect with Debezium's PostgreSQL connector too.")
console = Console(highlight=False)

StackDir = typer.Option(None, "--stack-dir", help="Run dir for state, data and logs (env SPOTLIGHT_STACK_DIR, default ./.spotlight/stack).")
With = typer.Option(None, "--with", help="Also the services of this group: `cdc` (Kafka Connect with Debezium).")
_COLORS = {"healthy": "green", "unhealthy": "yellow", "exited": "red", "stopped": "dim"}


def _dirs(stack_dir: Path | None) -> tuple[Path, Path]:
    settings = Settings.load()
    return stack.stack_dir(settings, stack_dir), stack.cache_dir(settings)


def _progress() -> Progress:
    return Progress(SpinnerColumn(finished_text="[green]✓[/green]"), TextColumn("{task.description}"),
                    TimeElapsedColumn(), console=console)


@app.command()
def install(with_: list[str] = With, stack_dir: Path = StackDir) -> None:
    """Download and assemble what the services need (into the cache); `up` then downloads nothing."""
    with _progress() as progress:
        names = stack.install(_dirs(stack_dir)[1], progress, with_)
    console.print(f"installed: {', '.join(names)}")


@app.command()
def up(
    services: list[str] = typer.Argument(None, help="Services to start (default: all but `connect`)."),
    with_: list[str] = With,
    kafka_port: int = typer.Option(0, help="Kafka broker port (default: last run's, else a free one)."),
    postgres_port: int = typer.Option(0, help="PostgreSQL port (default: last run's, else a free one)."),
    clickhouse_port: int = typer.Option(0, help="ClickHouse HTTP port (default: last run's, else a free one)."),
    nifi_port: int = typer.Option(0, help="NiFi HTTP port (default: last run's, else a free one)."),
    connect_port: int = typer.Option(0, help="Kafka Connect REST port (default: last run's, else a free one)."),
    stack_dir: Path = StackDir,
) -> None:
    """Download (once), start and health-check the local services."""
    run_dir, cache = _dirs(stack_dir)
    ports = {"kafka": kafka_port, "postgres": postgres_port, "clickhouse": clickhouse_port, "nifi": nifi_port,
             "connect": connect_port}
    with _progress() as progress:
        stack.up(run_dir, cache, services or None, ports, progress, with_)
    _print_status(run_dir, cache)


@app.command()
def status(stack_dir: Path = StackDir) -> None:
    """Show each service's URL, version, health and memory."""
    _print_status(*_dirs(stack_dir))


def _print_status(run_dir: Path, cache: Path) -> None:
    rows = stack.status(run_dir, cache)
    table = Table("service", "status", "url", "version", "pid", "rss", title=f"stack in {run_dir}")
    for row in rows:
        color = _COLORS[row.status]
        rss = f"{row.rss_bytes / 2**20:.0f} MiB" if row.rss_bytes else ""
        table.add_row(row.name, f"[{color}]{row.status}[/{color}]", row.url, row.version, str(row.pid or ""), rss)
    table.columns[2].overflow = "fold"
    console.print(table)
    for row in rows:
        if row.detail:
            console.print(f"[bold]{row.name}[/bold]: {row.detail}", markup=True)


@app.command()
def env(stack_dir: Path = StackDir) -> None:
    """Print `KEY=value` lines for the running services (append them to `.env`)."""
    run_dir, _ = _dirs(stack_dir)
    for running in stack.StackState.load(run_dir).running.values():
        for key, value in running.env.items():
            typer.echo(f"{key}={value}")


@app.command()
def logs(service: str, lines: int = typer.Option(50, "--lines", "-n", help="How many of the last lines."), stack_dir: Path = StackDir) -> None:
    """Show the end of a service's log."""
    path = stack.log_file(*_dirs(stack_dir), service)
    console.print(f"[dim]{path}[/dim]")
    typer.echo(log_tail(path, lines))


@app.command()
def down(purge: bool = typer.Option(False, help="Also delete the run dir (data and logs)."), stack_dir: Path = StackDir) -> None:
    """Stop every service; no process is left behind."""
    stopped = stack.down(*_dirs(stack_dir), purge=purge)
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
