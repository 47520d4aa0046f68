"""terraform.tfvars.json: what nomad/terraform needs from `.env`, secrets excepted.

`settings` holds every non-secret value the job templates reference (`templatefile` fills them
in); `job_secrets` names, per job, the secret keys its Nomad variable must hold, whose values
Terraform takes only from `TF_VAR_<key lower-cased>`.
"""

from __future__ import annotations

import json

from spotlight_nifi.config import Settings
from spotlight_nifi.infra.nomad import nomad_services
from spotlight_nifi.infra.spec import SECRET_KEYS, Service, load_config


def secret_variable(key: str) -> str:
    """The Terraform variable that carries the secret `.env` key `key` (supplied as `TF_VAR_<name>`)."""
    return key.lower()


def secret_variables() -> list[str]:
    """The environment variables Terraform reads the secrets from, e.g. `TF_VAR_nifi_password`."""
    return [f"TF_VAR_{secret_variable(key)}" for key in SECRET_KEYS]


def job_secrets(stack: tuple[Service, ...]) -> dict[str, list[str]]:
    """For each job, the secret `.env` keys its Nomad variable must hold."""
    needed = {s.name: sorted({*s.task.secrets.values(), *(s.init.secrets.values() if s.init else ())}) for s in stack}
    return {job: keys for job, keys in needed.items() if keys}


def render_terraform_vars(settings: Settings) -> str:
    config = load_config(settings)
    stack = nomad_services(settings)
    values = {
        "nomad_address": config.value("NOMAD_ADDR"),
        "nomad_namespace": config.value("NOMAD_NAMESPACE"),
        "jobs": sorted(service.name for service in stack),
        "job_secrets": job_secrets(stack),
        "settings": config.values,
    }
    return json.dumps(values, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
