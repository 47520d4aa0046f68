"""nomad/terraform: formatted as `terraform fmt` wants, declaring exactly the variables the tfvars
and the secrets need, using only arguments the Nomad provider's schema has, and rendering each
job template with `templatefile` into the job the structural tests check."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import SECRET_KEYS, render_all, render_terraform_vars, secret_variables, write
from tests.unit.infra.conftest import ROOT, fill, terraform

TERRAFORM = ROOT / "nomad" / "terraform"
OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)

PROVIDER_ARGUMENTS = {
    "nomad_job": {"jobspec", "policy_override", "deregister_on_destroy", "deregister_on_id_change", "detach", "hcl1",
                  "hcl2", "json", "purge_on_destroy", "consul_token", "vault_token"},
    "nomad_variable": {"path", "namespace", "items"},
}
"""Settable arguments of the hashicorp/nomad provider 2.x resources, from its schema
(nomad/resource_job.go, nomad/resource_variable.go): the provider itself cannot be downloaded
here (`terraform init` needs its registry), so this is the schema check that can be made."""
META_ARGUMENTS = {"for_each", "count", "depends_on", "provider", "lifecycle"}


def _parse(path: Path) -> dict[str, Any]:
    return hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=OPTIONS)


def _run_terraform(binary: str, args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    config = cwd / "empty.tfrc"
    config.write_text("")
    return subprocess.run([binary, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1"})


def _fmt_problems(text: str) -> list[str]:
    """What `terraform fmt` would change in `text`, for the constructs these files use: two-space
    indentation by nesting depth, `=` aligned within a run of single-line attributes, no trailing
    blanks, one final newline. Used only where no `terraform` binary exists."""
    problems, depth, run = [], 0, []
    lines = text.split("\n")
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append("the file must end with exactly one newline")

    def close_run() -> None:
        if run and {line.index("=") for line in run} != {max(len(line.split("=", 1)[0].rstrip()) for line in run) + 1}:
            problems.append(f"`=` not aligned one space after the longest name in: {run}")
        run.clear()

    for number, line in enumerate(lines[:-1], start=1):
        stripped = line.strip()
        if line != line.rstrip():
            problems.append(f"line {number}: trailing blank")
        if "\t" in line:
            problems.append(f"line {number}: tab")
        code = re.sub(r'"(\\.|[^"\\])*"', '""', stripped)
        opens, closes = code.count("{") + code.count("[") + code.count("("), code.count("}") + code.count("]") + code.count(")")
        leading_close = stripped[:1] in ("}", "]", ")")
        expected = 2 * (depth - 1 if leading_close else depth)
        if stripped and not stripped.startswith("#") and len(line) - len(line.lstrip()) != expected:
            problems.append(f"line {number}: indented {len(line) - len(line.lstrip())}, expected {expected}")
        single = re.match(r"^[A-Za-z_][A-Za-z0-9_]* +=", stripped) and opens == closes
        if single:
            run.append(line.strip())
        else:
            close_run()
        depth += opens - closes
    close_run()
    return problems


@pytest.mark.parametrize("name", ["main.tf", "variables.tf"])
def test_terraform_files_are_formatted(name: str, tmp_path: Path) -> None:
    binary = terraform()
    if binary is None:
        assert _fmt_problems((TERRAFORM / name).read_text()) == []
        return
    checked = _run_terraform(binary, ["fmt", "-check", "-diff", str(TERRAFORM / name)], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_fallback_format_check_finds_what_fmt_would_change() -> None:
    assert _fmt_problems('variable "x" {\n  type = string\n  sensitive   = true\n}\n')
    assert _fmt_problems('variable "x" {\n    type = string\n}\n')
    assert _fmt_problems((TERRAFORM / "main.tf").read_text()) == []
    assert _fmt_problems((TERRAFORM / "variables.tf").read_text()) == []


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


def test_templatefile_makes_the_jobs_the_structural_tests_check(scenario: Settings, tmp_path: Path) -> None:
    """Terraform's own `templatefile`, run with `terraform console` (it needs no provider), gives
    exactly the jobs `fill` gives, so the structural tests check what Nomad receives."""
    binary = terraform()
    if binary is None:
        pytest.skip("no `terraform` binary here: `fill` stands in for templatefile unchecked")
    rendered = render_all(scenario)
    write(tmp_path, rendered)
    tfvars = tmp_path / "nomad" / "terraform" / "terraform.tfvars.json"
    jobs = sorted(path.removeprefix("nomad/").removesuffix(".nomad.hcl") for path in rendered if path.endswith(".nomad.hcl"))
    expression = (f'base64encode(jsonencode({{for name in {json.dumps(jobs)} : name => templatefile('
                  f'"{tmp_path}/nomad/${{name}}.nomad.hcl", jsondecode(file("{tfvars}")).settings)}}))\n')
    console = _run_terraform(binary, ["console"], tmp_path, expression)
    assert console.returncode == 0, console.stderr
    filled = json.loads(base64.b64decode(json.loads(console.stdout.strip())))
    values = json.loads(rendered["nomad/terraform/terraform.tfvars.json"])["settings"]
    assert filled == {job: fill(rendered[f"nomad/{job}.nomad.hcl"], values) for job in jobs}
