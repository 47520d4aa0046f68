"""Every Nomad job file parses as HCL (python-hcl2) with the expected job/group/task shape, and
the committed Terraform declares exactly the variables the rendered tfvars and the secrets need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import SECRET_KEYS, render_nomad_jobs, render_terraform_vars, secret_variables
from spotlight_nifi.infra.render import NOMAD_TARGET
from spotlight_nifi.infra.spec import load_config, services

ROOT = Path(__file__).resolve().parents[3]
OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def _parse(text: str) -> dict[str, Any]:
    return hcl2.loads(text, serialization_options=OPTIONS)


def _labelled(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {label: body for block in blocks for label, body in block.items()}


def test_every_job_has_one_group_with_its_docker_task(example: Settings) -> None:
    stack = {service.name: service for service in services(load_config(example), NOMAD_TARGET)}
    jobs = render_nomad_jobs(example)
    assert sorted(jobs) == sorted(f"{name}.nomad.hcl" for name in stack)
    for file_name, text in jobs.items():
        name = file_name.removesuffix(".nomad.hcl")
        job = _labelled(_parse(text)["job"])
        assert list(job) == [name]
        assert job[name]["datacenters"] == [example.get("NOMAD_DATACENTER")]
        assert job[name]["namespace"] == example.get("NOMAD_NAMESPACE")
        groups = _labelled(job[name]["group"])
        assert list(groups) == [name]
        group = groups[name]
        tasks = _labelled(group["task"])
        assert name in tasks, file_name
        task = tasks[name]
        assert task["driver"] == "docker"
        assert task["config"][0]["image"] == stack[name].task.image
        ports = _labelled(group["network"][0]["port"])
        assert {label: port["static"] for label, port in ports.items()} == {p.label: p.host for p in stack[name].ports}
        assert task["config"][0]["ports"] == list(ports)
        assert group["service"][0]["name"] == name
        assert task["resources"][0]["memory"] > 0


def test_secrets_come_only_from_the_jobs_nomad_variable(example: Settings) -> None:
    for file_name, text in render_nomad_jobs(example).items():
        name = file_name.removesuffix(".nomad.hcl")
        for task_name, task in _labelled(_labelled(_labelled(_parse(text)["job"])[name]["group"])[name]["task"]).items():
            env = task.get("env", [{}])[0]
            assert not set(env) & set(SECRET_KEYS), f"{file_name} task {task_name} sets a secret in env"
            data = "".join(str(t["data"]) for t in task.get("template", []))
            for key in SECRET_KEYS:
                if f".{key} }}}}" in data:
                    assert f'nomadVar "nomad/jobs/{name}"' in data


def test_the_clickhouse_job_creates_its_bucket_before_clickhouse_starts(example: Settings) -> None:
    job = _labelled(_parse(render_nomad_jobs(example)["clickhouse.nomad.hcl"])["job"])["clickhouse"]
    tasks = _labelled(_labelled(job["group"])["clickhouse"]["task"])
    assert tasks["clickhouse-init"]["lifecycle"][0] == {"hook": "prestart", "sidecar": False}
    templates = [t["destination"] for t in tasks["clickhouse"]["template"]]
    assert "local/storage.xml" in templates


def test_terraform_declares_the_tfvars_and_the_sensitive_secret_variables(example: Settings) -> None:
    declared = _labelled(_parse((ROOT / "nomad/terraform/variables.tf").read_text())["variable"])
    tfvars = json.loads(render_terraform_vars(example))
    secret_names = {name.removeprefix("TF_VAR_") for name in secret_variables()}
    assert set(declared) == set(tfvars) | secret_names
    for name in secret_names:
        assert declared[name].get("sensitive") is True, name
    for name in tfvars:
        assert "sensitive" not in declared[name], name


def test_terraform_runs_every_job_file_and_maps_every_secret() -> None:
    main = _parse((ROOT / "nomad/terraform/main.tf").read_text())
    resources = {kind: _labelled([body]) for block in main["resource"] for kind, body in block.items()}
    assert "service" in resources["nomad_job"]
    assert "nomad/jobs/" in resources["nomad_variable"]["secrets"]["path"]
    assert set(main["locals"][0]["secrets"]) == set(SECRET_KEYS)


@pytest.mark.parametrize("path", sorted((ROOT / "nomad").glob("*.nomad.hcl")), ids=lambda p: p.name)
def test_committed_job_files_parse(path: Path) -> None:
    assert "job" in _parse(path.read_text(encoding="utf-8"))
