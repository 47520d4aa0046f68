"""nomad/terraform: formatted as `terraform fmt` (OpenTofu's `tofu fmt` here) wants, declaring exactly
the variables the tfvars and the secrets need, using only arguments the Nomad provider's schema has,
and rendering each job template with `templatefile` into the job the structural tests check."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import SECRET_KEYS, render_all, render_terraform_vars, secret_variables, write
from tests.unit.infra.conftest import ROOT, fill

TERRAFORM = ROOT / "nomad" / "terraform"
OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)

PROVIDER_ARGUMENTS = {
    "nomad_job": {"jobspec", "policy_override", "deregister_on_destroy", "deregister_on_id_change", "detach", "hcl1",
                  "hcl2", "json", "purge_on_destroy", "consul_token", "vault_token"},
    "nomad_variable": {"path", "namespace", "items"},
}
"""Settable arguments of the hashicorp/nomad provider 2.x resources, from its schema
(nomad/resource_job.go, nomad/resource_variable.go): the provider itself cannot be downloaded
here (`tofu init` needs registry.opentofu.org), so this is the schema check that can be made."""
META_ARGUMENTS = {"for_each", "count", "depends_on", "provider", "lifecycle"}


def _parse(path: Path) -> dict[str, Any]:
    return hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=OPTIONS)


def _run_terraform(binary: Path, args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    config = cwd / "empty.tfrc"
    config.write_text("")
    return subprocess.run([binary, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1"})


@pytest.mark.parametrize("name", ["main.tf", "variables.tf"])
def test_terraform_files_are_formatted(name: str, terraform: Path, tmp_path: Path) -> None:
    checked = _run_terraform(terraform, ["fmt", "-check", "-diff", str(TERRAFORM / name)], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_format_check_fails_on_a_misformatted_file(terraform: Path, tmp_path: Path) -> None:
    """The check above can fail: a copy of variables.tf indented four spaces deep is refused."""
    copy = tmp_path / "variables.tf"
    copy.write_text((TERRAFORM / "variables.tf").read_text().replace("\n  ", "\n    "))
    checked = _run_terraform(terraform, ["fmt", "-check", "-diff", str(copy)], tmp_path)
    assert checked.returncode != 0
    assert copy.name in checked.stdout.splitlines()


def test_terraform_declares_the_tfvars_and_the_sensitive_secret_variables(example: Settings) -> None:
    declared = {name: body for block in _parse(TERRAFORM / "variables.tf")["variable"] for name, body in block.items()}
    tfvars = json.loads(render_terraform_vars(example))
    secret_names = {name.removeprefix("TF_VAR_") for name in secret_variables()}
    assert set(declared) == set(tfvars) | secret_names
    for name in secret_names:
        assert declared[name].get("sensitive") is True, name
    for name in tfvars:
        assert "sensitive" not in declared[name], name


def test_terraform_renders_every_job_with_templatefile_and_maps_every_secret() -> None:
    main = _parse(TERRAFORM / "main.tf")
    resources = {kind: body for block in main["resource"] for kind, labelled in block.items() for body in [labelled]}
    job = resources["nomad_job"]["service"]
    assert job["jobspec"] == '${templatefile("${path.module}/../${each.key}.nomad.hcl", var.settings)}'
    assert "nomad/jobs/" in resources["nomad_variable"]["secrets"]["path"]
    assert set(main["locals"][0]["secrets"]) == set(SECRET_KEYS)
    for kind, by_name in resources.items():
        for body in by_name.values():
            assert set(body) - META_ARGUMENTS <= PROVIDER_ARGUMENTS[kind], kind
    assert set(main["provider"][0]["nomad"]) == {"address"}


def test_templatefile_makes_the_jobs_the_structural_tests_check(scenario: Settings, terraform: Path, tmp_path: Path) -> None:
    """Terraform's own `templatefile`, run with `tofu console` (it needs no provider), gives
    exactly the jobs `fill` gives, so the structural tests check what Nomad receives."""
    rendered = render_all(scenario)
    write(tmp_path, rendered)
    tfvars = tmp_path / "nomad" / "terraform" / "terraform.tfvars.json"
    jobs = sorted(path.removeprefix("nomad/").removesuffix(".nomad.hcl") for path in rendered if path.endswith(".nomad.hcl"))
    expression = (f'base64encode(jsonencode({{for name in {json.dumps(jobs)} : name => templatefile('
                  f'"{tmp_path}/nomad/${{name}}.nomad.hcl", jsondecode(file("{tfvars}")).settings)}}))\n')
    console = _run_terraform(terraform, ["console"], tmp_path, expression)
    assert console.returncode == 0, console.stderr
    filled = json.loads(base64.b64decode(json.loads(console.stdout.strip())))
    values = json.loads(rendered["nomad/terraform/terraform.tfvars.json"])["settings"]
    assert filled == {job: fill(rendered[f"nomad/{job}.nomad.hcl"], values) for job in jobs}
