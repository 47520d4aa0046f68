"""Where the runtime manifest comes from: Maven Central coordinates of what our flows use.

The published `nifi-runtime-manifest` artifact covers every bundle of a NiFi release; when it
cannot be had, the manifest is assembled from the NARs below, which hold every component our
flows place on the canvas (Kafka in, records, JDBC out, attributes, routing).
"""

from __future__ import annotations

from spotlight_nifi.versions import NIFI_GROUP, NIFI_VERSION

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
RUNTIME_MANIFEST_ARTIFACT = "nifi-runtime-manifest"

FLOW_NAR_ARTIFACTS: tuple[str, ...] = (
    "nifi-standard-nar",
    "nifi-record-serialization-services-nar",
    "nifi-kafka-nar",
    "nifi-kafka-3-service-nar",
    "nifi-dbcp-service-nar",
    "nifi-update-attribute-nar",
    "nifi-standard-services-api-nar",
    "nifi-kafka-service-api-nar",
)


def nar_coordinates(version: str, artifacts: tuple[str, ...] = FLOW_NAR_ARTIFACTS) -> tuple[str, ...]:
    """`group:artifact:version` of each NAR, for another NiFi version than the pinned one."""
    return tuple(f"{NIFI_GROUP}:{artifact}:{version}" for artifact in artifacts)


FLOW_NARS: tuple[str, ...] = nar_coordinates(NIFI_VERSION)
