"""Fixtures for the infra renderer: the two golden scenarios, Terraform's `templatefile` as the
job templates use it, OpenTofu standing in for `terraform`, and the Compose Specification schema."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from dotenv import dotenv_values

from spotlight_nifi.config import Settings
from spotlight_nifi.stack.state import cache_dir
from tests.availability import unavailable
from tests.tools import install

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_ENV = ROOT / "example.env"
GOLDEN = ROOT / "tests" / "golden" / "infra"
CLUSTER_ENV = GOLDEN / "cluster.env"
"""The distributed scenario: `example.env` with these keys overridden; rendered into `GOLDEN/cluster`."""

# The official Compose Specification schema (compose-spec/compose-spec schema/compose-spec.json),
# as shipped by the npm package of the dclint linter, which vendors it unchanged.
SCHEMA_PACKAGE = "dclint@3.1.0"
SCHEMA_MEMBER = "package/schemas/compose.schema.json"


def cluster_overrides() -> dict[str, str]:
    return {key: value or "" for key, value in dotenv_values(CLUSTER_ENV).items()}


@pytest.fixture
def example() -> Settings:
    """`example.env` alone: the process environment must not change golden output."""
    return Settings.load(EXAMPLE_ENV, environ={})


@pytest.fixture
def cluster() -> Settings:
    """`example.env` asking for 2 shards × 2 replicas, 3 Keeper nodes, 3 Kafka brokers, 2 NiFi nodes, 2 Spark
    workers and ParadeDB."""
    return Settings.load(EXAMPLE_ENV, environ=cluster_overrides())


@pytest.fixture(params=["example", "cluster"])
def scenario(request: pytest.FixtureRequest) -> Settings:
    return request.getfixturevalue(request.param)


_TEMPLATE = re.compile(r"\$\$\{|%%\{|\$\{([A-Za-z0-9_]+)\}")


def fill(template: str, values: dict[str, str]) -> str:
    """What Terraform's `templatefile(path, values)` makes of a job template: `${KEY}` → value,
    `$${` → `${`, `%%{` → `%{` (the only template syntax the renderer writes; a test compares
    this with OpenTofu's real `templatefile`)."""
    def one(match: re.Match[str]) -> str:
        return values[match[1]] if match[1] else match[0][1:]
    return _TEMPLATE.sub(one, template)


@pytest.fixture(scope="session")
def terraform() -> Path:
    """OpenTofu's `tofu` as the `terraform` CLI, built once into the user cache (why OpenTofu:
    `tests.tools.install.OPENTOFU_VERSION`)."""
    return install.built(install.opentofu)


@pytest.fixture(scope="session")
def compose_schema_path() -> Path:
    """The schema file, fetched once with `npm pack` into the user cache (never into the repo)."""
    target = cache_dir(Settings.load(environ=os.environ)) / "compose-spec" / SCHEMA_PACKAGE.replace("@", "-") / "compose-spec.json"
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        unavailable(f"npm is not installed: it fetches the Compose Specification schema ({SCHEMA_PACKAGE})")
    target.parent.mkdir(parents=True, exist_ok=True)
    packed = subprocess.run([npm, "pack", SCHEMA_PACKAGE, "--silent", "--pack-destination", str(target.parent)],
                            capture_output=True, text=True, timeout=300)
    if packed.returncode != 0:
        unavailable(f"`npm pack {SCHEMA_PACKAGE}` failed: {packed.stderr.strip()[-500:]}")
    tarball = target.parent / packed.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(SCHEMA_MEMBER)
        if member is None:
            pytest.fail(f"{tarball} has no {SCHEMA_MEMBER}")
        target.write_bytes(member.read())
    tarball.unlink()
    return target
