"""NiFi Registry and NiFi (HTTPS), the flows' runtime: one node with a single user, or a secured cluster of `NIFI_NODES`.

A NiFi 2.x cluster elects its coordinator and primary node and keeps cluster state in ZooKeeper
(Curator). It uses the stack's ClickHouse Keeper for that: Keeper speaks ZooKeeper's client
protocol, and NiFi needs only its basic znode operations (ephemeral and sequential nodes,
watches), so no separate ZooKeeper runs. Each node is its own service (`nifi-1` … `nifi-N`) with
its own cluster address; only the first publishes its HTTPS port on the compose host.

A cluster is secured with the cluster's own CA (`spotlight_nifi.infra.nifi_tls`): each node
issues its certificate at start, nodes and users authenticate with client certificates, and the
file-based authorizer names every node and the admin. The single-user login cannot be clustered.
"""

from __future__ import annotations

from spotlight_nifi.infra.nifi_tls import NODE_TLS_SCRIPT, authorizers_xml, identity
from spotlight_nifi.infra.services.clickhouse import keeper_client, keeper_names
from spotlight_nifi.infra.spec import SCRIPTS, InfraConfig, Port, Service, Target, Task, node_name, tcp_probe

NIFI_HOME = "/opt/nifi/nifi-current"
NIFI_START = "/opt/nifi/scripts/start.sh"
"""The apache/nifi image's entrypoint, which turns its variables into nifi.properties."""
NIFI_TLS = f"{NIFI_HOME}/conf/tls"
NIFI_REGISTRY_HOME = "/opt/nifi-registry/nifi-registry-current"
NIFI_PROTOCOL = Port("cluster", 11443, 11443, published=False)
"""Node-to-node cluster protocol (the image ships none; 11443 is the NiFi Admin Guide's example)."""
NIFI_LOAD_BALANCE = Port("balance", 6342, 6342, published=False)
"""Where nodes send each other FlowFiles of load-balanced connections (nifi.properties' default)."""


def nifi_registry(config: InfraConfig) -> Service:
    return Service(
        Task("nifi-registry", config["NIFI_REGISTRY_IMAGE"], env={"NIFI_REGISTRY_WEB_HTTP_PORT": "18080"},
             volumes={"database": f"{NIFI_REGISTRY_HOME}/database",
                      "flow-storage": f"{NIFI_REGISTRY_HOME}/flow_storage"}),
        ports=(Port("http", config.port("NIFI_REGISTRY_PORT"), 18080, "/nifi-registry-api/buckets"),),
        healthcheck=tcp_probe(18080), memory_mb=512, cpu_mhz=500,
    )


def nifi_names(config: InfraConfig) -> list[str]:
    nodes = config.count("NIFI_NODES")
    return [node_name("nifi", number, nodes) for number in range(1, nodes + 1)]


def _cluster_env(config: InfraConfig, target: Target, name: str) -> dict[str, str]:
    """The apache/nifi image's variables for nifi.properties' cluster and TLS keys and
    state-management.xml, and what `NODE_TLS_SCRIPT` issues the node's certificate for."""
    client = keeper_client(config)
    return {
        "NIFI_CLUSTER_IS_NODE": "true",
        "NIFI_CLUSTER_ADDRESS": target.self_host(name, NIFI_PROTOCOL),
        "NIFI_CLUSTER_NODE_PROTOCOL_PORT": str(NIFI_PROTOCOL.container),
        "NIFI_CLUSTER_LOAD_BALANCE_HOST": target.self_host(name, NIFI_LOAD_BALANCE),
        "NIFI_ZK_CONNECT_STRING": ",".join(f"{target.host(keeper)}:{target.port(client)}"
                                           for keeper in keeper_names(config)),
        "NIFI_ZK_ROOT_NODE": "/nifi",
        "NIFI_ELECTION_MAX_CANDIDATES": str(config.count("NIFI_NODES")),
        "NIFI_ELECTION_MAX_WAIT": "1 min",
        "NIFI_NODE_NAME": name,
        "AUTH": "tls",
        "KEYSTORE_PATH": f"{NIFI_TLS}/keystore.p12",
        "KEYSTORE_TYPE": "PKCS12",
        "TRUSTSTORE_PATH": f"{NIFI_TLS}/truststore.p12",
        "TRUSTSTORE_TYPE": "PKCS12",
        "NIFI_SECURITY_USER_AUTHORIZER": "managed-authorizer",
        "INITIAL_ADMIN_IDENTITY": identity(config["NIFI_USERNAME"]),
        "NIFI_AUTHORIZERS": f"{SCRIPTS}/authorizers.xml",
    }


_CLUSTER_SECRETS = {"KEYSTORE_PASSWORD": "NIFI_TLS_PASSWORD", "TRUSTSTORE_PASSWORD": "NIFI_TLS_PASSWORD",
                    "NIFI_CA_KEYSTORE": "NIFI_CA_KEYSTORE", "NIFI_CA_PASSWORD": "NIFI_CA_PASSWORD"}


def nifi_nodes(config: InfraConfig, target: Target, after: tuple[str, ...]) -> list[Service]:
    """NiFi starts after what its flows write to (`after`: Kafka, the failure DB, ClickHouse) and the registry."""
    names = nifi_names(config)
    clustered = len(names) > 1
    services = []
    for index, name in enumerate(names):
        https = Port("https", config.port("NIFI_HTTPS_PORT"), 8443, published=index == 0)
        env = {
            "NIFI_WEB_HTTPS_HOST": "0.0.0.0",
            "NIFI_WEB_HTTPS_PORT": "8443",
            "NIFI_WEB_PROXY_HOST": target.public(name, https),
        }
        secrets = {"NIFI_SENSITIVE_PROPS_KEY": "NIFI_SENSITIVE_PROPS_KEY"}
        files: dict[str, str] = {}
        entrypoint: tuple[str, ...] = ()
        if clustered:
            # Nodes replicate requests to each other's nifi.web.https.host, which their certificates name.
            env |= _cluster_env(config, target, name) | {"NIFI_WEB_HTTPS_HOST": target.self_host(name, https)}
            secrets |= _CLUSTER_SECRETS
            files = {f"{SCRIPTS}/nifi-tls.sh": NODE_TLS_SCRIPT,
                     f"{SCRIPTS}/authorizers.xml": authorizers_xml(names, identity(config["NIFI_USERNAME"]))}
            entrypoint = ("bash", f"{SCRIPTS}/nifi-tls.sh", NIFI_START)
        else:
            env["SINGLE_USER_CREDENTIALS_USERNAME"] = config["NIFI_USERNAME"]
            secrets = {"SINGLE_USER_CREDENTIALS_PASSWORD": "NIFI_PASSWORD"} | secrets
        services.append(Service(
            Task(name, config["NIFI_IMAGE"], entrypoint=entrypoint, env=env, secrets=secrets, files=files,
                 volumes={volume: f"{NIFI_HOME}/{path}" for volume, path in (
                     ("conf", "conf"), ("state", "state"), ("database", "database_repository"),
                     ("flowfile", "flowfile_repository"), ("content", "content_repository"),
                     ("provenance", "provenance_repository"))}),
            ports=(https, *((NIFI_PROTOCOL, NIFI_LOAD_BALANCE) if clustered else ())),
            healthcheck=tcp_probe(8443, target.self_host(name, https) if clustered else "127.0.0.1"),
            memory_mb=2048, cpu_mhz=1000,
            after=(*after, "nifi-registry", *(keeper_names(config) if clustered else ())),
        ))
    return services
