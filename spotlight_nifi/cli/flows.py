"""`spotlight-nifi build`, `validate` and `diff`: flows as code."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from spotlight_nifi.canvas.status import Against, compare
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import FlowLoadError
from spotlight_nifi.flow.build import BuildResult, build, check
from spotlight_nifi.flow.diff import diff_flows
from spotlight_nifi.flow.release import Release
from spotlight_nifi.flow.target import target_manifest, target_release
from spotlight_nifi.registry import load_environment
from spotlight_nifi.stack import cache_dir

FLOWS_DIR = typer.Option(Path("flows"), "--flows", help="Directory of flow modules.")
MANIFEST = typer.Option(None, "--manifest", help="Runtime manifest JSON file (else NIFI_RUNTIME_MANIFEST, "
                        "NIFI_URL, or the target version's published artifacts).")
NIFI_VERSION = typer.Option(None, "--nifi-version", help="NiFi release to compile for (else NIFI_VERSION, "
                            "else the pinned one): its property keys and bundle versions.")
ENVIRONMENT = typer.Option(None, "--environment", help="Environment whose settings to use first "
                           "(e.g. dev reads DEV_NIFI_VERSION before NIFI_VERSION).")
STRICT = typer.Option(False, "--strict", help="Fail when a component's bundle is not in the manifest.")
ENV_FILE = typer.Option(Path(".env"), "--env-file", help="The .env file to read settings from.")


def _report(console: Console, verb: str, result: BuildResult, source: str, target: Release) -> None:
    for bundle, paths in sorted(result.unchecked.items()):
        console.print(f"[yellow]not checked:[/yellow] {len(paths)} component(s) of bundle `{bundle}`, which the "
                      "runtime manifest does not hold (--strict makes this an error)")
    unchecked = sum(len(paths) for paths in result.unchecked.values())
    console.print(f"{len(result.flows)} flow(s) {verb} for NiFi {target.version}; structure checked, components "
                  f"checked against {source}" + (f" except {unchecked} not checked" if unchecked else ""))


def register(app: typer.Typer) -> None:
    """Add build, validate and diff to the root app."""

    @app.command("build")
    def build_command(flows: list[str] = typer.Argument(None, help="Flow names or module names; all when none."),
                      out: Path = typer.Option(Path("build/flows"), "--out", help="Output directory."),
                      flows_dir: Path = FLOWS_DIR, manifest: Path | None = MANIFEST, strict: bool = STRICT,
                      env_file: Path = ENV_FILE, nifi_version: str | None = NIFI_VERSION,
                      environment: str | None = ENVIRONMENT) -> None:
        """Compile flows to NiFi flow-definition JSON, after validating them against the runtime manifest."""
        console = Console(highlight=False, soft_wrap=True)
        settings = Settings.load(env_file)
        target = target_release(settings, nifi_version, environment)
        checked = target_manifest(settings, manifest, target=target, environment=environment)
        result = build(flows_dir, out, checked, flows or (), strict=strict, target=target)
        for path in result.written:
            console.print(f"wrote {path}")
        _report(console, "built", result, checked.source, target)

    @app.command("validate")
    def validate_command(flows: list[str] = typer.Argument(None, help="Flow names or module names; all when none."),
                         flows_dir: Path = FLOWS_DIR, manifest: Path | None = MANIFEST, strict: bool = STRICT,
                         env_file: Path = ENV_FILE, nifi_version: str | None = NIFI_VERSION,
                         environment: str | None = ENVIRONMENT) -> None:
        """Check flows against the runtime manifest without writing anything."""
        console = Console(highlight=False, soft_wrap=True)
        settings = Settings.load(env_file)
        target = target_release(settings, nifi_version, environment)
        checked = target_manifest(settings, manifest, target=target, environment=environment)
        result = check(flows_dir, checked, flows or (), strict=strict, target=target)
        _report(console, "valid", result, checked.source, target)

    @app.command("diff")
    def diff_command(old: str = typer.Argument(..., help="Older flow definition JSON, or FLOW with --env."),
                     new: Path | None = typer.Argument(None, help="Newer flow definition JSON (without --env)."),
                     env: str | None = typer.Option(None, "--env", help="Compare FLOW's code with this "
                                                    "environment's registry or canvas."),
                     against: Against = typer.Option("registry", "--against", help="registry (its latest version, "
                                                      "or --version) or canvas (the flow as it runs there)."),
                     version: str | None = typer.Option(None, "--version", help="Registry version to compare with."),
                     config: Path | None = typer.Option(None, "--registry-config", help="Environments file."),
                     flows_dir: Path = FLOWS_DIR, env_file: Path = ENV_FILE,
                     nifi_version: str | None = NIFI_VERSION) -> None:
        """Semantic diff of two flow definitions, or from an environment's registry or canvas to a flow's
        code: components added, removed, changed; secrets masked."""
        if (new is None) == (env is None):
            raise typer.BadParameter("give OLD.json NEW.json, or one FLOW with --env", param_hint="NEW")
        if new is not None:
            typer.echo(diff_flows(_read(Path(old)), _read(new)).text())
            return
        settings = Settings.load(env_file)
        typer.echo(compare(flows_dir, old, load_environment(str(env), settings, config), settings,
                           cache=cache_dir(settings), target=target_release(settings, nifi_version, env),
                           against=against, version=version).text())


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FlowLoadError(str(path), "", f"cannot read flow definition: {error}") from error
