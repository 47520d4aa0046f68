"""Push and promote against the real NiFi Registry 0.8.0 the local stack runs (one bucket per environment)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.registry import Environment, RegistryUnreachable, load_environment
from spotlight_nifi.stack.process import choose_port
from tests.integration import registry_project as scenario
from tests.integration.registry_project import FLOW, Checkout, git


def registry_environment(name: str, url: str, bucket: str) -> Environment:
    settings = Settings.load("/nonexistent", environ={f"{name.upper()}_FLOW_REGISTRY_TYPE": "nifi-registry",
                                                      f"{name.upper()}_FLOW_REGISTRY_BUCKET": bucket})
    return load_environment(name, settings, Path("/nonexistent.yaml"), url=url)


@pytest.fixture
def buckets() -> str:
    """A suffix that gives each test its own buckets on the session's server."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def dev(nifi_registry_url: str, buckets: str) -> Environment:
    return registry_environment("dev", nifi_registry_url, f"spotlight-dev-{buckets}")


@pytest.fixture
def alice(tmp_path: Path, real_manifest: RuntimeManifest) -> Checkout:
    return scenario.new_project(tmp_path / "alice", real_manifest)


@pytest.fixture
def bob(alice: Checkout, tmp_path: Path) -> Checkout:
    return alice.clone(tmp_path / "bob", "Bob <bob@example.com>")


def test_push_new_then_unchanged_creates_one_version(alice: Checkout, dev: Environment) -> None:
    scenario.push_new_then_unchanged(alice, dev)


def test_versions_are_next_integers_with_provenance_in_the_comments(alice: Checkout, dev: Environment) -> None:
    version = alice.push(dev, "first version").outcomes[0].version
    assert version.version == "1" and version.author == alice.author
    api = f"{dev.url}/nifi-registry-api"
    with urllib.request.urlopen(f"{api}/buckets") as response:
        bucket = next(b for b in json.loads(response.read()) if b["name"] == dev.bucket)
    with urllib.request.urlopen(f"{api}/buckets/{bucket['identifier']}/flows") as response:
        flow = next(iter(json.loads(response.read())))
    version_url = f"{api}/buckets/{bucket['identifier']}/flows/{flow['identifier']}/versions/1"
    with urllib.request.urlopen(version_url) as response:
        stored = json.loads(response.read())
    assert flow["name"] == FLOW and stored["flowContents"]["name"] == FLOW
    comments = stored["snapshotMetadata"]["comments"].splitlines()
    assert comments[0] == "first version"
    assert f"Spotlight-Source-Commit: {git(alice.root, 'rev-parse', 'HEAD')}" in comments
    assert f"Spotlight-Author: {alice.author}" in comments and any(c.startswith("Spotlight-Content-Digest: sha256:")
                                                                   for c in comments)


def test_a_push_from_code_without_their_version_is_refused_until_forced(alice: Checkout, bob: Checkout,
                                                                        dev: Environment) -> None:
    scenario.conflicting_push_refused_then_forced(alice, bob, dev)


def test_two_racing_pushes_one_wins_and_no_version_is_lost(alice: Checkout, bob: Checkout, dev: Environment) -> None:
    scenario.racing_pushes(alice, bob, dev)


def test_promote_copies_the_dev_version_with_staging_parameters(alice: Checkout, dev: Environment,
                                                                nifi_registry_url: str, buckets: str) -> None:
    scenario.promote_to_staging(alice, dev, registry_environment("staging", nifi_registry_url,
                                                                 f"spotlight-staging-{buckets}"))


def test_an_unreachable_server_is_named(alice: Checkout) -> None:
    url = f"http://127.0.0.1:{choose_port('test', None)}"
    with pytest.raises(RegistryUnreachable, match=rf"environment `dev` \(NiFi Registry `{url}` bucket `b`\): cannot "
                                                  rf"reach `{url}/nifi-registry-api`"):
        alice.push(registry_environment("dev", url, "b"), "x")
