"""Fixtures shared by every test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spotlight_nifi.flow.manifest import RuntimeManifest, load_manifest
from spotlight_nifi.flow.manifest_sources import nar_coordinates
from tests.zookeeper import zookeeper_server

# NiFi 2.3.0 NARs the Maven Central mirror holds: records, JDBC pools, service APIs, processors.
REAL_NARS = nar_coordinates("2.3.0", (
    "nifi-record-serialization-services-nar",
    "nifi-dbcp-service-nar",
    "nifi-standard-services-api-nar",
    "nifi-splunk-nar",
))


@pytest.fixture(scope="session")
def real_manifest() -> RuntimeManifest:
    """A runtime manifest assembled from real NiFi NARs (downloaded once into the user cache)."""
    return load_manifest(nars=REAL_NARS)


@pytest.fixture(scope="module")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a real ZooKeeper on 127.0.0.1, one per test module, stopped after it."""
    with zookeeper_server(tmp_path_factory.mktemp("zookeeper")) as port:
        yield port
