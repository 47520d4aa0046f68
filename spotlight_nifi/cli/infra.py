"""`spotlight-nifi infra ...`: render docker-compose.yml, Nomad job templates and Terraform variables from `.env`."""

from __future__ import annotations

from pathlib import Path

import typer

from spotlight_nifi import infra
from spotlight_nifi.config import Settings
from spotlight_nifi.infra import certs

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
    settings = Settings.load(env_file)
    changed = infra.drift(out, infra.render_all(settings))
    certs.check(settings)
    if changed:
        raise infra.InfraDriftError(env_file, changed)
    typer.echo(f"`{env_file}` is valid and the rendered files are up to date")


@app.command("certs")
def issue_certs(env_file: Path = EnvFile,
                out: Path = typer.Option(Path("secrets"), "--out", help="Where the admin's keystore and the CA certificate go.")) -> None:
    """Make the NiFi cluster's CA (once, into .env) and the admin's client certificate (`NIFI_NODES` > 1)."""
    issued = certs.issue(env_file, out)
    typer.echo(f"{'created' if issued.ca_created else 'kept'} the NiFi cluster's CA in `{env_file}` ({certs.CA_KEYSTORE})")
    typer.echo(f"wrote {issued.ca_pem} (trust it in the browser) and {issued.admin_keystore} "
               f"(the client certificate of `{issued.admin_identity}`, protected by NIFI_PASSWORD)")
