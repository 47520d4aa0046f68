"""`.env` → docker-compose.yml, nomad/ job files and Terraform variables (pure rendering + a thin I/O edge)."""

from __future__ import annotations

from spotlight_nifi.infra.files import InfraDriftError, drift, write
from spotlight_nifi.infra.render import (
    render_all,
    render_compose,
    render_nomad_jobs,
    render_terraform_vars,
    secret_variables,
)
from spotlight_nifi.infra.spec import SECRET_KEYS

__all__ = [
    "SECRET_KEYS",
    "InfraDriftError",
    "drift",
    "render_all",
    "render_compose",
    "render_nomad_jobs",
    "render_terraform_vars",
    "secret_variables",
    "write",
]
