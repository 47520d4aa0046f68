"""Parameter values of a target environment, filled on promote from its `.env`; secrets stay empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.template import Topic, ingest_flow
from spotlight_nifi.registry.parameters import env_key, for_environment

FLOW = compile_flow(ingest_flow("Shop", [Topic("orders", table="orders")]))


def parameters(snapshot: dict) -> dict[str, dict]:
    return {p["name"]: p for ctx in snapshot["parameterContexts"].values() for p in ctx["parameters"]}


def test_compiled_parameters_name_their_env_key() -> None:
    found = parameters(FLOW)
    assert env_key(found["kafka.bootstrap.servers"]) == "KAFKA_BOOTSTRAP_SERVERS"
    assert env_key(found["clickhouse.password"]) == "CLICKHOUSE_PASSWORD"
    assert env_key({"description": "set by hand"}) is None


def test_values_come_from_the_environment_and_secrets_never_appear(tmp_path: Path) -> None:
    env_file = tmp_path / ".env.staging"
    keys = {env_key(p) for p in parameters(FLOW).values() if not p["sensitive"]} - {None}
    env_file.write_text("".join(f"{key}=file-{key}\n" for key in sorted(keys)) + "CLICKHOUSE_PASSWORD=s3cret\n")
    settings = Settings.load(env_file, environ={"STAGING_KAFKA_BOOTSTRAP_SERVERS": "kafka.staging:9092"})
    filled = parameters(for_environment(FLOW, settings, "staging"))
    assert filled["kafka.bootstrap.servers"]["value"] == "kafka.staging:9092"
    assert filled["clickhouse.user"]["value"] == "file-CLICKHOUSE_USER"
    assert "value" not in filled["clickhouse.password"] and "s3cret" not in str(filled)
    assert parameters(FLOW)["clickhouse.user"]["value"] == "default"


def test_every_missing_key_is_named_with_the_file(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / ".env.prod", environ={})
    with pytest.raises(ConfigError) as error:
        for_environment(FLOW, settings, "prod")
    message = str(error.value)
    assert message.startswith("environment `prod` has no value for `CLICKHOUSE_URL` (parameter `clickhouse.url`")
    assert "`KAFKA_GROUP_ID`" in message and "CLICKHOUSE_PASSWORD" not in message
    assert f"set them in `{tmp_path / '.env.prod'}`" in message


def test_an_optional_parameter_stays_empty_where_the_environment_lacks_it(tmp_path: Path) -> None:
    """`clickhouse.cluster` only matters on a ClickHouse cluster: a single-server environment omits it."""
    env_file = tmp_path / ".env.prod"
    keys = {env_key(p) for p in parameters(FLOW).values() if not p["sensitive"]} - {None, "CLICKHOUSE_CLUSTER"}
    env_file.write_text("".join(f"{key}=v\n" for key in sorted(keys)))
    assert parameters(for_environment(FLOW, Settings.load(env_file, environ={}), "prod"))["clickhouse.cluster"]["value"] == ""
    clustered = Settings.load(env_file, environ={"PROD_CLICKHOUSE_CLUSTER": "spotlight"})
    assert parameters(for_environment(FLOW, clustered, "prod"))["clickhouse.cluster"]["value"] == "spotlight"
