"""Kafka Connect with Debezium's PostgreSQL connector in the local stack: it answers, it captures an
INSERT into Kafka on the stack's PostgreSQL, it cleans up its replication slot, and it survives a kill."""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import psycopg
import pytest
from confluent_kafka import Consumer
from psycopg.conninfo import conninfo_to_dict

from spotlight_nifi import stack as local_stack
from spotlight_nifi.config import Settings
from spotlight_nifi.stack.connect import POSTGRES_CONNECTOR, ConnectService
from spotlight_nifi.stack.state import StackState, is_alive
from spotlight_nifi.versions import DEBEZIUM_VERSION, KAFKA_CONNECT_VERSION
from tests.integration.conftest import LocalStack

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _rest(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(url, method=method, data=orjson.dumps(body) if body is not None else None,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    with _DIRECT.open(request, timeout=30) as response:
        raw = response.read()
    return orjson.loads(raw) if raw else None


def _eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """`check()` once it returns something truthy; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except (urllib.error.URLError, OSError):
            found = None
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"{what} not within {timeout:.0f} s")


def _debezium_config(dsn: str, table: str, name: str, **extra: str) -> dict[str, str]:
    """A Debezium PostgreSQL connector on one table through `pgoutput`, with its own slot and publication."""
    conninfo = conninfo_to_dict(dsn)
    return {
        "connector.class": POSTGRES_CONNECTOR, "tasks.max": "1", "plugin.name": "pgoutput",
        "database.hostname": str(conninfo["host"]), "database.port": str(conninfo["port"]),
        "database.user": str(conninfo["user"]), "database.dbname": str(conninfo["dbname"]),
        "topic.prefix": name, "slot.name": name, "publication.name": name, "publication.autocreate.mode": "filtered",
        "table.include.list": f"public.{table}", "snapshot.mode": "no_data", **extra,
    }


def _slots(dsn: str, name: str) -> list[tuple[str, bool]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT slot_name, active FROM pg_replication_slots WHERE slot_name = %s", [name]).fetchall()


def _throwaway_table(new_database: Callable[[str], str]) -> tuple[str, str, str]:
    """A fresh database holding one table; (its DSN, the table, a name for connector, slot and topics)."""
    dsn = new_database("cdc")
    name = f"cdc_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn) as conn:
        conn.execute(f"CREATE TABLE {name}_items (id int PRIMARY KEY, label text NOT NULL)")
    return dsn, f"{name}_items", name


def test_a_second_install_needs_neither_maven_nor_network(monkeypatch: pytest.MonkeyPatch) -> None:
    service = ConnectService(local_stack.cache_dir(Settings.load()))
    for step in service.install_steps():
        step.run()
    monkeypatch.setenv("PATH", "")
    for step in service.install_steps():
        step.run()
    assert (service.home / "libs" / f"connect-runtime-{KAFKA_CONNECT_VERSION}.jar").is_file()
    assert (service.plugins / "libs" / f"debezium-connector-postgres-{DEBEZIUM_VERSION}.jar").is_file()
    assert not list((service.plugins / "libs").glob("kafka-clients-*.jar")), "the worker provides Kafka's jars"


def test_connect_answers_and_lists_debeziums_postgres_connector(kafka_connect_url: str) -> None:
    assert _rest(f"{kafka_connect_url}/")["version"] == KAFKA_CONNECT_VERSION
    plugins = {plugin["class"]: plugin["version"] for plugin in _rest(f"{kafka_connect_url}/connector-plugins")}
    assert plugins[POSTGRES_CONNECTOR] == DEBEZIUM_VERSION


def test_postgres_runs_with_logical_replication_for_its_superuser(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        settings = dict(conn.execute("SELECT name, setting FROM pg_settings WHERE name IN "
                                     "('wal_level', 'max_replication_slots', 'max_wal_senders')").fetchall())
        may_replicate = conn.execute("SELECT rolreplication FROM pg_roles WHERE rolname = current_user").fetchone()
    assert settings["wal_level"] == "logical"
    assert int(settings["max_replication_slots"]) >= 10 and int(settings["max_wal_senders"]) >= 10
    assert may_replicate == (True,)


def test_an_insert_reaches_kafka_and_removing_the_connector_drops_its_slot(
        kafka_connect_url: str, kafka_bootstrap: str, new_database: Callable[[str], str]) -> None:
    dsn, table, name = _throwaway_table(new_database)
    config = _debezium_config(dsn, table, name, **{"slot.drop.on.stop": "true"})
    _rest(f"{kafka_connect_url}/connectors", "POST", {"name": name, "config": config})
    try:
        _eventually(lambda: (_rest(f"{kafka_connect_url}/connectors/{name}/status")["tasks"] or [{}])[0]
                    .get("state") == "RUNNING", f"connector `{name}`'s task RUNNING")
        _eventually(lambda: _slots(dsn, name) == [(name, True)], f"an active replication slot `{name}`")
        with psycopg.connect(dsn) as conn:
            conn.execute(f"INSERT INTO {table} VALUES (1, 'captured')")

        consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": name, "auto.offset.reset": "earliest",
                             "topic.metadata.refresh.interval.ms": 1000})
        consumer.subscribe([f"{name}.public.{table}"])
        try:
            def inserted() -> dict[str, Any] | None:
                message = consumer.poll(1.0)
                if message is None or message.error() is not None or message.value() is None:
                    return None
                event = orjson.loads(message.value())["payload"]
                return event if event["op"] == "c" else None

            event = _eventually(inserted, f"a change event on `{name}.public.{table}`")
        finally:
            consumer.close()
        assert event["after"] == {"id": 1, "label": "captured"}
        assert event["source"]["table"] == table
    finally:
        _rest(f"{kafka_connect_url}/connectors/{name}", "DELETE")
    _eventually(lambda: _slots(dsn, name) == [], f"replication slot `{name}` dropped")
    with psycopg.connect(dsn) as conn:
        conn.execute(f"DROP PUBLICATION {name}")


def test_a_killed_connect_comes_back_on_its_port_with_its_connectors(
        stack: LocalStack, kafka_connect_url: str, new_database: Callable[[str], str]) -> None:
    dsn, table, name = _throwaway_table(new_database)
    _rest(f"{kafka_connect_url}/connectors", "POST",
          {"name": name, "config": _debezium_config(dsn, table, name), "initial_state": "STOPPED"})
    killed = StackState.load(stack.run_dir).running["connect"]
    os.kill(killed.pid, signal.SIGKILL)
    _eventually(lambda: not is_alive(killed.pid, killed.start_ticks), "the killed worker gone", timeout=30)

    again = local_stack.up(stack.run_dir, stack.cache, ["connect"]).running["connect"]

    assert again.pid != killed.pid
    assert again.ports == killed.ports and again.url == kafka_connect_url
    _eventually(lambda: name in _rest(f"{kafka_connect_url}/connectors"),
                f"connector `{name}` read back from the config topic")
    _rest(f"{kafka_connect_url}/connectors/{name}", "DELETE")
    assert _slots(dsn, name) == []
