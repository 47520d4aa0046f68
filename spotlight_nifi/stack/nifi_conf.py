"""The configuration files of a local NiFi, written by us because `nifi-resources` is unpublished.

NiFi reads far more of `nifi.properties` than its web keys: without the repository, queue,
provenance, status-history and timeout settings it fails deep inside its start-up with a
NullPointerException. The values below are NiFi's own defaults, except where a small local
development instance wants less (provenance kept one day, no content archive). Unsecured HTTP
on 127.0.0.1 only: no keystore, no authorizer, no login provider, so anonymous access has every
permission, which is why it never listens on another address. A layout's overrides and extra
conf files make something else of it (a secured cluster node, in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


@dataclass(frozen=True)
class NiFiLayout:
    """Where one local NiFi's files are: the assembled distribution (shared, in the download cache)
    and this instance's own directory (conf, repositories, logs, work) in the run dir."""

    home: Path
    work: Path
    http_port: int
    sensitive_props_key: str
    python_command: str
    overrides: Mapping[str, str] = field(default_factory=dict)
    """`nifi.properties` keys set or replaced over the standalone defaults (a secured cluster node's)."""
    conf_files: Mapping[str, str] = field(default_factory=dict)
    """More conf files by name, written last so they may replace ours (a cluster's state-management.xml)."""

    @property
    def conf(self) -> Path:
        return self.work / "conf"

    @property
    def extensions(self) -> Path:
        return self.work / "extensions"

    @property
    def logs(self) -> Path:
        return self.work / "logs"


def properties(layout: NiFiLayout) -> dict[str, str]:
    """Every key of `nifi.properties` a NiFi 2.x reads at start: a standalone, unsecured one's,
    then the layout's overrides."""
    return {**_standalone(layout), **layout.overrides}


def url(layout: NiFiLayout) -> str:
    """Where NiFi's web server answers: HTTPS when the properties give it a port, else plain HTTP."""
    conf = properties(layout)
    if conf["nifi.web.https.port"]:
        return f"https://{conf['nifi.web.https.host']}:{conf['nifi.web.https.port']}"
    return f"http://{conf['nifi.web.http.host']}:{conf['nifi.web.http.port']}"


def _standalone(layout: NiFiLayout) -> dict[str, str]:
    """Every key a standalone, unsecured NiFi 2.x reads at start."""
    work, home = layout.work, layout.home
    return {
        "nifi.flow.configuration.file": f"{layout.conf}/flow.json.gz",
        "nifi.flow.configuration.archive.enabled": "false",
        "nifi.flow.configuration.archive.dir": f"{layout.conf}/archive/",
        "nifi.flow.configuration.archive.max.time": "30 days",
        "nifi.flow.configuration.archive.max.storage": "500 MB",
        "nifi.flow.configuration.archive.max.count": "",
        "nifi.flowcontroller.autoResumeState": "true",
        "nifi.flowcontroller.graceful.shutdown.period": "10 sec",
        "nifi.flowservice.writedelay.interval": "500 ms",
        "nifi.administrative.yield.duration": "30 sec",
        "nifi.bored.yield.duration": "10 millis",
        "nifi.queue.backpressure.count": "10000",
        "nifi.queue.backpressure.size": "1 GB",
        "nifi.authorizer.configuration.file": f"{layout.conf}/authorizers.xml",
        "nifi.login.identity.provider.configuration.file": f"{layout.conf}/login-identity-providers.xml",
        "nifi.ui.banner.text": "spotlight-nifi local stack",
        "nifi.nar.library.directory": f"{home}/lib",
        "nifi.nar.library.autoload.directory": str(layout.extensions),
        "nifi.nar.working.directory": f"{work}/work/nar/",
        "nifi.nar.unpack.uber.jar": "false",
        "nifi.upload.working.directory": f"{work}/work/uploads",
        "nifi.python.command": layout.python_command,
        "nifi.python.framework.source.directory": f"{home}/python/framework",
        "nifi.python.extensions.source.directory.default": f"{work}/python/extensions",
        "nifi.python.working.directory": f"{work}/work/python",
        "nifi.python.max.processes": "10",
        "nifi.python.max.processes.per.extension.type": "1",
        "nifi.state.management.configuration.file": f"{layout.conf}/state-management.xml",
        "nifi.state.management.provider.local": "local-provider",
        "nifi.state.management.provider.cluster": "",
        "nifi.state.management.embedded.zookeeper.start": "false",
        "nifi.database.directory": f"{work}/database_repository",
        "nifi.flowfile.repository.implementation": "org.apache.nifi.controller.repository.WriteAheadFlowFileRepository",
        "nifi.flowfile.repository.wal.implementation": "org.apache.nifi.wali.SequentialAccessWriteAheadLog",
        "nifi.flowfile.repository.directory": f"{work}/flowfile_repository",
        "nifi.flowfile.repository.checkpoint.interval": "20 secs",
        "nifi.flowfile.repository.always.sync": "false",
        "nifi.flowfile.repository.retain.orphaned.flowfiles": "true",
        "nifi.swap.manager.implementation": "org.apache.nifi.controller.FileSystemSwapManager",
        "nifi.queue.swap.threshold": "20000",
        "nifi.content.repository.implementation": "org.apache.nifi.controller.repository.FileSystemRepository",
        "nifi.content.claim.max.appendable.size": "50 KB",
        "nifi.content.repository.directory.default": f"{work}/content_repository",
        "nifi.content.repository.archive.max.retention.period": "1 hour",
        "nifi.content.repository.archive.max.usage.percentage": "50%",
        "nifi.content.repository.archive.enabled": "false",
        "nifi.content.repository.always.sync": "false",
        "nifi.provenance.repository.implementation": "org.apache.nifi.provenance.WriteAheadProvenanceRepository",
        "nifi.provenance.repository.directory.default": f"{work}/provenance_repository",
        "nifi.provenance.repository.max.storage.time": "1 day",
        "nifi.provenance.repository.max.storage.size": "1 GB",
        "nifi.provenance.repository.rollover.time": "10 mins",
        "nifi.provenance.repository.rollover.size": "100 MB",
        "nifi.provenance.repository.query.threads": "2",
        "nifi.provenance.repository.index.threads": "1",
        "nifi.provenance.repository.compress.on.rollover": "true",
        "nifi.provenance.repository.always.sync": "false",
        "nifi.provenance.repository.indexed.fields": "EventType, FlowFileUUID, Filename, ProcessorID, Relationship",
        "nifi.provenance.repository.indexed.attributes": "",
        "nifi.provenance.repository.index.shard.size": "100 MB",
        "nifi.provenance.repository.max.attribute.length": "65536",
        "nifi.provenance.repository.concurrent.merge.threads": "1",
        "nifi.provenance.repository.buffer.size": "100000",
        "nifi.components.status.repository.implementation":
            "org.apache.nifi.controller.status.history.VolatileComponentStatusRepository",
        "nifi.components.status.repository.buffer.size": "1440",
        "nifi.components.status.snapshot.frequency": "1 min",
        "nifi.remote.input.host": "",
        "nifi.remote.input.secure": "false",
        "nifi.remote.input.socket.port": "",
        "nifi.remote.input.http.enabled": "false",
        "nifi.remote.input.http.transaction.ttl": "30 sec",
        "nifi.remote.contents.cache.expiration": "30 secs",
        "nifi.web.http.host": HOST,
        "nifi.web.http.port": str(layout.http_port),
        "nifi.web.http.network.interface.default": "",
        "nifi.web.https.host": "",
        "nifi.web.https.port": "",
        "nifi.web.https.network.interface.default": "",
        "nifi.web.https.application.protocols": "http/1.1",
        "nifi.web.jetty.working.directory": f"{work}/work/jetty",
        "nifi.web.jetty.threads": "200",
        "nifi.web.max.header.size": "16 KB",
        "nifi.web.proxy.context.path": "",
        "nifi.web.proxy.host": "",
        "nifi.web.max.content.size": "",
        "nifi.web.max.requests.per.second": "30000",
        "nifi.web.max.access.token.requests.per.second": "25",
        "nifi.web.request.timeout": "60 secs",
        "nifi.web.request.ip.whitelist": "",
        "nifi.web.should.send.server.version": "true",
        "nifi.web.request.log.format": "",
        "nifi.sensitive.props.key": layout.sensitive_props_key,
        "nifi.sensitive.props.algorithm": "NIFI_PBKDF2_AES_GCM_256",
        "nifi.security.autoreload.enabled": "false",
        "nifi.security.autoreload.interval": "10 secs",
        "nifi.security.keystore": "",
        "nifi.security.keystoreType": "",
        "nifi.security.keystorePasswd": "",
        "nifi.security.keyPasswd": "",
        "nifi.security.truststore": "",
        "nifi.security.truststoreType": "",
        "nifi.security.truststorePasswd": "",
        "nifi.security.user.authorizer": "",
        "nifi.security.allow.anonymous.authentication": "false",
        "nifi.security.user.login.identity.provider": "",
        "nifi.security.user.jws.key.rotation.period": "PT1H",
        "nifi.cluster.is.node": "false",
        "nifi.cluster.protocol.is.secure": "false",
        "nifi.cluster.node.address": "",
        "nifi.cluster.node.protocol.port": "",
        "nifi.cluster.node.protocol.max.threads": "50",
        "nifi.cluster.node.event.history.size": "25",
        "nifi.cluster.node.connection.timeout": "5 sec",
        "nifi.cluster.node.read.timeout": "5 sec",
        "nifi.cluster.node.max.concurrent.requests": "100",
        "nifi.cluster.firewall.file": "",
        "nifi.cluster.flow.election.max.wait.time": "1 mins",
        "nifi.cluster.flow.election.max.candidates": "",
        "nifi.cluster.load.balance.host": "",
        "nifi.cluster.load.balance.port": "6342",
        "nifi.cluster.load.balance.connections.per.node": "1",
        "nifi.cluster.load.balance.max.thread.count": "8",
        "nifi.cluster.load.balance.comms.timeout": "30 sec",
        "nifi.zookeeper.connect.string": "",
        "nifi.zookeeper.connect.timeout": "10 secs",
        "nifi.zookeeper.session.timeout": "10 secs",
        "nifi.zookeeper.root.node": "/nifi",
        "nifi.zookeeper.client.secure": "false",
        "nifi.analytics.predict.enabled": "false",
        "nifi.diagnostics.on.shutdown.enabled": "false",
    }


def properties_text(layout: NiFiLayout) -> str:
    return "".join(f"{key}={value}\n" for key, value in properties(layout).items())


STATE_MANAGEMENT = """<?xml version="1.0" encoding="UTF-8"?>
<stateManagement>
  <local-provider>
    <id>local-provider</id>
    <class>org.apache.nifi.controller.state.providers.local.WriteAheadLocalStateProvider</class>
    <property name="Directory">{directory}</property>
    <property name="Always Sync">false</property>
    <property name="Partitions">4</property>
    <property name="Checkpoint Interval">2 mins</property>
  </local-provider>
</stateManagement>
"""


LOGBACK = """<?xml version="1.0" encoding="UTF-8"?>
<configuration scan="false">
  <contextListener class="ch.qos.logback.classic.jul.LevelChangePropagator"><resetJUL>true</resetJUL></contextListener>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%date %level [%thread] %logger{40} %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.nifi" level="INFO"/>
  <logger name="org.apache.nifi.processors" level="WARN"/>
  <logger name="org.apache.nifi.controller.repository.StandardProcessSession" level="WARN"/>
  <logger name="org.apache.nifi.py4j" level="INFO"/>
  <logger name="org.apache.nifi.python" level="INFO"/>
  <logger name="org.eclipse.jetty" level="WARN"/>
  <logger name="org.springframework" level="ERROR"/>
  <logger name="org.glassfish.jersey" level="ERROR"/>
  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
</configuration>
"""
"""One log: NiFi logs to standard output, which the stack appends to `logs/nifi-app.log` together with
whatever the JVM prints when it cannot start at all."""


def write(layout: NiFiLayout) -> None:
    """Write this instance's conf directory (the flow itself, `flow.json.gz`, is NiFi's to keep)."""
    layout.conf.mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    (layout.conf / "nifi.properties").write_text(properties_text(layout))
    (layout.conf / "state-management.xml").write_text(STATE_MANAGEMENT.format(directory=layout.work / "state" / "local"))
    (layout.conf / "logback.xml").write_text(LOGBACK)
    for name, text in layout.conf_files.items():
        (layout.conf / name).write_text(text)
