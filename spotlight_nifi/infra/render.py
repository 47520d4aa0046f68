"""Every rendered file by its path: docker-compose.yml, the Nomad job templates, the Terraform variables.

Both deployment targets translate the one service table of `spotlight_nifi.infra.services`;
output is deterministic (sorted keys, fixed order), so the committed files are golden files.
"""

from __future__ import annotations

from spotlight_nifi.config import Settings
from spotlight_nifi.infra.compose import render_compose
from spotlight_nifi.infra.nomad import render_nomad_jobs
from spotlight_nifi.infra.tfvars import render_terraform_vars

COMPOSE_FILE = "docker-compose.yml"
NOMAD_DIR = "nomad"
TFVARS_FILE = "nomad/terraform/terraform.tfvars.json"


def render_all(settings: Settings) -> dict[str, str]:
    """Every rendered file by its path relative to the repository root."""
    files = {COMPOSE_FILE: render_compose(settings), TFVARS_FILE: render_terraform_vars(settings)}
    files |= {f"{NOMAD_DIR}/{name}": text for name, text in render_nomad_jobs(settings).items()}
    return dict(sorted(files.items()))
