#!/usr/bin/env python3
"""Time to deploy a 20-flow project to the local NiFi, to re-deploy it unchanged, and to deploy one change.

The project is generated in a temporary directory: 20 flow modules, each one HTTP ingest flow
(ListenHTTP, our three Python processors, PutDatabaseRecord, two services) on its own port. The
flows are built and validated against the running NiFi's manifest and pushed to a local bare Git
repository (dev's flow registry), then `deploy` puts them on the NiFi of `NIFI_URL` (start it with
`spotlight-nifi dev up nifi postgres clickhouse`, then `eval $(spotlight-nifi dev env)` or a
`.env`): first deploy (20 process groups uploaded, parameters set, services enabled, processors
started and waited for), unchanged re-deploy (20 exports compared, nothing replaced), one flow
changed (one replace request in place). The groups are removed at the end.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from spotlight_nifi.canvas import NiFi, deploy
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.build import check
from spotlight_nifi.flow.manifest import load_manifest
from spotlight_nifi.flow.release import release
from spotlight_nifi.flow.target import with_project_processors
from spotlight_nifi.registry import Source, load_environment, open_registry, write
from spotlight_nifi.stack import cache_dir
from spotlight_nifi.stack.process import choose_port

FLOWS = 20
MODULE = '''from spotlight_nifi.flow.template import HttpIngress, ingest_flow

flow = ingest_flow("Bench {index}", [HttpIngress("b{index}", table="bench_{index}", parameters="bench{index}.ingress",
                                                 batch_size={batch})])
'''


def push(flows: Path, registry_settings: Settings, settings: Settings, cache: Path) -> None:
    manifest = with_project_processors(load_manifest(nifi_url=settings.require("NIFI_URL"), cache_dir=cache))
    built = check(flows, manifest, target=release(NiFi(settings.require("NIFI_URL")).version()))
    environment = load_environment("dev", registry_settings, flows.parent / "environments.yaml")
    write(open_registry(environment, cache), {name: json.loads(text) for name, text in built.flows.items()},
          message="bench", author="Bench <bench@example.com>", source=Source(None, True), repo=flows)


def main() -> None:
    base = Settings.load()
    ports = {f"NIFI_BENCH{i}_INGRESS_PORT": str(choose_port("bench", None)) for i in range(FLOWS)}
    settings = Settings(environ={**base.file_values, **base.environ, **ports})
    cache = cache_dir(settings)
    nifi = NiFi(settings.require("NIFI_URL", hint="`spotlight-nifi dev env` prints the local NiFi's"))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        flows = root / "flows"
        flows.mkdir()
        subprocess.run(["git", "init", "-q", "--bare", str(root / "registry.git")], check=True)
        (root / "environments.yaml").write_text("defaults:\n  url: registry.git\nenvironments:\n  dev: {}\n")
        registry_settings = Settings.load(root / ".env", environ={})
        environment = load_environment("dev", registry_settings, root / "environments.yaml")
        for index in range(FLOWS):
            (flows / f"bench_{index}.py").write_text(MODULE.format(index=index, batch=1000))
        push(flows, registry_settings, settings, cache)
        try:
            for label in ("first deploy, 20 new flows", "unchanged re-deploy", "one flow changed"):
                if label == "one flow changed":
                    (flows / "bench_0.py").write_text(MODULE.format(index=0, batch=2000))
                    push(flows, registry_settings, settings, cache)
                start = time.perf_counter()
                done = deploy(flows, (), environment, settings, cache=cache)
                seconds = time.perf_counter() - start
                actions = {a: sum(d.action == a for d in done) for a in ("create", "upgrade", "unchanged")}
                running = sum(c.up for d in done for c in d.components)
                print(f"{label}: {seconds:.1f} s ({actions['create']} created, {actions['upgrade']} upgraded, "
                      f"{actions['unchanged']} unchanged; {running} components running or enabled)")
        finally:
            for group in nifi.groups():
                if group.component.name.startswith("Bench "):
                    nifi.remove(group.id)


if __name__ == "__main__":
    main()
