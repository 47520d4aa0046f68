"""Fixtures shared by every test module."""

from __future__ import annotations

import pytest

from spotlight_nifi.flow.manifest import RuntimeManifest, load_manifest
from spotlight_nifi.flow.manifest_sources import nar_coordinates

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
