"""Rendering `.env` → docker-compose.yml, Nomad job templates, Terraform variables: golden files, secrets."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import pytest
import yaml

from spotlight_nifi import versions
from spotlight_nifi.config import Settings
from spotlight_nifi.infra import SECRET_KEYS, render_all, render_compose, render_terraform_vars
from spotlight_nifi.infra.keys import KEYS
from tests.unit.infra.conftest import CLUSTER_ENV, EXAMPLE_ENV, GOLDEN, ROOT, cluster_overrides

SERVICES = {"minio", "kafka", "postgres", "clickhouse-keeper", "clickhouse", "kafka-connect", "nifi-registry", "nifi",
            "spark-master", "spark-worker", "airflow-db", "airflow-scheduler", "airflow-webserver", "superset"}
CLUSTER_SERVICES = (SERVICES - {"clickhouse", "clickhouse-keeper", "kafka", "nifi"}) | {"paradedb"} | {
    f"clickhouse-{n}" for n in range(1, 5)} | {f"clickhouse-keeper-{n}" for n in range(1, 4)} | {
    f"kafka-{n}" for n in range(1, 4)} | {"nifi-1", "nifi-2"}
INITS = {"clickhouse-init", "airflow-init"}


def _env_lines() -> list[str]:
    return EXAMPLE_ENV.read_text(encoding="utf-8").splitlines()


def _expected(services: set[str]) -> list[str]:
    return sorted(["docker-compose.yml", "nomad/terraform/terraform.tfvars.json",
                   *(f"nomad/{name}.nomad.hcl" for name in services)])


def test_rendering_example_env_equals_the_committed_files(example: Settings) -> None:
    rendered = render_all(example)
    assert sorted(rendered) == _expected(SERVICES)
    for path, text in rendered.items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, (
            f"{path} is stale: run `spotlight-nifi infra render --env-file example.env` and review the diff")


def test_rendering_the_cluster_scenario_equals_its_golden_files(cluster: Settings) -> None:
    rendered = render_all(cluster)
    assert sorted(rendered) == _expected(CLUSTER_SERVICES)
    regenerate = (f"env $(cat {CLUSTER_ENV.relative_to(ROOT)} | xargs) spotlight-nifi infra render "
                  f"--env-file example.env --out {(GOLDEN / 'cluster').relative_to(ROOT)}")
    on_disk = sorted(p.relative_to(GOLDEN / "cluster").as_posix() for p in (GOLDEN / "cluster").rglob("*") if p.is_file())
    assert on_disk == sorted(rendered), f"golden files differ in name: run `{regenerate}`"
    for path, text in rendered.items():
        assert (GOLDEN / "cluster" / path).read_text(encoding="utf-8") == text, f"{path} is stale: run `{regenerate}`"


def test_every_key_read_is_documented_in_example_env_with_a_comment_above() -> None:
    lines = _env_lines()
    for key in (*KEYS, *SECRET_KEYS):
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{key}=")), None)
        assert index is not None, f"{key} missing from example.env"
        assert lines[index - 1].startswith("# "), f"{key} has no `# comment` line above it"
    assert set(cluster_overrides()) <= set(KEYS)


def test_example_images_match_the_pinned_versions(example: Settings) -> None:
    assert example.get("NIFI_IMAGE") == f"apache/nifi:{versions.NIFI_VERSION}"
    assert example.get("NIFI_REGISTRY_IMAGE") == f"apache/nifi-registry:{versions.NIFI_VERSION}"
    assert example.get("KAFKA_IMAGE") == f"apache/kafka:{versions.KAFKA_VERSION}"
    assert example.get("POSTGRES_IMAGE") == f"postgres:{versions.POSTGRES_MAJOR}"


@pytest.mark.parametrize("overrides", [{}, cluster_overrides()], ids=["example", "cluster"])
def test_no_secret_value_appears_in_any_rendered_file(tmp_path: Path, overrides: dict[str, str]) -> None:
    values = {key: secrets.token_urlsafe(24) for key in SECRET_KEYS}
    lines = [line for line in _env_lines() if line.split("=", 1)[0] not in values]
    env = tmp_path / ".env"
    env.write_text("\n".join([*lines, *(f"{k}={v}" for k, v in values.items())]) + "\n", encoding="utf-8")
    for environ in (overrides, {**overrides, **{key: secrets.token_urlsafe(24) for key in SECRET_KEYS}}):
        rendered = render_all(Settings.load(env, environ=environ))
        for path, text in rendered.items():
            for key, value in {**values, **environ}.items():
                if key in SECRET_KEYS:
                    assert value not in text, f"the value of {key} leaked into {path}"


def test_compose_passes_secrets_only_as_references_to_env(scenario: Settings) -> None:
    document = yaml.safe_load(render_compose(scenario))
    referenced = set()
    for name, service in document["services"].items():
        for variable, value in service.get("environment", {}).items():
            match = re.fullmatch(r"\$\{([A-Z_]+):\?set \1 in \.env\}", value)
            if match:
                referenced.add(match[1])
            assert "${" not in value or match, f"{name} {variable}: {value}"
    assert referenced <= set(SECRET_KEYS)
    optional = {"PARADEDB_PASSWORD", "CLICKHOUSE_CLUSTER_SECRET"}
    nifi_cluster = {"NIFI_TLS_PASSWORD", "NIFI_CA_PASSWORD", "NIFI_CA_KEYSTORE"}
    single_user = {"NIFI_PASSWORD"}  # in a NiFi cluster it protects the admin's keystore, which no service reads
    unused = single_user if scenario.get("NIFI_NODES") != "1" else nifi_cluster
    assert referenced & unused == set()
    assert set(SECRET_KEYS) - optional - unused <= referenced


def test_compose_services_have_healthchecks_named_volumes_and_their_order(scenario: Settings) -> None:
    document = yaml.safe_load(render_compose(scenario))
    services = document["services"]
    for name, service in services.items():
        if name.endswith("-init"):
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert service.get("volumes") or name == "airflow-webserver", f"{name} keeps no data"
        for volume in service.get("volumes", []):
            assert volume.split(":", 1)[0] in document["volumes"], f"{name}: {volume} is not a named volume"
        for after in service.get("depends_on", {}):
            assert after in services, f"{name} waits for unknown `{after}`"


def test_example_compose_is_the_single_node_platform(example: Settings) -> None:
    document = yaml.safe_load(render_compose(example))
    services = document["services"]
    assert set(services) == SERVICES | INITS
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["spark-worker"]["command"][-1] == "spark://spark-master:7077"
    assert services["airflow-scheduler"]["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
    assert services["kafka-connect"]["environment"]["BOOTSTRAP_SERVERS"] == "kafka:19092"
    configs = {entry["target"]: document["configs"][entry["source"]]["content"] for entry in services["clickhouse"]["configs"]}
    storage = configs["/etc/clickhouse-server/config.d/storage.xml"]
    assert "<endpoint>http://minio:9000/clickhouse/data/clickhouse/</endpoint>" in storage
    assert "<endpoint>http://minio:9000/clickhouse-backups/clickhouse/</endpoint>" in storage
    assert "<move_factor>0.1</move_factor>" in storage and "<tiered>" in storage
    assert "<host>clickhouse-keeper</host>" in configs["/etc/clickhouse-server/config.d/keeper.xml"]
    assert "/etc/clickhouse-server/config.d/cluster.xml" not in configs
    assert services["clickhouse-init"]["environment"]["BUCKETS"] == "raw clickhouse clickhouse-backups"
    assert services["postgres"]["configs"][0]["target"].startswith("/docker-entrypoint-initdb.d/")


def test_cluster_compose_runs_every_node_with_its_macros(cluster: Settings) -> None:
    document = yaml.safe_load(render_compose(cluster))
    services = document["services"]
    assert set(services) == CLUSTER_SERVICES | {f"clickhouse-{n}-init" for n in range(1, 5)} | {"airflow-init"}
    assert services["spark-worker"]["deploy"] == {"replicas": 2}
    assert "ports" in services["clickhouse-1"] and "ports" not in services["clickhouse-2"]
    macros = {}
    for n in range(1, 5):
        configs = {e["target"].rsplit("/", 1)[1]: document["configs"][e["source"]]["content"]
                   for e in services[f"clickhouse-{n}"]["configs"]}
        assert configs["cluster.xml"].count("<replica>") == 4 and configs["cluster.xml"].count("<shard>") == 2
        assert configs["keeper.xml"].count("<node>") == 3
        assert f"/data/clickhouse-{n}/</endpoint>" in configs["storage.xml"]
        macros[n] = configs["keeper.xml"].split("<macros>")[1]
    assert "<shard>1</shard>" in macros[2] and "<shard>2</shard>" in macros[3]
    assert "<replica>clickhouse-4</replica>" in macros[4]
    keeper = document["configs"]["clickhouse-keeper-2-keeper_config.xml"]["content"]
    assert "<server_id>2</server_id>" in keeper and keeper.count("<server>") == 3
    dataset = yaml.safe_load(document["configs"]["superset-rows_ingested.yaml"]["content"])
    assert "FROM clusterAllReplicas('spotlight', system.part_log)" in dataset["sql"]


def test_cluster_compose_runs_a_kafka_quorum_and_a_nifi_cluster(cluster: Settings) -> None:
    services = yaml.safe_load(render_compose(cluster))["services"]
    brokers = [services[f"kafka-{n}"]["environment"] for n in range(1, 4)]
    for n, env in enumerate(brokers, start=1):
        assert env["KAFKA_NODE_ID"] == str(n) and env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"INTERNAL://kafka-{n}:19092,EXTERNAL://localhost:{9091 + n}"
        assert services[f"kafka-{n}"]["ports"] == [f"127.0.0.1:{9091 + n}:9092"]
        assert (env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) == ("3", "2")
    connect = services["kafka-connect"]["environment"]
    assert connect["BOOTSTRAP_SERVERS"] == "kafka-1:19092,kafka-2:19092,kafka-3:19092"
    assert connect["CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR"] == "3"
    for n in (1, 2):
        env = services[f"nifi-{n}"]["environment"]
        assert (env["NIFI_CLUSTER_IS_NODE"], env["NIFI_CLUSTER_ADDRESS"]) == ("true", f"nifi-{n}")
        assert env["NIFI_ELECTION_MAX_CANDIDATES"] == "2" and env["NIFI_CLUSTER_NODE_PROTOCOL_PORT"] == "11443"
        assert env["NIFI_ZK_CONNECT_STRING"] == ",".join(f"clickhouse-keeper-{k}:9181" for k in range(1, 4))
        assert {"clickhouse-keeper-1", "kafka-3"} <= set(services[f"nifi-{n}"]["depends_on"])
    assert "ports" in services["nifi-1"] and "ports" not in services["nifi-2"]


def test_one_broker_and_one_nifi_node_run_standalone(example: Settings) -> None:
    services = yaml.safe_load(render_compose(example))["services"]
    assert services["kafka"]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert services["kafka"]["environment"]["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "1"
    assert not any(name.startswith("NIFI_CLUSTER") for name in services["nifi"]["environment"])


def test_terraform_vars_hold_the_settings_and_which_secrets_each_job_needs(example: Settings) -> None:
    values = json.loads(render_terraform_vars(example))
    assert set(values) == {"nomad_address", "nomad_namespace", "jobs", "job_secrets", "settings"}
    assert sorted(values["jobs"]) == sorted(SERVICES)
    assert set(values["settings"]) == set(KEYS)
    assert values["job_secrets"]["superset"] == ["CLICKHOUSE_PASSWORD", "FAILURE_DB_PASSWORD",
                                                 "SUPERSET_ADMIN_PASSWORD", "SUPERSET_SECRET_KEY"]
    assert {key for keys in values["job_secrets"].values() for key in keys} == set(SECRET_KEYS) - {
        "PARADEDB_PASSWORD", "CLICKHOUSE_CLUSTER_SECRET", "NIFI_TLS_PASSWORD", "NIFI_CA_PASSWORD", "NIFI_CA_KEYSTORE"}


def test_each_nifi_cluster_node_reads_the_ca_and_its_tls_password_and_no_single_user_password(cluster: Settings) -> None:
    secrets = json.loads(render_terraform_vars(cluster))["job_secrets"]
    for node in ("nifi-1", "nifi-2"):
        assert secrets[node] == ["NIFI_CA_KEYSTORE", "NIFI_CA_PASSWORD", "NIFI_SENSITIVE_PROPS_KEY", "NIFI_TLS_PASSWORD"]
    nifi = yaml.safe_load(render_compose(cluster))["services"]["nifi-2"]
    assert nifi["entrypoint"] == ["bash", "/opt/spotlight/nifi-tls.sh", "/opt/nifi/scripts/start.sh"]
    assert nifi["environment"]["NIFI_WEB_HTTPS_HOST"] == nifi["environment"]["NIFI_CLUSTER_ADDRESS"] == "nifi-2"
    assert nifi["environment"]["AUTH"] == "tls"
    assert nifi["environment"]["INITIAL_ADMIN_IDENTITY"] == "CN=admin, OU=NiFi"
    assert nifi["healthcheck"]["test"][-1] == "exec 3<>/dev/tcp/nifi-2/8443"
