"""Every `.env` value is checked before anything renders; the error names the key and how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.infra import load_config, render_all
from tests.unit.infra.conftest import EXAMPLE_ENV


def _settings(tmp_path: Path, **overrides: str) -> Settings:
    lines = [line for line in EXAMPLE_ENV.read_text().splitlines() if line.split("=", 1)[0] not in overrides]
    env = tmp_path / ".env"
    env.write_text("\n".join([*lines, *(f"{key}={value}" for key, value in overrides.items())]) + "\n")
    return Settings.load(env, environ={})


def _error(tmp_path: Path, **overrides: str) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        load_config(_settings(tmp_path, **overrides))
    return error.value


@pytest.mark.parametrize("key", ["NIFI_IMAGE", "KAFKA_CLUSTER_ID", "NOMAD_DATACENTER", "SPARK_IMAGE", "MINIO_RAW_BUCKET"])
def test_a_missing_key_is_a_one_line_error_naming_it(tmp_path: Path, key: str) -> None:
    env = tmp_path / ".env"
    env.write_text("\n".join(line for line in EXAMPLE_ENV.read_text().splitlines() if not line.startswith(f"{key}=")) + "\n")
    with pytest.raises(ConfigError) as error:
        render_all(Settings.load(env, environ={}))
    assert error.value.variable == key
    assert str(error.value) == (
        f"`{key}` is not set: set it in the environment or in `{env}`; `example.env` documents every key")


@pytest.mark.parametrize(("key", "value", "fix"), [
    ("KAFKA_PORT", "nine", "set it to a port number between 1 and 65535"),
    ("AIRFLOW_PORT", "70000", "set it to a port number between 1 and 65535"),
    ("CLICKHOUSE_S3_BUCKET", "ClickHouse", "set it to a name S3 accepts"),
    ("MINIO_RAW_BUCKET", "ab", "set it to a name S3 accepts"),
    ("MINIO_RAW_BUCKET", "raw..data", "set it to a name S3 accepts"),
    ("MINIO_RAW_BUCKET", "-raw", "set it to a name S3 accepts"),
    ("MINIO_RAW_BUCKET", "raw_data", "set it to a name S3 accepts"),
    ("MINIO_RAW_BUCKET", "192.168.0.1", "set it to a name S3 accepts"),
    ("MINIO_RAW_BUCKET", "xn--raw", "set it to a name S3 accepts"),
    ("CLICKHOUSE_BACKUP_BUCKET", "backups-s3alias", "set it to a name S3 accepts"),
    ("CLICKHOUSE_BACKUP_BUCKET", "b" * 64, "set it to a name S3 accepts"),
    ("CLICKHOUSE_MOVE_FACTOR", "1.5", "set it to a fraction between 0 and 1"),
    ("CLICKHOUSE_S3_CACHE_SIZE", "10 GB", "set it to a size such as `10Gi`"),
    ("CLICKHOUSE_KEEPER_NODES", "2", "set it to 1, 3 or 5"),
    ("CLICKHOUSE_SHARDS", "0", "set it to a whole number between 1 and 64"),
    ("CLICKHOUSE_CLUSTER", "my-cluster", "set it to letters, digits and `_`"),
    ("PARADEDB_ENABLED", "yes", "set it to `true` or `false`"),
    ("KAFKA_BROKERS", "0", "set it to a whole number between 1 and 64"),
    ("KAFKA_BROKERS", "two", "set it to a whole number between 1 and 64"),
    ("KAFKA_REPLICATION_FACTOR", "-1", "set it to a whole number between 1 and 64"),
    ("NIFI_NODES", "0", "set it to a whole number between 1 and 64"),
    ("SPARK_WORKER_MEMORY", "1GB", "set it to a JVM memory size"),
    ("KAFKA_CLUSTER_ID", "short", "set it to 22 base64url characters"),
    ("NOMAD_ADDR", "127.0.0.1:4646", "set it to an http(s)://host:port URL"),
    ("SPARK_IMAGE", "Apache Spark", "set it to a container image reference"),
    ("NOMAD_NAMESPACE", 'de"fault', 'remove `"`: values are written verbatim into job templates'),
    ("SUPERSET_ADMIN_USERNAME", "a%{b}", "remove `%{`: values are written verbatim into job templates"),
])
def test_an_invalid_value_names_the_key_the_value_and_the_fix(tmp_path: Path, key: str, value: str, fix: str) -> None:
    error = _error(tmp_path, **{key: value})
    assert error.variable == key
    assert str(error).startswith(f"`{key}` is `{value}`: {fix}")


@pytest.mark.parametrize("name", ["raw", "raw-data.2024", "a1b", "raw-archive", "x" * 63])
def test_bucket_names_s3_accepts_pass(tmp_path: Path, name: str) -> None:
    assert load_config(_settings(tmp_path, MINIO_RAW_BUCKET=name)).value("MINIO_RAW_BUCKET") == name


def test_two_services_on_one_host_port_name_the_second_key(tmp_path: Path) -> None:
    error = _error(tmp_path, SPARK_UI_PORT="8080")
    assert error.variable == "AIRFLOW_PORT"
    assert str(error) == "`AIRFLOW_PORT` is `8080`, the same host port as `SPARK_UI_PORT`: give each its own"


def test_two_roles_on_one_bucket_are_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, CLICKHOUSE_BACKUP_BUCKET="clickhouse")
    assert (error.variable, str(error)) == (
        "CLICKHOUSE_BACKUP_BUCKET", "`CLICKHOUSE_BACKUP_BUCKET` is `clickhouse`, the same bucket as "
        "`CLICKHOUSE_S3_BUCKET`: give each its own")


def test_several_nodes_need_a_cluster_name(tmp_path: Path) -> None:
    error = _error(tmp_path, CLICKHOUSE_REPLICAS="2")
    assert error.variable == "CLICKHOUSE_CLUSTER"
    assert "asks for 2 nodes: name the cluster" in str(error)


def test_an_empty_cluster_name_means_one_node(tmp_path: Path) -> None:
    assert load_config(_settings(tmp_path, CLICKHOUSE_CLUSTER="")).value("CLICKHOUSE_CLUSTER") == ""


def test_kafka_replicas_need_as_many_brokers(tmp_path: Path) -> None:
    error = _error(tmp_path, KAFKA_BROKERS="2", KAFKA_REPLICATION_FACTOR="3")
    assert error.variable == "KAFKA_REPLICATION_FACTOR"
    assert "keep it at most the number of brokers" in str(error)


def test_kafka_brokers_host_ports_must_not_overlap_another_port(tmp_path: Path) -> None:
    error = _error(tmp_path, KAFKA_BROKERS="3", KAFKA_PORT="8081")
    assert error.variable == "KAFKA_PORT"
    assert "3 brokers take host ports 8081…8083, which overlap `KAFKA_CONNECT_PORT`: move it" in str(error)


def test_kafka_brokers_host_ports_stay_below_65536(tmp_path: Path) -> None:
    assert _error(tmp_path, KAFKA_BROKERS="2", KAFKA_PORT="65535").variable == "KAFKA_PORT"
