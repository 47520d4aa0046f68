"""Which services `dev up` and `dev install` act on, and the conf Kafka Connect starts from."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack.connect import worker_properties
from spotlight_nifi.stack.services import selected, services

AVAILABLE = list(services(Path("/cache")))
DEFAULT = ["kafka", "postgres", "clickhouse", "nifi", "nifi-registry"]


@pytest.mark.parametrize(("names", "extras", "expected"), [
    (None, None, DEFAULT),
    (None, ["cdc"], [*DEFAULT, "connect"]),
    (["connect"], None, ["connect"]),
    (["postgres", "kafka"], ["cdc"], ["kafka", "postgres", "connect"]),
    (["nifi", "kafka"], None, ["kafka", "nifi"]),
    (["connect"], ["cdc"], ["connect"]),
])
def test_connect_starts_only_when_named_or_asked_for_with_cdc(names: list[str] | None, extras: list[str] | None,
                                                              expected: list[str]) -> None:
    assert selected(AVAILABLE, names, extras) == expected


def test_connect_comes_last_so_kafka_and_postgres_are_up_before_it() -> None:
    assert AVAILABLE == [*DEFAULT, "connect"]


@pytest.mark.parametrize(("names", "extras", "message"), [
    (["kafak"], None, "service `kafak`: unknown service; choose from kafka, postgres, clickhouse, nifi, "
                      "nifi-registry, connect"),
    (None, ["debezium"], "service `debezium`: unknown group for `--with`; choose from cdc"),
])
def test_an_unknown_name_is_named_with_the_choices(names: list[str] | None, extras: list[str] | None,
                                                   message: str) -> None:
    with pytest.raises(ServiceError) as raised:
        selected(AVAILABLE, names, extras)
    assert str(raised.value) == message


def test_connect_runs_distributed_on_loopback_with_single_replica_internal_topics() -> None:
    lines = worker_properties("127.0.0.1:9092", 8083, Path("/cache/debezium-postgres")).splitlines()
    conf = dict(line.split("=", 1) for line in lines)
    assert (conf["bootstrap.servers"], conf["listeners"]) == ("127.0.0.1:9092", "http://127.0.0.1:8083")
    assert conf["plugin.path"] == "/cache/debezium-postgres"
    topics = ("config", "offset", "status")
    assert {conf[f"{t}.storage.replication.factor"] for t in topics} == {"1"}
    assert len({conf[f"{t}.storage.topic"] for t in topics}) == 3
