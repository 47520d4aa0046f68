"""Every flow of `flows/`, built for NiFi 2.3.0, uploaded into the local stack's real NiFi 2.3.0.

Each component must come up VALID, except the Kafka components, whose NARs Maven Central does not
publish here: NiFi keeps them as ghosts (`extensionMissing`), and the test names them. Our Python
processors must load as real NiFi Python processors and validate, which proves the processors NAR,
its bundled dependencies and NiFi's Python framework together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spotlight_nifi.canvas import ComponentState, NiFi, deploy_definition
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.build import check
from spotlight_nifi.flow.manifest import RuntimeManifest, load_manifest
from spotlight_nifi.flow.release import release
from spotlight_nifi.flow.target import with_project_processors
from spotlight_nifi.processor_specs import ALL
from spotlight_nifi.stack.nifi import NOT_PUBLISHED
from spotlight_nifi.stack.process import choose_port
from spotlight_nifi.versions import LOCAL_NIFI_VERSION

pytestmark = pytest.mark.integration

FLOWS = Path(__file__).resolve().parents[2] / "flows"
KAFKA_TYPES = {"org.apache.nifi.kafka.processors.ConsumeKafka", "org.apache.nifi.kafka.processors.PublishKafka",
               "org.apache.nifi.kafka.service.Kafka3ConnectionService"}


@pytest.fixture(scope="module")
def manifest(nifi_url: str, tmp_path_factory: pytest.TempPathFactory) -> RuntimeManifest:
    return load_manifest(nifi_url=nifi_url, cache_dir=tmp_path_factory.mktemp("manifests"))


@pytest.fixture(scope="module")
def uploaded(nifi_url: str, manifest: RuntimeManifest,
             stack_settings: Callable[..., Settings]) -> Iterator[dict[str, list[ComponentState]]]:
    """Each flow deployed with the local stack's settings, services enabled, processors not started:
    its components as the canvas reports them once NiFi has validated them. The HTTP flow goes first,
    so the parameter context both share starts without the parameters only Kafka ghosts reference."""
    built = check(FLOWS, with_project_processors(manifest), target=release(LOCAL_NIFI_VERSION))
    nifi = NiFi(nifi_url)
    settings = stack_settings(NIFI_HTTP_INGRESS_PORT=str(choose_port("test", None)))
    deployed = [deploy_definition(nifi, built.flows[name], settings, start=False)
                for name in sorted(built.flows, key=lambda n: "Kafka" in n or "HTTP" not in n)]
    try:
        yield {d.flow: d.components for d in deployed}
    finally:
        for deployment in deployed:
            nifi.remove(deployment.group_id)


def test_the_running_nifi_is_the_manifest_and_it_is_kept_per_version(nifi_url: str, tmp_path: Path) -> None:
    fresh = load_manifest(nifi_url=nifi_url, cache_dir=tmp_path)
    assert fresh.source == f"NiFi at {nifi_url}"
    assert {"nifi-standard-nar", "nifi-update-attribute-nar", "nifi-dbcp-service-nar"} <= {
        b.artifact for b in fresh.bundles}
    cached = load_manifest(maven_version=LOCAL_NIFI_VERSION, cache_dir=tmp_path)
    assert cached.source.startswith("NiFi 2.3.0's own manifest") and cached.components == fresh.components


def test_only_the_unpublished_kafka_bundles_are_not_checked(manifest: RuntimeManifest) -> None:
    built = check(FLOWS, with_project_processors(manifest), target=release(LOCAL_NIFI_VERSION))
    assert {b.split(":")[1] for b in built.unchecked} == {"nifi-kafka-nar", "nifi-kafka-3-service-nar"}
    assert {"nifi-kafka-nar", "nifi-kafka-3-service-nar"} <= set(NOT_PUBLISHED)


def test_every_component_is_valid_but_the_kafka_ghosts(uploaded: dict[str, list[ComponentState]]) -> None:
    assert set(uploaded) == {"Spotlight ingest", "Spotlight HTTP ingest"}
    for name, states in uploaded.items():
        ghosts = [s for s in states if s.missing_extension]
        invalid = [s.line() for s in states if s.validation != "VALID" and not s.missing_extension]
        assert invalid == [], name
        assert {s.type for s in ghosts} <= KAFKA_TYPES, [s.line() for s in ghosts]
    kafka_flow = uploaded["Spotlight ingest"]
    assert {s.type for s in kafka_flow if s.missing_extension} == {
        "org.apache.nifi.kafka.processors.ConsumeKafka", "org.apache.nifi.kafka.service.Kafka3ConnectionService"}


def test_our_python_processors_load_in_nifi(uploaded: dict[str, list[ComponentState]]) -> None:
    python = [s for states in uploaded.values() for s in states if s.type in {p.type for p in ALL}]
    assert {s.type for s in python} == {p.type for p in ALL}
    assert all(s.validation == "VALID" and not s.missing_extension for s in python), [s.line() for s in python]
