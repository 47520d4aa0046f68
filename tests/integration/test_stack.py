"""Smoke tests of the local stack: real Kafka and PostgreSQL processes, and the `dev` commands."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from spotlight_nifi import stack as local_stack
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack.kafka import KafkaService
from spotlight_nifi.stack.process import Health, spawn, wait_healthy
from spotlight_nifi.stack.services import blocked_reason
from spotlight_nifi.stack.state import Running, session_members
from spotlight_nifi.versions import KAFKA_VERSION


@pytest.fixture(scope="module")
def download_cache() -> Path:
    """The user's download cache, as `dev install` fills it."""
    return local_stack.cache_dir(Settings.load())


def _consume(bootstrap: str, group: str, topic: str, expected: int) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    values: list[bytes] = []
    try:
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                values.append(message.value())
            if len(values) >= expected:
                break
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=10)
    finally:
        consumer.close()
    assert committed[0].offset >= len(values)
    return values


def test_kafka_round_trips_messages_through_a_consumer_group(kafka_bootstrap: str) -> None:
    topic, group = f"smoke-{uuid.uuid4().hex[:8]}", f"group-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for i in range(5):
        producer.produce(topic, value=f"m{i}".encode())
    assert producer.flush(30) == 0

    assert _consume(kafka_bootstrap, group, topic, 5) == [f"m{i}".encode() for i in range(5)]

    producer.produce(topic, value=b"after-commit")
    assert producer.flush(30) == 0
    assert _consume(kafka_bootstrap, group, topic, 1) == [b"after-commit"]


def test_postgres_accepts_a_connection_and_a_write(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE smoke (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO smoke VALUES (1, 'written')")
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT body FROM smoke").fetchall() == [("written",)]


def _cli(run_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SPOTLIGHT_STACK_DIR": str(run_dir), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "spotlight_nifi.cli", "dev", *args],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


def test_dev_up_status_down_leaves_no_process(fresh_run_dir: Path) -> None:
    started = _cli(fresh_run_dir, "up")
    assert started.returncode == 0, started.stderr
    state = json.loads((fresh_run_dir / "state.json").read_text())
    pids = [item["pid"] for item in state["running"].values()]
    assert sorted(state["running"]) == ["kafka", "postgres"]
    assert all(session_members(pid) for pid in pids)

    shown = _cli(fresh_run_dir, "status")
    lines = {line.split()[1]: line for line in shown.stdout.splitlines() if line.startswith("│")}
    assert "healthy" in lines["kafka"] and "healthy" in lines["postgres"], shown.stdout
    assert "unavailable" in lines["nifi"] and "unavailable" in lines["nifi-registry"], shown.stdout
    assert "org.apache.nifi:nifi-standard-nar" in shown.stdout

    exported = _cli(fresh_run_dir, "env").stdout.splitlines()
    assert f"KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{state['running']['kafka']['ports']['broker']}" in exported
    logged = _cli(fresh_run_dir, "logs", "postgres", "-n", "200")
    assert "database system is ready to accept connections" in logged.stdout

    stopped = _cli(fresh_run_dir, "down")
    assert stopped.returncode == 0, stopped.stderr
    assert [pid for pid in pids if session_members(pid)] == []


def test_a_second_install_needs_neither_maven_nor_network(download_cache: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    service = KafkaService(download_cache)
    service.install()
    monkeypatch.setenv("PATH", "")
    service.install()
    assert (service.home / "libs" / f"kafka-clients-{KAFKA_VERSION}.jar").is_file()


def test_a_taken_port_is_named_in_the_error(fresh_run_dir: Path, download_cache: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServiceError, match=f"port {port} on 127.0.0.1 is taken"):
            local_stack.up(fresh_run_dir, download_cache, ["postgres"], ports={"postgres": port})


def test_a_service_that_exits_during_start_up_reports_its_log(tmp_path: Path) -> None:
    log = tmp_path / "boom.log"
    pid, ticks = spawn(["sh", "-c", "echo 'fatal: boom'; exit 3"], log, tmp_path)
    running = Running("boom", pid, ticks, "", "", {}, str(tmp_path), str(log))
    with pytest.raises(ServiceError, match="exited during start-up") as raised:
        wait_healthy("boom", running, lambda _: Health(False, "not yet"), timeout=60)
    assert "fatal: boom" in raised.value.log_tail


def test_the_maven_check_is_cached_so_dev_up_needs_no_network(tmp_path: Path) -> None:
    first = blocked_reason("nifi-registry", tmp_path)
    assert first.startswith(("not on Maven Central (404)", "published on Maven Central")), first
    cached = tmp_path / "blocked" / "nifi-registry.txt"
    cached.write_text("answer from an earlier dev install")
    assert blocked_reason("nifi-registry", tmp_path) == "answer from an earlier dev install"
    assert blocked_reason("nifi-registry", tmp_path, refresh=True) == first == cached.read_text()
