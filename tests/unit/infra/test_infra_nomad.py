"""Every Nomad job template, and the job Terraform's `templatefile` makes of it, parses as HCL
(python-hcl2) and passes structural checks: each task has resources, each service a health check,
and secrets come only from the job's Nomad variable."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import SECRET_KEYS, render_nomad_jobs, render_terraform_vars
from spotlight_nifi.infra.nomad import nomad_services
from tests.unit.infra.conftest import GOLDEN, ROOT, fill

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def _parse(text: str) -> dict[str, Any]:
    return hcl2.loads(text, serialization_options=OPTIONS)


def _labelled(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {label: body for block in blocks for label, body in block.items()}


def _jobs(settings: Settings) -> dict[str, dict[str, Any]]:
    """Each job as Nomad receives it: the template filled from the tfvars' settings, parsed."""
    values = json.loads(render_terraform_vars(settings))["settings"]
    return {name.removesuffix(".nomad.hcl"): _labelled(_parse(fill(text, values))["job"])[name.removesuffix(".nomad.hcl")]
            for name, text in render_nomad_jobs(settings).items()}


def test_every_job_runs_its_service_with_the_env_values(scenario: Settings) -> None:
    stack = {service.name: service for service in nomad_services(scenario)}
    jobs = _jobs(scenario)
    assert sorted(jobs) == sorted(stack)
    for name, job in jobs.items():
        assert job["datacenters"] == [scenario.get("NOMAD_DATACENTER")]
        assert job["namespace"] == scenario.get("NOMAD_NAMESPACE")
        group = _labelled(job["group"])[name]
        assert group["count"] == stack[name].count
        task = _labelled(group["task"])[name]
        assert task["driver"] == "docker"
        image_key = re.fullmatch(r"\ue000([A-Z_]+)\ue001", stack[name].task.image)
        assert image_key and task["config"][0]["image"] == scenario.get(image_key[1])
        ports = _labelled(group["network"][0]["port"])
        assert task["config"][0]["ports"] == list(ports)
        for port in ports.values():
            assert str(port["static"]).isdigit(), f"{name}: port {port}"


def test_each_task_has_resources_and_each_service_a_health_check(scenario: Settings) -> None:
    for name, job in _jobs(scenario).items():
        group = _labelled(job["group"])[name]
        service = group["service"][0]
        check = service["check"][0]
        assert service["name"] == name and service["port"] in _labelled(group["network"][0]["port"])
        assert check["type"] in ("http", "tcp") and check["interval"] and check["timeout"]
        assert (check["type"] == "http") == ("path" in check), name
        for task_name, task in _labelled(group["task"]).items():
            resources = task["resources"][0]
            assert resources["cpu"] > 0 and resources["memory"] > 0, f"{name}/{task_name}"
            if task_name != name:
                assert task["lifecycle"][0] == {"hook": "prestart", "sidecar": False}, f"{name}/{task_name}"


def test_secrets_come_only_from_the_jobs_nomad_variable(scenario: Settings) -> None:
    needed = json.loads(render_terraform_vars(scenario))["job_secrets"]
    for name, job in _jobs(scenario).items():
        for task_name, task in _labelled(_labelled(job["group"])[name]["task"]).items():
            env = task.get("env", [{}])[0]
            assert not set(env.values()) & {f"{{{{ .{key} }}}}" for key in SECRET_KEYS}, f"{name}/{task_name}"
            data = "".join(str(t["data"]) for t in task.get("template", []))
            read = set(re.findall(r"\{\{ \.([A-Z_]+) \}\}", data))
            assert read <= set(needed.get(name, ())), f"{name}/{task_name} reads {read} its variable does not hold"
            if read:
                assert f'{{{{ with nomadVar "nomad/jobs/{name}" }}}}' in data


def test_the_clickhouse_job_creates_the_buckets_before_clickhouse_starts(example: Settings) -> None:
    group = _labelled(_jobs(example)["clickhouse"]["group"])["clickhouse"]
    tasks = _labelled(group["task"])
    assert tasks["clickhouse-init"]["lifecycle"][0] == {"hook": "prestart", "sidecar": False}
    assert tasks["clickhouse-init"]["env"][0]["BUCKETS"] == "raw clickhouse clickhouse-backups"
    destinations = [t["destination"] for t in tasks["clickhouse"]["template"]]
    assert {"local/storage.xml", "local/keeper.xml"} <= set(destinations)


def test_templates_reference_only_settings_the_tfvars_hold(scenario: Settings) -> None:
    values = json.loads(render_terraform_vars(scenario))["settings"]
    for name, text in render_nomad_jobs(scenario).items():
        assert set(re.findall(r"(?<!\$)\$\{([A-Za-z0-9_]+)\}", text)) <= set(values), name
        assert "\ue000" not in text and "\ue001" not in text
        assert "${NOMAD_DATACENTER}" in text


@pytest.mark.parametrize("path", [*sorted((ROOT / "nomad").glob("*.nomad.hcl")),
                                  *sorted((GOLDEN / "cluster" / "nomad").glob("*.nomad.hcl"))],
                         ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_committed_job_templates_parse(path: Path) -> None:
    assert "job" in _parse(path.read_text(encoding="utf-8"))


def test_each_kafka_and_nifi_node_is_its_own_job_with_its_cluster_ports(cluster: Settings) -> None:
    jobs = _jobs(cluster)
    for n in range(1, 4):
        group = _labelled(jobs[f"kafka-{n}"]["group"])[f"kafka-{n}"]
        assert set(_labelled(group["network"][0]["port"])) == {"broker", "internal", "controller"}
        env = _labelled(group["task"])[f"kafka-{n}"]["template"][0]["data"]
        assert env.count("@") == 3 and f'{n}@{{{{ env "NOMAD_IP_controller" }}}}:9093' in env
    for n in (1, 2):
        group = _labelled(jobs[f"nifi-{n}"]["group"])[f"nifi-{n}"]
        assert set(_labelled(group["network"][0]["port"])) == {"https", "cluster", "balance"}
        env = _labelled(group["task"])[f"nifi-{n}"]["template"][0]["data"]
        assert 'NIFI_CLUSTER_ADDRESS={{ env "NOMAD_IP_cluster" }}' in env and env.count('nomadService "clickhouse-keeper-') == 3
