"""Which value each parameter of a compiled flow gets in an environment, and when a deploy must refuse."""

from __future__ import annotations

import pytest

from spotlight_nifi.canvas.parameters import ParameterValue, parameter_values
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.template import HttpIngress, ingest_flow

DEFINITION = compile_flow(ingest_flow("Batches", [HttpIngress("events", table="events")]))


def values(environ: dict[str, str], environment: str | None = None) -> dict[str, ParameterValue]:
    return {v.name: v for v in parameter_values(DEFINITION, Settings(environ=environ), environment=environment)}


SECRETS = {"CLICKHOUSE_PASSWORD": "ch-secret", "FAILURE_DB_PASSWORD": "db-secret"}


def test_the_environment_wins_and_the_flow_default_fills_the_rest() -> None:
    got = values({**SECRETS, "CLICKHOUSE_URL": "http://ch:8123/prod"})
    assert got["clickhouse.url"] == ParameterValue("spotlight", "clickhouse.url", "http://ch:8123/prod", False,
                                                   "CLICKHOUSE_URL")
    assert got["clickhouse.user"].value == "default"
    assert got["clickhouse.password"] == ParameterValue("spotlight", "clickhouse.password", "ch-secret", True,
                                                        "CLICKHOUSE_PASSWORD")


def test_a_per_environment_key_wins_over_the_plain_one() -> None:
    got = values({**SECRETS, "CLICKHOUSE_URL": "http://dev", "PROD_CLICKHOUSE_URL": "http://prod"}, "prod")
    assert got["clickhouse.url"].value == "http://prod"


def test_a_missing_secret_is_refused_naming_the_parameter_and_its_key() -> None:
    with pytest.raises(ConfigError, match=r"sensitive parameter `failure_db.password` of context `spotlight` needs "
                                          r"`PROD_FAILURE_DB_PASSWORD` or `FAILURE_DB_PASSWORD`"):
        values({"CLICKHOUSE_PASSWORD": "x"}, "prod")


def test_a_secret_set_empty_on_purpose_leaves_the_parameter_without_a_value() -> None:
    got = values({"CLICKHOUSE_PASSWORD": "", "FAILURE_DB_PASSWORD": ""})
    assert got["clickhouse.password"].value is None and got["failure_db.password"].value is None
