"""`spotlight-nifi push` and `promote`: flow versions in each environment's flow registry."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from spotlight_nifi.cli.flows import ENV_FILE, FLOWS_DIR, MANIFEST, NIFI_VERSION, STRICT
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.target import target_manifest, target_release
from spotlight_nifi.registry import Report, load_environment, promote, push_flows
from spotlight_nifi.stack import cache_dir

CONFIG = typer.Option(None, "--registry-config", help="Environments file (else SPOTLIGHT_REGISTRY_CONFIG, "
                      "else registry/environments.yaml).")
AUTHOR = typer.Option(None, "--author", help="'Name <email>' of the new versions (else git config user.name/email).")
REGISTRY = typer.Option(None, "--registry", help="Registry URL or path for this push (overrides the config).")
FLOWS = typer.Argument(None, help="Flow names or module names; all when none.")
FORCE = typer.Option(False, "--force", help="Put the new version on top even if the registry moved since your source.")


def _print(report: Report) -> None:
    console = Console(highlight=False, soft_wrap=True)
    for outcome in report.outcomes:
        state = "new" if outcome.created else "[dim]unchanged, no version created:[/dim]"
        console.print(f"`{outcome.flow}`: {state} {outcome.version.describe()} in `{report.environment}`")
    created = sum(o.created for o in report.outcomes)
    console.print(f"{created} new version(s), {len(report.outcomes) - created} unchanged; {report.registry}")


def register(app: typer.Typer) -> None:
    """Add push and promote to the root app."""

    @app.command("push")
    def push_command(flows: list[str] = FLOWS,
                     env: str = typer.Option(..., "--env", help="Environment whose registry gets the versions."),
                     message: str = typer.Option(..., "--message", "-m", help="What changed (the version comment)."),
                     force: bool = FORCE, author: str | None = AUTHOR, registry: str | None = REGISTRY,
                     config: Path | None = CONFIG, flows_dir: Path = FLOWS_DIR, manifest: Path | None = MANIFEST,
                     strict: bool = STRICT, env_file: Path = ENV_FILE,
                     nifi_version: str | None = NIFI_VERSION) -> None:
        """Build and validate flows, then write each changed one as a new version in the environment's registry."""
        settings = Settings.load(env_file)
        environment = load_environment(env, settings, config, url=registry)
        target = target_release(settings, nifi_version, env)
        checked = target_manifest(settings, manifest, target=target, environment=env)
        _print(push_flows(flows_dir, checked, flows or (), environment, message=message, cache=cache_dir(settings),
                          author=author, force=force, strict=strict, target=target))

    @app.command("promote")
    def promote_command(flow: str = typer.Argument(..., help="Flow name (or its registry id)."),
                        origin: str = typer.Option(..., "--from", help="Environment to take the latest version from."),
                        target: str = typer.Option(..., "--to", help="Environment that gets it as its next version."),
                        message: str | None = typer.Option(None, "--message", "-m", help="Version comment."),
                        force: bool = FORCE, author: str | None = AUTHOR, config: Path | None = CONFIG,
                        env_file: Path = ENV_FILE) -> None:
        """Copy a flow's latest version to another environment, with that one's parameter values; nothing is rebuilt."""
        settings = Settings.load(env_file)
        _print(promote(flow, load_environment(origin, settings, config), load_environment(target, settings, config),
                       cache=cache_dir(settings), repo=Path.cwd(), message=message, author=author, force=force))
