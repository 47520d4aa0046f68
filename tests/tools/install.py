"""Tools the tests run, made once into the user cache (never into the repo): built from Go source,
or (Superset) installed from PyPI into a virtualenv of their own. Making them takes minutes, so each
version is made the first time a test session (or scripts/install) needs it and every later run
reuses it. `python -m tests.tools.install` makes them all."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from dotenv import dotenv_values

from spotlight_nifi.config import Settings
from spotlight_nifi.infra.services.superset import DRIVERS
from spotlight_nifi.stack.state import cache_dir
from tests.availability import unavailable

ROOT = Path(__file__).resolve().parents[2]
COMPOSECHECK = Path(__file__).resolve().parent / "composecheck"
"""compose-go, the loader Docker Compose itself uses, behind a small command line."""
NOMADCHECK = Path(__file__).resolve().parent / "nomadcheck"
"""consul-template, the engine Nomad renders `template` blocks with, behind a small command line."""

OPENTOFU_MODULE = "github.com/opentofu/opentofu"
OPENTOFU_VERSION = "1.12.6"
"""OpenTofu stands in for `terraform`: HashiCorp's terraform is no longer open source (BSL since 1.6)
and nothing reached here publishes its binary, while OpenTofu (MPL-2.0) is its drop-in fork (same
`fmt`, `console` and `templatefile`) whose source the Go module proxy serves."""
OPENTOFU_LDFLAGS = "-s -w -X 'github.com/opentofu/opentofu/version.dev=no'"
"""As OpenTofu's release build links it (.goreleaser.yaml): no `-dev` suffix on the version."""

BUILD_TIMEOUT = 1800
"""Seconds: a cold OpenTofu build took 8 minutes on 2 busy cores (scripts/install pre-builds it, out of
reach of pytest's 900 s per-test timeout)."""


class Unavailable(Exception):
    """Go is missing or the build failed: the reason, for a test to report or a person to read."""


def _target(name: str) -> Path:
    return cache_dir(Settings.load(environ=os.environ)) / "tools" / name


def _go(purpose: str) -> str:
    go = shutil.which("go")
    if go is None:
        raise Unavailable(f"go is not installed: it builds {purpose}")
    return go


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"`{' '.join(command)}` in {cwd} took over {BUILD_TIMEOUT} s") from None
    if done.returncode != 0:
        raise Unavailable(f"`{' '.join(command)}` in {cwd} failed: {done.stderr.strip()[-1500:]}")
    return done


def _build(go: str, source: Path, package: str, target: Path, flags: list[str], env: dict[str, str]) -> Path:
    """`go build` into a partial file renamed into place, so a killed build leaves no broken tool and
    two sessions building at once both end with a whole one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        _run([go, "build", "-buildvcs=false", *flags, "-o", str(partial), package], source, {**os.environ, **env})
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _from_source(name: str, directory: Path, purpose: str) -> Path:
    """A tool of this repository's, keyed by a hash of its sources: an edit to them builds a new binary."""
    sources = b"".join((directory / file).read_bytes() for file in ("go.mod", "go.sum", "main.go"))
    target = _target(f"{name}-{hashlib.sha256(sources).hexdigest()[:16]}")
    if target.is_file():
        return target
    return _build(_go(f"{directory} ({purpose})"), directory, ".", target, [], {})


def composecheck() -> Path:
    return _from_source("composecheck", COMPOSECHECK, "compose-go, Docker Compose's loader")


def nomadcheck() -> Path:
    return _from_source("nomadcheck", NOMADCHECK, "consul-template, Nomad's template engine")


def opentofu() -> Path:
    """Keyed by version. `go install` refuses the module (its go.mod has replace directives), so it is
    downloaded and built as the main module, where the replacements apply."""
    target = _target(f"tofu-{OPENTOFU_VERSION}")
    if target.is_file():
        return target
    go = _go(f"OpenTofu {OPENTOFU_VERSION}, the `terraform` the Terraform tests run")
    target.parent.mkdir(parents=True, exist_ok=True)
    downloaded = _run([go, "mod", "download", "-json", f"{OPENTOFU_MODULE}@v{OPENTOFU_VERSION}"], target.parent)
    source = Path(json.loads(downloaded.stdout)["Dir"])
    return _build(go, source, "./cmd/tofu", target, ["-mod=mod", "-trimpath", f"-ldflags={OPENTOFU_LDFLAGS}"],
                  {"CGO_ENABLED": "0"})


def superset_version() -> str:
    """The Superset release the rendered stack runs: the tag of `example.env`'s SUPERSET_IMAGE."""
    image = dotenv_values(ROOT / "example.env")["SUPERSET_IMAGE"] or ""
    return image.rsplit(":", 1)[-1]


SUPERSET_PINS = ("marshmallow>=3.20,<4", "marshmallow-sqlalchemy<1.4")
"""Superset's image installs its pinned requirements; from PyPI, pip takes marshmallow 4, with which
Superset 5.0 fails at import (`Field.__init__() got an unexpected keyword argument 'minLength'`)."""


def superset() -> Path:
    """Superset from PyPI with the drivers its start script adds, in a virtualenv of its own (its
    pinned dependencies are not this project's); the `superset` command in it. A virtualenv names
    its own path inside, so it is made in place and marked whole only at the end."""
    version = superset_version()
    home = _target(f"superset-{version}")
    whole = home / ".installed"
    if whole.is_file():
        return home / "bin" / "superset"
    shutil.rmtree(home, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(home)], ROOT)
    _run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          f"apache-superset=={version}", *SUPERSET_PINS, *DRIVERS], ROOT)
    whole.write_text(version)
    return home / "bin" / "superset"


TOOLS: dict[str, Callable[[], Path]] = {"composecheck": composecheck, "nomadcheck": nomadcheck, "tofu": opentofu,
                                        "superset": superset}


def built(tool: Callable[[], Path]) -> Path:
    """The tool for a test: its build failing fails the test under CI=true and skips it elsewhere."""
    try:
        return tool()
    except Unavailable as reason:
        unavailable(str(reason))


def main(names: list[str]) -> NoReturn:
    """Build the named tools (all without names), printing where each is and how long it took."""
    failed = False
    for name in names or TOOLS:
        started = time.monotonic()
        try:
            path = TOOLS[name]()
        except Unavailable as reason:
            print(f"{name}: {reason}", file=sys.stderr)
            failed = True
        else:
            print(f"{name}: {path} ({time.monotonic() - started:.0f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
