"""`spotlight-nifi infra ...`: render docker-compose.yml, Nomad job templates and Terraform variables from `.env`."""

from __future__ import annotations

from pathlib import Path

import typer

from spotlight_nifi import infra
from spotlight_nifi.config import Settings

app = typer.Typer(no_args_is_help=True, help="Render docker-compose.yml, nomad/ jobs and Terraform variables from .env.")

EnvFile = typer.Option(Path(".env"), "--env-file", help="The .env to render from (example.env documents every key).")
Out = typer.Option(Path("."), "--out", help="Repository root the files are written under (or compared with).")


@app.command()
def render(env_file: Path = EnvFile, out: Path = Out) -> None:
    """Write docker-compose.yml, nomad/*.nomad.hcl (Terraform templates) and nomad/terraform/terraform.tfvars.json."""
    for path in infra.write(out, infra.render_all(Settings.load(env_file))):
        typer.echo(f"wrote {out / path}")
    typer.echo("Terraform reads the secrets from: " + " ".join(infra.secret_variables()))


@app.command()
def check(env_file: Path = EnvFile, out: Path = Out) -> None:
    """Fail naming the key when a .env value is missing or invalid, or the file when a rendered one drifted."""
    changed = infra.drift(out, infra.render_all(Settings.load(env_file)))
    if changed:
        raise infra.InfraDriftError(env_file, changed)
    typer.echo(f"`{env_file}` is valid and the rendered files are up to date")
