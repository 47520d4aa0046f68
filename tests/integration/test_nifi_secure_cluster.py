"""A secured two-node NiFi 2.3.0 cluster from what `spotlight_nifi.infra.nifi_tls` renders for one.

Each node's keystore and truststore come from `NODE_TLS_SCRIPT` run against a fresh CA (as each
node's container runs it before NiFi), every node reads the rendered `authorizers.xml`, and both
coordinate through a real ZooKeeper. The nodes are the local stack's own NiFi 2.3.0, started with
the overrides a secured cluster node needs, on 127.0.0.1 with ports of their own. The tests prove
the cluster forms, the admin's client certificate signs in as `identity("admin")`, the CLI's NiFi
client signs in with it (`NIFI_CLIENT_KEYSTORE`) and claims the root group a new cluster gives no
one, a change made through one node reaches the other, and a request without a certificate from
the CA is refused.
A cluster that does not form fails them (that is what they prove); only a NiFi or ZooKeeper that
is not installed skips them (outside CI).
"""

from __future__ import annotations

import gzip
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests

from spotlight_nifi.canvas import CanvasError, open_canvas
from spotlight_nifi.client_certificate import ClientCertificate, use
from spotlight_nifi.config import Settings
from spotlight_nifi.infra.nifi_tls import CertificateAuthority, authorizers_xml, identity
from spotlight_nifi.stack import nifi_conf
from spotlight_nifi.stack.nifi import NiFiService
from spotlight_nifi.stack.process import HOST, choose_port, log_tail
from spotlight_nifi.stack.state import Running, cache_dir, is_alive
from tests import node_tls
from tests.availability import unavailable

pytestmark = pytest.mark.integration

NODES = ("nifi-1", "nifi-2")
ADMIN = "admin"
CLUSTER_TIMEOUT = 240.0
"""Both JVMs start at once on a 2-core machine, then elect the flow among both candidates."""
PASSWORD = secrets.token_urlsafe(18)
"""Of the CA keystore, the nodes' keystores and truststores, and the client keystores, all throwaway."""
STATE_PROVIDERS = """  <cluster-provider>
    <id>zk-provider</id>
    <class>org.apache.nifi.controller.state.providers.zookeeper.ZooKeeperStateProvider</class>
    <property name="Connect String">{connect}</property>
    <property name="Root Node">/nifi</property>
    <property name="Session Timeout">10 seconds</property>
    <property name="Access Control">Open</property>
  </cluster-provider>
</stateManagement>
"""


@dataclass(frozen=True)
class ClientCert:
    """A client certificate as `requests` takes it: PEM certificate and key files."""

    cert: Path
    key: Path

    @classmethod
    def from_pkcs12(cls, data: bytes, directory: Path) -> ClientCert:
        client = ClientCertificate.from_pkcs12(data, PASSWORD)
        directory.mkdir(parents=True, exist_ok=True)
        pair = cls(directory / "cert.pem", directory / "key.pem")
        pair.cert.write_bytes(client.chain_pem)
        pair.key.write_bytes(client.key_pem)
        return pair


@dataclass(frozen=True)
class Cluster:
    """The running nodes, the CA clients verify them with, and the admin's client certificate."""

    nodes: list[Running]
    ca: Path
    admin: ClientCert
    admin_keystore: bytes
    tmp: Path

    def get(self, node: int, path: str, cert: ClientCert | None = None) -> requests.Response:
        """GET `/nifi-api<path>` on node `node` (0 or 1) as the admin, or with `cert`."""
        return self.request("GET", node, path, cert)

    def request(self, method: str, node: int, path: str, cert: ClientCert | None = None,
                **kwargs: Any) -> requests.Response:
        chosen = cert or self.admin
        return requests.request(method, f"{self.nodes[node].url}/nifi-api{path}", verify=str(self.ca),
                                cert=(str(chosen.cert), str(chosen.key)), timeout=60, **kwargs)

    def saved_flow(self, node: int) -> str:
        """The flow `node` keeps on disk (NiFi writes it half a second after a change)."""
        return gzip.decompress((Path(self.nodes[node].directory) / "conf" / "flow.json.gz").read_bytes()).decode()


def _free_ports(count: int) -> list[int]:
    """Distinct free ports: the kernel may hand out a port it just handed out."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(choose_port("nifi-cluster", None))
    return sorted(ports)


def _overrides(work: Path, zookeeper: int, web: int, protocol: int, load_balance: int) -> dict[str, str]:
    """What makes the local stack's standalone NiFi a secured cluster node on 127.0.0.1."""
    stores = {"nifi.security.keystore": str(node_tls.keystore(work)),
              "nifi.security.truststore": str(node_tls.truststore(work)),
              **{f"nifi.security.{key}": "PKCS12" for key in ("keystoreType", "truststoreType")},
              **{f"nifi.security.{key}": PASSWORD for key in ("keystorePasswd", "keyPasswd", "truststorePasswd")}}
    return {
        **stores,
        "nifi.web.http.host": "", "nifi.web.http.port": "",
        "nifi.web.https.host": HOST, "nifi.web.https.port": str(web),
        "nifi.security.user.authorizer": "managed-authorizer",
        "nifi.security.user.login.identity.provider": "",
        "nifi.remote.input.secure": "true",
        "nifi.cluster.is.node": "true",
        "nifi.cluster.protocol.is.secure": "true",
        "nifi.cluster.node.address": HOST,
        "nifi.cluster.node.protocol.port": str(protocol),
        "nifi.cluster.node.connection.timeout": "30 sec",  # two JVMs on two busy cores answer slowly at first
        "nifi.cluster.node.read.timeout": "30 sec",
        "nifi.cluster.load.balance.host": HOST,
        "nifi.cluster.load.balance.port": str(load_balance),
        "nifi.cluster.flow.election.max.candidates": str(len(NODES)),
        "nifi.cluster.flow.election.max.wait.time": "3 mins",
        "nifi.zookeeper.connect.string": f"{HOST}:{zookeeper}",
        "nifi.zookeeper.root.node": "/nifi",
        "nifi.state.management.provider.cluster": "zk-provider",
    }


def _layout(service: NiFiService, work: Path, zookeeper: int, sensitive_key: str) -> nifi_conf.NiFiLayout:
    """The node's own ports and directory; the sensitive-properties key is the same on every node."""
    web, protocol, load_balance = _free_ports(3)
    layout = nifi_conf.NiFiLayout(home=service.home, work=work, http_port=web, sensitive_props_key=sensitive_key,
                                  python_command=sys.executable)
    local = nifi_conf.STATE_MANAGEMENT.format(directory=layout.work / "state" / "local")
    state = local.replace("</stateManagement>\n", STATE_PROVIDERS.format(connect=f"{HOST}:{zookeeper}"))
    return replace(layout, overrides=_overrides(layout.work, zookeeper, web, protocol, load_balance),
                   conf_files={"state-management.xml": state})


def _issue_tls(ca: CertificateAuthority, node: str, layout: nifi_conf.NiFiLayout, authorizers: Path) -> None:
    """Run the node script as a node's container would, with `true` for NiFi's start script."""
    done = node_tls.issue(ca, PASSWORD, layout.work, node, HOST, keystore_password=PASSWORD,
                          truststore_password=PASSWORD, NIFI_AUTHORIZERS=str(authorizers))
    assert done.returncode == 0, f"NODE_TLS_SCRIPT failed for {node}: {done.stderr[-2000:]}"


def _logs(nodes: list[Running]) -> str:
    return "\n".join(f"--- {running.log} ---\n{log_tail(running.log, 60)}" for running in nodes)


def _connected(cluster: Cluster, node: int) -> bool:
    """True once `node` answers that both nodes are CONNECTED (refused, 409 or 503 while forming)."""
    try:
        answer = cluster.get(node, "/controller/cluster")
    except requests.RequestException:
        return False
    statuses = [n["status"] for n in answer.json()["cluster"]["nodes"]] if answer.ok else []
    return statuses == ["CONNECTED"] * len(NODES)


def _wait_connected(cluster: Cluster) -> None:
    deadline = time.monotonic() + CLUSTER_TIMEOUT
    while not all(_connected(cluster, node) for node in range(len(NODES))):
        dead = [running.log for running in cluster.nodes if not is_alive(running.pid, running.start_ticks)]
        if dead or time.monotonic() > deadline:
            why = f"NiFi exited ({', '.join(dead)})" if dead else f"not 2 CONNECTED nodes after {CLUSTER_TIMEOUT:.0f} s"
            pytest.fail(f"the secured NiFi cluster did not form: {why}\n{_logs(cluster.nodes)}", pytrace=False)
        time.sleep(2)


@pytest.fixture(scope="module")
def cluster(zookeeper: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Both nodes started at once against the module's ZooKeeper, once they form the cluster; both
    stopped (with their whole process groups) after the module."""
    service = NiFiService(cache_dir(Settings.load()))
    if not (service.home / ".assembled").is_file():
        unavailable(f"NiFi {service.version} is not assembled in `{service.home}`: run `spotlight-nifi dev install`")
    tmp = tmp_path_factory.mktemp("nifi-cluster")
    ca = CertificateAuthority.create()
    (tmp / "ca.pem").write_bytes(ca.pem())
    (tmp / "authorizers.xml").write_text(authorizers_xml(list(NODES), identity(ADMIN)))
    sensitive_key = secrets.token_hex(24)
    layouts = {node: _layout(service, tmp / node, zookeeper, sensitive_key) for node in NODES}
    for node, layout in layouts.items():
        _issue_tls(ca, node, layout, tmp / "authorizers.xml")
    admin_keystore = ca.client_keystore(ADMIN, PASSWORD)
    admin = ClientCert.from_pkcs12(admin_keystore, tmp / ADMIN)
    started: list[Running] = []
    try:
        started.extend(service.start_layout(layout) for layout in layouts.values())
        formed = Cluster(started, tmp / "ca.pem", admin, admin_keystore, tmp)
        _wait_connected(formed)
        yield formed
    finally:
        with ThreadPoolExecutor(len(NODES)) as pool:
            list(pool.map(service.stop, started))


def test_the_cluster_has_two_connected_nodes_with_a_primary_and_a_coordinator(cluster: Cluster) -> None:
    answer = cluster.get(0, "/controller/cluster")
    assert answer.status_code == 200, answer.text
    nodes = answer.json()["cluster"]["nodes"]
    assert sorted((n["address"], n["apiPort"], n["status"]) for n in nodes) == sorted(
        (HOST, running.ports["https"], "CONNECTED") for running in cluster.nodes)
    roles = [role for n in nodes for role in n["roles"]]
    assert sorted(roles) == ["Cluster Coordinator", "Primary Node"], nodes


def test_the_admin_certificate_signs_in_as_its_identity_and_no_certificate_is_refused(cluster: Cluster) -> None:
    answer = cluster.get(0, "/flow/current-user")
    assert answer.status_code == 200, answer.text
    assert answer.json()["identity"] == identity(ADMIN) == "CN=admin, OU=NiFi"
    # Jetty needs a client certificate when no login provider is configured: Java ends the handshake
    # with a bad_certificate alert, before any HTTP.
    with pytest.raises(requests.exceptions.SSLError, match="ALERT_BAD_CERTIFICATE"):
        requests.get(f"{cluster.nodes[0].url}/nifi-api/flow/current-user", verify=str(cluster.ca), timeout=60)


def _settings(cluster: Cluster, client_keystore: Path) -> Settings:
    """What a user's `.env` says for the secured NiFi: its URL, the client certificate, the CA."""
    return Settings.load(cluster.tmp / "absent.env", environ={
        "DEV_NIFI_URL": cluster.nodes[1].url, "DEV_NIFI_CLIENT_KEYSTORE": str(client_keystore),
        "NIFI_CLIENT_KEYSTORE_PASSWORD": PASSWORD, "NIFI_CA_CERT": str(cluster.ca)})


@pytest.fixture(scope="module")
def root_group(cluster: Cluster) -> Iterator[str]:
    """The root process group's id, once the admin may change it: the CLI's NiFi client, signed in
    with `infra certs`' admin keystore, opens the canvas (runtime manifest included) and claims the
    root group, which a new cluster's initial admin has no policy on."""
    keystore = cluster.tmp / "nifi-admin.p12"
    keystore.write_bytes(cluster.admin_keystore)
    canvas = open_canvas("dev", _settings(cluster, keystore), cluster.tmp / "cache")
    assert cluster.request("POST", 0, f"/process-groups/{canvas.nifi.root_id()}/process-groups",
                           json={"revision": {"version": 0}, "component": {"name": "refused"}}).status_code == 403
    assert canvas.nifi.claim_root() == identity(ADMIN)
    assert canvas.nifi.claim_root() is None  # granted once
    yield canvas.nifi.root_id()
    use(None)


def test_the_cli_client_needs_a_certificate_from_the_ca(cluster: Cluster, root_group: str) -> None:
    stranger = cluster.tmp / "stranger.p12"
    stranger.write_bytes(CertificateAuthority.create().client_keystore(ADMIN, PASSWORD))
    with pytest.raises(CanvasError, match="NiFi does not answer"):
        open_canvas("dev", _settings(cluster, stranger), cluster.tmp / "cache")


def test_a_process_group_made_through_node_2_is_on_node_1(cluster: Cluster, root_group: str) -> None:
    """Node 2 replicates the change to node 1: node 1 answers with it (a GET through it is replicated
    too) and, what proves it alone, keeps it in its own saved flow."""
    name = f"replicated-{uuid.uuid4().hex[:8]}"
    made = cluster.request("POST", 1, f"/process-groups/{root_group}/process-groups",
                           json={"revision": {"version": 0}, "component": {"name": name, "position": {"x": 0, "y": 0}}})
    assert made.status_code == 201, made.text
    seen = cluster.get(0, f"/process-groups/{made.json()['id']}")
    assert seen.status_code == 200, seen.text
    assert seen.json()["component"]["name"] == name
    deadline = time.monotonic() + 15
    while name not in cluster.saved_flow(0) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert name in cluster.saved_flow(0), "node 1 answered, but its own flow on disk lacks the process group"


def test_a_certificate_from_another_ca_is_refused(cluster: Cluster) -> None:
    stranger = ClientCert.from_pkcs12(CertificateAuthority.create().client_keystore(ADMIN, PASSWORD),
                                      cluster.tmp / "stranger")
    assert cluster.get(0, "/flow/current-user").status_code == 200
    with pytest.raises(requests.exceptions.SSLError, match="ALERT_CERTIFICATE_UNKNOWN"):  # not issued by a trusted CA
        cluster.get(0, "/flow/current-user", stranger)
