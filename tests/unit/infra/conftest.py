"""Fixtures for the infra renderer: settings from `example.env`, and the Compose Specification schema."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.stack.state import cache_dir
from tests.availability import unavailable

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_ENV = ROOT / "example.env"

# The official Compose Specification schema (compose-spec/compose-spec schema/compose-spec.json),
# as shipped by the npm package of the dclint linter, which vendors it unchanged.
SCHEMA_PACKAGE = "dclint@3.1.0"
SCHEMA_MEMBER = "package/schemas/compose.schema.json"


@pytest.fixture
def example() -> Settings:
    """`example.env` alone: the process environment must not change golden output."""
    return Settings.load(EXAMPLE_ENV, environ={})


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
