"""This checkout's processors NAR for the local NiFi, rebuilt only when the sources change.

Building it bundles every dependency with pip (tens of seconds), so it is kept in the download
cache under a hash of what goes into it: the processors, the `spotlight_nifi` package and
`pyproject.toml`. A checkout whose code changed gets a new NAR on the next `dev up`.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from spotlight_nifi.ingest import nar

_SOURCES = (("processors", "*.py"), ("spotlight_nifi", "*.py"), ("spotlight_nifi", "*.sql"), ("spotlight_nifi", "*.json"))


def sources_hash(root: Path) -> str:
    """A digest of every file the NAR is built from, by path and content."""
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes())
    for folder, pattern in _SOURCES:
        for path in sorted((root / folder).rglob(pattern)):
            if "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def current_nar(cache: Path, root: Path | None = None) -> Path:
    """The NAR of the checkout at `root` (default: this one), built once per version of its sources."""
    root = root or nar.project_root()
    home = cache / "processors-nar"
    target = home / sources_hash(root)
    found = sorted(target.glob("*.nar"))
    if found:
        return found[0]
    if home.is_dir():
        shutil.rmtree(home)
    return nar.build_nar(target, root)
