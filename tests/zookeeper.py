"""A real ZooKeeper from the Kafka jars the local stack installs: what ClickHouse Keeper implements,
and what a NiFi cluster elects its coordinator and primary node with and keeps cluster state in."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spotlight_nifi.config import Settings
from spotlight_nifi.stack.java import java_executable
from spotlight_nifi.stack.kafka import KafkaService
from spotlight_nifi.stack.process import HOST, choose_port
from spotlight_nifi.stack.state import cache_dir
from tests.availability import unavailable

START_TIMEOUT = 60.0


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


@contextmanager
def zookeeper_server(directory: Path) -> Iterator[int]:
    """A standalone ZooKeeper with its data and log in `directory`, on a free port of 127.0.0.1: its
    port, until the block ends. `unavailable` when the jars are missing or it does not start."""
    libs = KafkaService(cache_dir(Settings.load(environ={}))).home / "libs"
    if not list(libs.glob("zookeeper-*.jar")):
        unavailable(f"no ZooKeeper jars in `{libs}`: run `scripts/install` (it installs the local stack's Kafka)")
    port = choose_port("zookeeper", None)
    log_path = directory / "zookeeper.log"
    with log_path.open("w") as log:
        argv = [str(java_executable()), "-Xmx128m", "-cp", f"{libs}/*",
                "org.apache.zookeeper.server.ZooKeeperServerMain", str(port), str(directory / "data")]
        server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _listening(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    unavailable(f"ZooKeeper did not start: {log_path.read_text()[-1000:]}")
                time.sleep(0.2)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)
