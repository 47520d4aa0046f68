"""Jars from Maven Central, resolved by Maven itself into a cache directory.

A small pom listing the wanted coordinates is generated next to the jars, and
`mvn dependency:copy-dependencies` copies the whole runtime classpath there (Maven's local
repository, `~/.m2`, keeps the downloads). A `.complete` marker holding the coordinates makes
the second run a no-op: no Maven, no network.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.flow.manifest_nar import artifact_url
from spotlight_nifi.flow.manifest_sources import MAVEN_CENTRAL
from spotlight_nifi.stack.process import log_tail

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.spotlight-nifi</groupId>
  <artifactId>{name}-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""
_DEPENDENCY = "    <dependency><groupId>{0}</groupId><artifactId>{1}</artifactId><version>{2}</version></dependency>"


def resolve(service: str, coordinates: list[str], target: Path) -> Path:
    """Copy `group:artifact:version` jars and their runtime dependencies into `target/libs`."""
    libs = target / "libs"
    marker = target / ".complete"
    wanted = "\n".join(coordinates)
    if marker.is_file() and marker.read_text() == wanted and libs.is_dir():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServiceError(service, "`mvn` is not on PATH: run `scripts/install` (it installs Debian's `maven`)")
    target.mkdir(parents=True, exist_ok=True)
    deps = "\n".join(_DEPENDENCY.format(*(escape(part) for part in c.split(":"))) for c in coordinates)
    (target / "pom.xml").write_text(_POM.format(name=escape(service), dependencies=deps))
    if libs.exists():
        shutil.rmtree(libs)
    log = target / "mvn.log"
    with log.open("w") as out:
        result = subprocess.run(
            [mvn, "-B", "-f", str(target / "pom.xml"), "dependency:copy-dependencies",
             f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False,
        )
    if result.returncode != 0:
        raise ServiceError(
            service,
            f"downloading {', '.join(f'`{c}`' for c in coordinates)} from Maven Central failed "
            f"(mvn exit {result.returncode}); check the network or `~/.m2/settings.xml` mirrors, full log `{log}`",
            log_tail(log, 30),
        )
    marker.write_text(wanted)
    return libs


def _pom_exists(coordinate: str, repository: str) -> bool | None:
    group, artifact, version = coordinate.split(":")
    request = urllib.request.Request(artifact_url(group, artifact, version, "pom", repository), method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except urllib.error.HTTPError as error:
        return False if error.code == 404 else None
    except OSError:
        return None


def missing(coordinates: list[str], repository: str = MAVEN_CENTRAL) -> tuple[list[str], list[str]]:
    """Which coordinates the repository answers 404 for, and which could not be checked."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda c: _pom_exists(c, repository), coordinates))
    absent = [c for c, ok in zip(coordinates, answers) if ok is False]
    unknown = [c for c, ok in zip(coordinates, answers) if ok is None]
    return absent, unknown
