"""`.env` → docker-compose.yml, nomad/ job templates and Terraform variables (pure rendering + a thin I/O edge)."""

from __future__ import annotations

from spotlight_nifi.infra.compose import render_compose
from spotlight_nifi.infra.files import InfraDriftError, drift, write
from spotlight_nifi.infra.nomad import render_nomad_jobs
from spotlight_nifi.infra.render import render_all
from spotlight_nifi.infra.spec import SECRET_KEYS, load_config
from spotlight_nifi.infra.tfvars import render_terraform_vars, secret_variables

__all__ = [
    "SECRET_KEYS",
    "InfraDriftError",
    "drift",
    "load_config",
    "render_all",
    "render_compose",
    "render_nomad_jobs",
    "render_terraform_vars",
    "secret_variables",
    "write",
]
