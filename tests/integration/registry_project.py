"""A flows project under Git, its developers, and the push/promote scenarios both registry backends pass.

Each scenario takes a `Checkout` (a developer's clone of the project) and an `Environment`, so
`test_registry_git.py` and `test_registry_nifi_registry.py` run the same stories against a
real Git repository and a real NiFi Registry server.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from spotlight_nifi.errors import ConfigError
from spotlight_nifi.flow.build import check
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.release import release
from spotlight_nifi.registry import (Environment, FlowRegistry, FlowVersion, Publication, RegistryConflict, Report,
                                     current_source, open_registry, promote, push_flows, write)
from spotlight_nifi.registry.snapshot import canonical
from spotlight_nifi.registry.trailers import PROMOTED_FROM, parse

FLOW = "Orders ingest"
FLOW_MODULE = '''from spotlight_nifi.flow.template import Topic, ingest_flow

orders = ingest_flow("Orders ingest", [Topic("orders", table="orders", batch_size={batch})])
'''
STAGING_ENV = """KAFKA_BOOTSTRAP_SERVERS=kafka.staging:9092
KAFKA_SECURITY_PROTOCOL=SASL_SSL
KAFKA_GROUP_ID=spotlight-staging
CLICKHOUSE_URL=http://clickhouse.staging:8123/spotlight
CLICKHOUSE_USER=loader
CLICKHOUSE_PASSWORD=staging-secret-never-written
FAILURE_DB_JDBC_URL=jdbc:postgresql://pg.staging:5432/failures
FAILURE_DB_USER=steward
FAILURE_DB_PASSWORD=another-secret-never-written
FAILURE_DB_JDBC_DRIVER=/opt/nifi/drivers/postgresql.jar
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True).stdout.strip()


@dataclass
class Checkout:
    """One developer's clone of the flows project."""

    root: Path
    author: str
    manifest: RuntimeManifest
    cache: Path

    @property
    def flows(self) -> Path:
        return self.root / "flows"

    def edit(self, batch: int, commit: bool = True) -> None:
        (self.flows / "orders.py").write_text(FLOW_MODULE.format(batch=batch))
        if commit:
            git(self.root, "commit", "-qam", f"batch size {batch}")

    def push(self, environment: Environment, message: str = "change", force: bool = False) -> Report:
        return push_flows(self.flows, self.manifest, (), environment, message=message, cache=self.cache,
                          author=self.author, force=force, target=release(self.manifest.nifi_version))

    def snapshots(self) -> dict[str, dict[str, Any]]:
        built = check(self.flows, self.manifest, target=release(self.manifest.nifi_version))
        return {name: json.loads(text) for name, text in built.flows.items()}

    def clone(self, path: Path, author: str) -> Checkout:
        subprocess.run(["git", "clone", "-q", str(self.root), str(path)], check=True)
        name, email = author.removesuffix(">").split(" <")
        for key, value in {"user.name": name, "user.email": email}.items():
            git(path, "config", key, value)  # a fresh machine has no global identity to fall back on
        return Checkout(path, author, self.manifest, path / ".cache")


def new_project(path: Path, manifest: RuntimeManifest) -> Checkout:
    """A Git repository holding one flow, committed by Alice."""
    (path / "flows").mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for key, value in {"user.name": "Alice", "user.email": "alice@example.com"}.items():
        git(path, "config", key, value)
    alice = Checkout(path, "Alice <alice@example.com>", manifest, path.parent / "alice-cache")
    alice.edit(1000, commit=False)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "orders flow")
    return alice


def history(environment: Environment, cache: Path) -> list[str]:
    """Every version of the flow in the environment, newest first."""
    registry = open_registry(environment, cache)
    registry.refresh()
    if environment.type == "git":
        path = f"{environment.bucket}/Orders-ingest.json"
        return git(Path(registry.repo), "log", "--format=%H", registry.ref, "--", path).split()
    latest = registry.latest([FLOW]).get(FLOW)
    return [str(n) for n in range(int(latest.version), 0, -1)] if latest else []


def created(report: Report) -> list[bool]:
    return [o.created for o in report.outcomes]


def push_new_then_unchanged(alice: Checkout, dev: Environment) -> None:
    first = alice.push(dev, "first version")
    assert created(first) == [True] and first.outcomes[0].flow == FLOW
    again = alice.push(dev, "nothing changed")
    assert created(again) == [False]
    assert again.outcomes[0].version.version == first.outcomes[0].version.version
    assert len(history(dev, alice.cache)) == 1
    alice.edit(2000)
    assert created(alice.push(dev, "bigger batches")) == [True]
    assert len(history(dev, alice.cache)) == 2


def conflicting_push_refused_then_forced(alice: Checkout, bob: Checkout, dev: Environment) -> None:
    alice.push(dev, "first version")
    bob.edit(3000)
    bobs = bob.push(dev, "bob's batches").outcomes[0].version
    alice.edit(4000)
    with pytest.raises(RegistryConflict) as refused:
        alice.push(dev, "alice's batches")
    message = str(refused.value)
    assert f"environment `{dev.name}`" in message and f"flow `{FLOW}`" in message
    assert "by `Bob <bob@example.com>`" in message and "git pull" in message and "--force" in message
    assert len(history(dev, alice.cache)) == 2
    forced = alice.push(dev, "alice's batches, on purpose", force=True)
    assert created(forced) == [True]
    versions = history(dev, alice.cache)
    assert len(versions) == 3 and bobs.version in versions


class Gate:
    """A registry whose first publish waits until every racer has read: a guaranteed race."""

    def __init__(self, inner: FlowRegistry, barrier: threading.Barrier) -> None:
        self.inner, self.barrier, self.waited = inner, barrier, False
        self.environment, self.description = inner.environment, inner.description

    def refresh(self) -> None:
        self.inner.refresh()

    def latest(self, flows: Sequence[str]) -> dict[str, FlowVersion]:
        return self.inner.latest(flows)

    def snapshot(self, flow: str, version: str) -> dict[str, Any]:
        return self.inner.snapshot(flow, version)

    def publish(self, publications: Sequence[Publication], message: str, author: str) -> dict[str, FlowVersion]:
        if not self.waited:
            self.waited = True
            self.barrier.wait(timeout=60)
        return self.inner.publish(publications, message, author)


def racing_pushes(alice: Checkout, bob: Checkout, dev: Environment) -> None:
    base = alice.push(dev, "base").outcomes[0].version
    alice.edit(5000)
    bob.edit(6000)
    barrier = threading.Barrier(2)
    results: dict[str, Report | Exception] = {}

    def race(who: Checkout) -> None:
        registry = Gate(open_registry(dev, who.cache), barrier)
        try:
            results[who.author] = write(registry, who.snapshots(), message=f"race {who.author}", author=who.author,
                                        source=current_source(who.root), repo=who.root)
        except RegistryConflict as error:
            results[who.author] = error

    threads = [threading.Thread(target=race, args=(who,)) for who in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    winners = [r for r in results.values() if isinstance(r, Report)]
    losers = [r for r in results.values() if isinstance(r, RegistryConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    winner = winners[0].outcomes[0].version
    assert winner.author in str(losers[0])
    versions = history(dev, alice.cache)
    assert versions[0] == winner.version and base.version in versions and len(versions) == 2


def promote_to_staging(alice: Checkout, dev: Environment, staging: Environment) -> None:
    alice.push(dev, "ready for staging")
    with pytest.raises(ConfigError, match="KAFKA_BOOTSTRAP_SERVERS"):
        promote(FLOW, dev, replace(staging, env_file=alice.root / "missing.env"), cache=alice.cache, repo=alice.root)
    staging_env = alice.root / ".env.staging"
    staging_env.write_text(STAGING_ENV)
    target = replace(staging, env_file=staging_env)
    report = promote(FLOW, dev, target, cache=alice.cache, repo=alice.root, author=alice.author)
    promoted = report.outcomes[0].version
    assert created(report) == [True] and report.environment == staging.name
    origin_registry, target_registry = open_registry(dev, alice.cache), open_registry(target, alice.cache)
    origin = origin_registry.latest([FLOW]).get(FLOW)
    assert origin is not None and parse(promoted.message)[PROMOTED_FROM] == f"{dev.name} {origin.version}"
    assert promoted.source == origin.source
    before = canonical(origin_registry.snapshot(FLOW, origin.version))
    after = canonical(target_registry.snapshot(FLOW, promoted.version))
    assert after["flowContents"] == before["flowContents"]
    parameters = {p["name"]: p for p in next(iter(after["parameterContexts"].values()))["parameters"]}
    assert parameters["kafka.bootstrap.servers"]["value"] == "kafka.staging:9092"
    assert parameters["clickhouse.user"]["value"] == "loader"
    assert parameters["clickhouse.password"]["sensitive"] and "value" not in parameters["clickhouse.password"]
    stored = json.dumps(target_registry.snapshot(FLOW, promoted.version))
    assert "secret-never-written" not in stored
    again = promote(FLOW, dev, target, cache=alice.cache, repo=alice.root, author=alice.author)
    assert created(again) == [False] and again.outcomes[0].version.version == promoted.version
