"""`spotlight-nifi deploy` and `status`: flow versions on each environment's NiFi canvas."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from spotlight_nifi.canvas import Deployment, deploy, status
from spotlight_nifi.cli.flows import ENV_FILE, FLOWS_DIR, NIFI_VERSION
from spotlight_nifi.cli.registry import CONFIG, FLOWS
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.target import target_release
from spotlight_nifi.registry import load_environment
from spotlight_nifi.stack import cache_dir

DONE = {"create": "created", "upgrade": "upgraded in place", "unchanged": "unchanged"}


def _print(console: Console, deployment: Deployment) -> None:
    record = deployment.record
    running = sum(c.up for c in deployment.components)
    console.print(f"`{deployment.flow}`: {DONE[deployment.action]}, {record.describe() if record else ''}; "
                  f"{running} of {len(deployment.components)} components running or enabled", markup=False)
    if deployment.parameters:
        console.print(f"  parameters set from the environment: {', '.join(deployment.parameters)}", markup=False)
    for ghost in deployment.ghosts():
        console.print(f"  [yellow]not running:[/yellow] {escape(ghost.line())}")


def register(app: typer.Typer) -> None:
    """Add deploy and status to the root app."""

    @app.command("deploy")
    def deploy_command(flows: list[str] = FLOWS,
                       env: str = typer.Option(..., "--env", help="Environment: its registry gives the version, "
                                               "its NiFi (<ENV>_NIFI_URL, else NIFI_URL) gets it."),
                       version: str | None = typer.Option(None, "--version", help="Version to deploy (Git commit "
                                                          "SHA or a prefix, NiFi Registry number); default the latest."),
                       drop_queued: bool = typer.Option(False, "--drop-queued", help="Drop FlowFiles held in "
                                                        "connections the new version removes."),
                       force: bool = typer.Option(False, "--force", help="Replace changes made on the canvas since "
                                                  "the last deploy."),
                       config: Path | None = CONFIG, flows_dir: Path = FLOWS_DIR, env_file: Path = ENV_FILE) -> None:
        """Put flow versions from the environment's registry on its NiFi canvas, in place, and start them."""
        settings = Settings.load(env_file)
        console = Console(highlight=False, soft_wrap=True)
        deploy(flows_dir, flows or (), load_environment(env, settings, config), settings, cache=cache_dir(settings),
               version=version, force=force, drop_queued=drop_queued, progress=lambda d: _print(console, d),
               notice=console.print)

    @app.command("status")
    def status_command(env: str = typer.Option("dev", "--env", help="Environment to look at."),
                       config: Path | None = CONFIG, flows_dir: Path = FLOWS_DIR, env_file: Path = ENV_FILE,
                       nifi_version: str | None = NIFI_VERSION) -> None:
        """Per flow: the version in code, in the environment's registry and on its canvas; local changes."""
        settings = Settings.load(env_file)
        found = status(flows_dir, load_environment(env, settings, config), settings, cache=cache_dir(settings),
                       target=target_release(settings, nifi_version, env))
        console = Console(highlight=False, soft_wrap=True)
        console.print(f"environment `{env}`")
        for row in found:
            console.print(row.report(), markup=False)
