"""Package the Python processors as a NiFi NAR, and install them into a NiFi.

The layout is the one hatch-datavolo-nar builds and NiFi 2.x loads: the processor package at the
NAR root, `META-INF/MANIFEST.MF` with Nar-Group / Nar-Id / Nar-Version, and the dependencies
installed (`pip install --target`, which unpacks their wheels) under
`NAR-INF/bundled-dependencies`, the directory NiFi puts on the processors' Python path; with them
bundled NiFi downloads nothing. The dependencies are the ones the processors declare in
`ProcessorDetails.dependencies`, read from the source the way NiFi reads them; `spotlight-nifi`
itself is built from this checkout and installed without its own (CLI-side) dependencies.
The plugin is not used because it needs a Hatch project and would fetch `spotlight-nifi` from PyPI.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from spotlight_nifi.errors import ConfigError, ServiceError
from spotlight_nifi.processor_specs import PROCESSORS_VERSION

PACKAGE = "spotlight_processors"
SELF = "spotlight-nifi"
NAR_GROUP = "spotlight-nifi"
NAR_ID = "spotlight-processors-nar"
BUNDLED = "NAR-INF/bundled-dependencies"


def project_root() -> Path:
    """The checkout this package runs from (it holds `processors/` and `pyproject.toml`)."""
    return Path(__file__).resolve().parents[2]


def declared_dependencies(package_dir: Path) -> list[str]:
    """The union of `ProcessorDetails.dependencies` over the package's modules, in first-seen order."""
    found: list[str] = []
    for module in sorted(package_dir.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            if isinstance(node, ast.ClassDef) and node.name == "ProcessorDetails":
                for statement in node.body:
                    if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                            and getattr(statement.targets[0], "id", None) == "dependencies"):
                        found += [d for d in ast.literal_eval(statement.value) if d not in found]
    return found


def manifest(built: datetime) -> str:
    return "".join(f"{line}\n" for line in (
        "Manifest-Version: 1.0", "Created-By: spotlight-nifi",
        f"Build-Timestamp: {built.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Nar-Id: {NAR_ID}", f"Nar-Group: {NAR_GROUP}", f"Nar-Version: {PROCESSORS_VERSION}"))


def _pip(args: list[str], log: Path) -> None:
    with log.open("a") as out:
        done = subprocess.run([sys.executable, "-m", "pip", *args], stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise ServiceError("pip", f"`pip {args[0]}` failed while bundling the processors' dependencies", tail)


def bundle_dependencies(root: Path, target: Path, log: Path) -> None:
    """Install the processors' dependencies into `target`: this checkout's wheel, then the rest."""
    wheels = target.parent / "wheels"
    requirements = declared_dependencies(root / "processors" / PACKAGE)
    _pip(["wheel", "--no-deps", "--quiet", "-w", str(wheels), str(root)], log)
    own = sorted(wheels.glob("spotlight_nifi-*.whl"))
    _pip(["install", "--no-deps", "--quiet", "--target", str(target), *map(str, own)], log)
    others = [r for r in requirements if not r.startswith(SELF)]
    _pip(["install", "--quiet", "--target", str(target), *others], log)


def _directories(names: Iterable[str]) -> list[str]:
    """Every folder above `names`, as zip directory entries: NiFi's NAR unpacker creates a file's
    folder only from such an entry, never from the file's path."""
    found = {"/".join(parts[:i]) + "/" for parts in (n.split("/") for n in names) for i in range(1, len(parts))}
    return sorted(found)


def build_nar(out_dir: Path, root: Path | None = None) -> Path:
    """Build `spotlight-processors-nar-<version>.nar` in `out_dir`; returns its path."""
    root = root or project_root()
    package_dir = root / "processors" / PACKAGE
    if not (package_dir / "__init__.py").is_file():
        raise ConfigError("--source", f"`{package_dir}` is not the processors package: pass the checkout with --source")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{NAR_ID}-{PROCESSORS_VERSION}.nar"
    with tempfile.TemporaryDirectory(prefix="spotlight-nar-") as work:
        deps = Path(work) / "bundled"
        bundle_dependencies(root, deps, out_dir / "pip.log")
        files = {"META-INF/MANIFEST.MF": None}
        files.update({f"{PACKAGE}/{p.relative_to(package_dir).as_posix()}": p for p in sorted(package_dir.rglob("*.py"))})
        files.update({f"{BUNDLED}/{p.relative_to(deps).as_posix()}": p for p in sorted(deps.rglob("*"))
                      if p.is_file() and "__pycache__" not in p.parts})
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as nar:
            for directory in _directories(files):
                nar.writestr(directory, b"")
            nar.writestr("META-INF/MANIFEST.MF", manifest(datetime.now(timezone.utc)))
            for name, path in files.items():
                if path is not None:
                    nar.write(path, name)
    return target


def install(nifi_home: Path, *, nar: Path | None = None, source: Path | None = None) -> Path:
    """Copy the NAR into `nifi_home/extensions`, or without a NAR the package into `python/extensions`."""
    if not nifi_home.is_dir():
        raise ConfigError("--nifi-home", f"`{nifi_home}` is not a directory: pass the NiFi installation directory")
    if nar is not None:
        if not nar.is_file():
            raise ConfigError("--nar", f"`{nar}` does not exist: run `spotlight-nifi processors build` first")
        destination = nifi_home / "extensions" / nar.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nar, destination)
        return destination
    package_dir = (source or project_root()) / "processors" / PACKAGE
    destination = nifi_home / "python" / "extensions" / PACKAGE
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(package_dir, destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination
