"""Kafka Connect in distributed mode with Debezium's PostgreSQL connector, from Maven Central jars.

Distributed mode, even with one worker, because connectors are then registered over the REST API
and their configs, offsets and statuses live in Kafka topics of the stack's broker: a restarted
worker picks up where it stopped. The worker's classpath is `connect-runtime`, `connect-json` and
`connect-transforms` with their runtime dependencies; Debezium's connector is a plugin directory
on `plugin.path` holding its jars less the Kafka, SLF4J and Jackson ones the worker provides.
"""

from __future__ import annotations

import signal
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack import maven
from spotlight_nifi.stack.java import java_executable
from spotlight_nifi.stack.process import HOST, Health, InstallStep, choose_port, spawn, terminate
from spotlight_nifi.stack.state import Running, StackState, is_alive
from spotlight_nifi.versions import DEBEZIUM_VERSION, KAFKA_CONNECT_VERSION, LOG4J2_VERSION, SLF4J2_VERSION

WORKER_JARS = [
    *(f"org.apache.kafka:{a}:{KAFKA_CONNECT_VERSION}" for a in ("connect-runtime", "connect-json", "connect-transforms")),
    f"org.slf4j:slf4j-api:{SLF4J2_VERSION}",
    *(f"org.apache.logging.log4j:{a}:{LOG4J2_VERSION}" for a in ("log4j-api", "log4j-core", "log4j-slf4j2-impl")),
]
DEBEZIUM_POSTGRES = f"io.debezium:debezium-connector-postgres:{DEBEZIUM_VERSION}"
PROVIDED_BY_WORKER = ["org.apache.kafka:*", "org.slf4j:*", "com.fasterxml.jackson.core:*"]
"""Left out of the plugin, as Debezium's own plugin archives leave them out: the plugin must see the
worker's Connect API, logging and Jackson (Debezium's converters call `JsonConverter` with Jackson
types, which fails when the plugin loads a Jackson of its own)."""
POSTGRES_CONNECTOR = "io.debezium.connector.postgresql.PostgresConnector"
GROUP_ID = "spotlight-connect"
JVM_OPTIONS = ["-Xms128m", "-Xmx384m", "-XX:+UseG1GC", "-Djava.awt.headless=true"]

_QUIET = ["org.apache.kafka.clients.admin.AdminClientConfig", "org.apache.kafka.clients.consumer.ConsumerConfig",
          "org.apache.kafka.clients.producer.ProducerConfig", "org.apache.kafka.common.utils.AppInfoParser",
          "org.apache.kafka.connect.runtime.distributed.DistributedConfig", "org.apache.kafka.connect.runtime.isolation",
          "org.apache.kafka.connect.runtime.rest.RestServer"]
"""Loggers that flood the log at INFO: every config in full (hundreds of lines per connector), every REST request."""
_LOG4J2 = ('<Configuration><Appenders><Console name="stdout"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console>'
           "</Appenders><Loggers>" + "".join(f'<Logger name="{name}" level="WARN"/>' for name in _QUIET) +
           '<Root level="INFO"><AppenderRef ref="stdout"/></Root></Loggers></Configuration>\n')

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""127.0.0.1 is never reached through a proxy from the environment."""


def worker_properties(bootstrap: str, port: int, plugins: Path) -> str:
    """`connect-distributed.properties` for one worker whose internal topics have one replica."""
    values = {
        "bootstrap.servers": bootstrap, "group.id": GROUP_ID,
        "listeners": f"http://{HOST}:{port}", "rest.advertised.host.name": HOST, "rest.advertised.port": port,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "config.storage.topic": f"{GROUP_ID}-configs", "config.storage.replication.factor": 1,
        "offset.storage.topic": f"{GROUP_ID}-offsets", "offset.storage.replication.factor": 1,
        "offset.storage.partitions": 1,
        "status.storage.topic": f"{GROUP_ID}-status", "status.storage.replication.factor": 1,
        "status.storage.partitions": 1,
        "offset.flush.interval.ms": 1000,
        "scheduled.rebalance.max.delay.ms": 0,  # a restarted lone worker takes its connectors back at once
        "plugin.path": plugins, "plugin.discovery": "service_load",  # every plugin here has manifests: no class scan
    }
    return "".join(f"{key}={value}\n" for key, value in values.items())


def _get(url: str) -> object:
    with _DIRECT.open(url, timeout=5) as response:
        return orjson.loads(response.read())


class ConnectService:
    """One Kafka Connect worker on the stack's Kafka, its REST API on 127.0.0.1."""

    name = "connect"
    startup_timeout = 120.0
    version = f"{KAFKA_CONNECT_VERSION}, Debezium {DEBEZIUM_VERSION}"

    def __init__(self, cache: Path) -> None:
        self.home = cache / f"kafka-connect-{KAFKA_CONNECT_VERSION}"
        self.plugins = cache / f"debezium-postgres-{DEBEZIUM_VERSION}"

    def install_steps(self) -> list[InstallStep]:
        return [InstallStep("Kafka Connect jars from Maven Central",
                            lambda: maven.resolve(self.name, WORKER_JARS, self.home)),
                InstallStep("Debezium PostgreSQL connector from Maven Central",
                            lambda: maven.resolve(self.name, [DEBEZIUM_POSTGRES], self.plugins,
                                                  excluded=PROVIDED_BY_WORKER))]

    def log_path(self, run_dir: Path) -> Path:
        return run_dir / self.name / "connect.log"

    def start(self, run_dir: Path, port: int | None) -> Running:
        kafka = StackState.load(run_dir).running.get("kafka")
        if kafka is None or not is_alive(kafka.pid, kafka.start_ticks):
            raise ServiceError(self.name, "it needs the stack's Kafka, which is not running: start kafka first "
                                          "(`spotlight-nifi dev up kafka`, or `dev up --with cdc` for everything)")
        work = run_dir / self.name
        work.mkdir(parents=True, exist_ok=True)
        rest = choose_port(self.name, port)
        (work / "connect-distributed.properties").write_text(worker_properties(kafka.url, rest, self.plugins))
        (work / "log4j2.xml").write_text(_LOG4J2)
        argv = [str(java_executable()), *JVM_OPTIONS, f"-Dlog4j2.configurationFile={work / 'log4j2.xml'}",
                "-cp", str(self.home / "libs" / "*"), "org.apache.kafka.connect.cli.ConnectDistributed",
                str(work / "connect-distributed.properties")]
        log = self.log_path(run_dir)
        pid, ticks = spawn(argv, log, work)
        url = f"http://{HOST}:{rest}"
        return Running(name=self.name, pid=pid, start_ticks=ticks, url=url, version=self.version,
                       ports={"rest": rest}, directory=str(work), log=str(log), env={"KAFKA_CONNECT_URL": url})

    def health(self, running: Running) -> Health:
        """The worker answers `/` once its REST server is up, and lists Debezium once it has scanned the plugins."""
        try:
            about = _get(f"{running.url}/")
            plugins = _get(f"{running.url}/connector-plugins")
        except (urllib.error.URLError, OSError, ValueError) as error:
            return Health(False, f"{running.url} does not answer yet: {error}")
        classes = [plugin.get("class") for plugin in plugins] if isinstance(plugins, list) else []
        if POSTGRES_CONNECTOR not in classes:
            return Health(False, f"`{POSTGRES_CONNECTOR}` is not among its plugins: reinstall it with "
                                 f"`rm -r {self.plugins}` then `spotlight-nifi dev install --with cdc`")
        version = about.get("version", "?") if isinstance(about, dict) else "?"
        return Health(True, f"Kafka Connect {version} at {running.url}, Debezium PostgreSQL connector {DEBEZIUM_VERSION}")

    def stop(self, running: Running) -> None:
        terminate(running, signal.SIGTERM, timeout=30.0)
