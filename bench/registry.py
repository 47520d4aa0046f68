#!/usr/bin/env python3
"""Time to push a 20-flow project to a flow registry, to re-push it unchanged, and to push one change.

The project is generated in a temporary Git checkout: 20 flow modules, each one ingest flow of
three Kafka topics (49 components). Every push builds and validates all 20 flows against
real NiFi 2.3.0 NARs (cached), then writes to a local bare Git repository through the Git flow
registry; with `NIFI_REGISTRY_URL` set (`spotlight-nifi dev env` prints the local one), the
same runs go to that NiFi Registry too, into a fresh bucket. Each push is timed in its two parts,
build and validate, then the registry's (read the latest versions, compare digests, write). An
unchanged re-push must create no version.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from spotlight_nifi.config import Settings
from spotlight_nifi.flow.build import check
from spotlight_nifi.flow.manifest import load_manifest
from spotlight_nifi.flow.manifest_sources import nar_coordinates
from spotlight_nifi.flow.release import release
from spotlight_nifi.flow.target import with_project_processors
from spotlight_nifi.registry import Environment, current_source, load_environment, open_registry, write

FLOWS = 20
NIFI = "2.3.0"
NARS = nar_coordinates(NIFI, ("nifi-record-serialization-services-nar", "nifi-dbcp-service-nar",
                              "nifi-standard-services-api-nar", "nifi-splunk-nar"))
MODULE = '''from spotlight_nifi.flow.template import Topic, ingest_flow

flow = ingest_flow("Bench {index}", [Topic("t{index}.a", table="a{index}", batch_size={batch}),
                                     Topic("t{index}.b", table="b{index}"), Topic("t{index}.c", table="c{index}")])
'''


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args],
                   check=True, capture_output=True)


def project(root: Path) -> Path:
    flows = root / "flows"
    flows.mkdir(parents=True)
    for index in range(FLOWS):
        (flows / f"bench_{index}.py").write_text(MODULE.format(index=index, batch=1000))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "bench flows")
    return flows


def set_batch(flows: Path, batch: int) -> None:
    """Flow `Bench 0` with this batch size, committed (the others never change)."""
    (flows / "bench_0.py").write_text(MODULE.format(index=0, batch=batch))
    git(flows.parent, "commit", "-qam", f"batch {batch}", "--allow-empty")


def runs(flows: Path, environment: Environment, cache: Path) -> None:
    manifest = with_project_processors(load_manifest(nars=NARS))
    registry = open_registry(environment, cache)
    for label, batch in (("first push", 1000), ("unchanged re-push", 1000), ("push with one flow changed", 2000)):
        set_batch(flows, batch)
        start = time.perf_counter()
        built = check(flows, manifest, target=release(NIFI))
        snapshots = {name: json.loads(text) for name, text in built.flows.items()}
        middle = time.perf_counter()
        report = write(registry, snapshots, message=label, author="Bench <b@x>", source=current_source(flows),
                       repo=flows)
        end = time.perf_counter()
        created = sum(o.created for o in report.outcomes)
        print(f"{environment.type}: {label}: {end - start:.2f} s (build and validate {middle - start:.2f} s, "
              f"registry {end - middle:.2f} s): {created} new version(s), {len(report.outcomes) - created} unchanged")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as temp:
        root = Path(temp)
        flows = project(root / "project")
        subprocess.run(["git", "init", "-q", "--bare", str(root / "registry.git")], check=True)
        none = Path(root / "none.yaml")
        settings = Settings.load(root / ".env", environ={})
        runs(flows, load_environment("dev", settings, none, url=str(root / "registry.git")), root / "cache")
        url = os.environ.get("NIFI_REGISTRY_URL")
        if url:
            bucket = f"bench-{uuid.uuid4().hex[:8]}"
            settings = Settings.load(root / ".env", environ={"DEV_FLOW_REGISTRY_TYPE": "nifi-registry",
                                                             "DEV_FLOW_REGISTRY_BUCKET": bucket})
            runs(flows, load_environment("dev", settings, none, url=url), root / "cache")
        else:
            print("nifi-registry: skipped (set NIFI_REGISTRY_URL, e.g. from `spotlight-nifi dev env`)")


if __name__ == "__main__":
    main()
