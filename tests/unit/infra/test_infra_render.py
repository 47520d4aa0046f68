"""Rendering `.env` → docker-compose.yml, Nomad jobs, Terraform variables: golden files, secrets, errors."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
import yaml

from spotlight_nifi import versions
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.infra import SECRET_KEYS, render_all, render_compose, render_terraform_vars
from spotlight_nifi.infra.spec import IMAGE_KEYS, PORT_KEYS, VALUE_KEYS

ROOT = Path(__file__).resolve().parents[3]
SERVICES = {"nifi", "nifi-registry", "kafka", "postgres", "clickhouse", "minio", "superset"}


def _env_lines() -> list[str]:
    return (ROOT / "example.env").read_text(encoding="utf-8").splitlines()


def test_rendering_example_env_equals_the_committed_files(example: Settings) -> None:
    rendered = render_all(example)
    assert sorted(rendered) == sorted(
        ["docker-compose.yml", "nomad/terraform/terraform.tfvars.json",
         *(f"nomad/{name}.nomad.hcl" for name in SERVICES)])
    for path, text in rendered.items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, (
            f"{path} is stale: run `spotlight-nifi infra render --env-file example.env` and review the diff")


def test_every_key_read_is_documented_in_example_env_with_a_comment_above() -> None:
    lines = _env_lines()
    for key in (*IMAGE_KEYS, *PORT_KEYS, *VALUE_KEYS, *SECRET_KEYS):
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{key}=")), None)
        assert index is not None, f"{key} missing from example.env"
        assert lines[index - 1].startswith("# "), f"{key} has no `# comment` line above it"


def test_example_images_match_the_pinned_versions(example: Settings) -> None:
    assert example.get("NIFI_IMAGE") == f"apache/nifi:{versions.NIFI_VERSION}"
    assert example.get("NIFI_REGISTRY_IMAGE") == f"apache/nifi-registry:{versions.NIFI_VERSION}"
    assert example.get("KAFKA_IMAGE") == f"apache/kafka:{versions.KAFKA_VERSION}"
    assert example.get("POSTGRES_IMAGE") == f"postgres:{versions.POSTGRES_MAJOR}"


def test_no_secret_value_appears_in_any_rendered_file(tmp_path: Path) -> None:
    values = {key: secrets.token_urlsafe(24) for key in SECRET_KEYS}
    lines = [line for line in _env_lines() if line.split("=", 1)[0] not in values]
    env = tmp_path / ".env"
    env.write_text("\n".join([*lines, *(f"{k}={v}" for k, v in values.items())]) + "\n", encoding="utf-8")
    for environ in ({}, {key: secrets.token_urlsafe(24) for key in SECRET_KEYS}):
        rendered = render_all(Settings.load(env, environ=environ))
        for path, text in rendered.items():
            for key, value in {**values, **environ}.items():
                assert value not in text, f"the value of {key} leaked into {path}"


def test_compose_references_every_secret_by_name(example: Settings) -> None:
    compose = render_compose(example)
    for key in SECRET_KEYS:
        assert f"${{{key}:?set {key} in .env}}" in compose


def test_compose_has_the_services_with_healthchecks_and_named_volumes(example: Settings) -> None:
    document = yaml.safe_load(render_compose(example))
    services = document["services"]
    assert set(services) == SERVICES | {"clickhouse-init"}
    for name in SERVICES:
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
        for volume in services[name].get("volumes", []):
            assert volume.split(":", 1)[0] in document["volumes"], f"{name}: {volume} is not a named volume"
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    storage = services["clickhouse"]["configs"][0]
    assert storage["target"] == "/etc/clickhouse-server/config.d/storage.xml"
    assert "<type>s3</type>" in document["configs"][storage["source"]]["content"]
    assert "http://minio:9000/clickhouse/data/" in document["configs"][storage["source"]]["content"]
    assert services["postgres"]["configs"][0]["target"].startswith("/docker-entrypoint-initdb.d/")


def test_terraform_vars_hold_no_secret_keys(example: Settings) -> None:
    values = json.loads(render_terraform_vars(example))
    assert set(values) == {"nomad_address", "nomad_namespace", "jobs", "job_secrets"}
    assert sorted(values["jobs"]) == sorted(SERVICES)
    assert {key for keys in values["job_secrets"].values() for key in keys} == set(SECRET_KEYS)


@pytest.mark.parametrize("key", ["NIFI_IMAGE", "KAFKA_CLUSTER_ID", "NOMAD_DATACENTER"])
def test_a_missing_key_is_a_one_line_error_naming_it(tmp_path: Path, key: str) -> None:
    env = tmp_path / ".env"
    env.write_text("\n".join(line for line in _env_lines() if not line.startswith(f"{key}=")) + "\n")
    with pytest.raises(ConfigError) as error:
        render_all(Settings.load(env, environ={}))
    assert error.value.variable == key
    assert str(error.value) == (
        f"`{key}` is not set: set it in the environment or in `{env}`; `example.env` documents every key")


def test_a_port_that_is_not_a_number_names_the_key(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("\n".join(_env_lines()) + "\nKAFKA_PORT=nine\n")
    with pytest.raises(ConfigError, match="`KAFKA_PORT` is `nine`") as error:
        render_all(Settings.load(env, environ={}))
    assert error.value.variable == "KAFKA_PORT"
