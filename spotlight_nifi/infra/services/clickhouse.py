"""ClickHouse Keeper and ClickHouse: one node, or a cluster of shards × replicas when `.env` names one.

Keeper (1, 3 or 5 nodes) is every ClickHouse node's coordination service, a single node's too.

Each node is its own service (`clickhouse`, or `clickhouse-1` … `clickhouse-N` in a cluster),
because each has its own macros and S3 prefix; node `i` (from 0) is replica `i % replicas + 1` of
shard `i // replicas + 1`. Only the first node publishes its ports on the compose host; Nomad
maps every node's ports to its own client (one node per client).
"""

from __future__ import annotations

from spotlight_nifi.infra.clickhouse_xml import (
    KEEPER_CLIENT_PORT,
    KEEPER_CONTROL_PORT,
    KEEPER_RAFT_PORT,
    Cluster,
    Storage,
    cluster_xml,
    coordination_xml,
    keeper_xml,
    storage_xml,
)
from spotlight_nifi.infra.services.storage import buckets_init, minio_api
from spotlight_nifi.infra.spec import InfraConfig, Port, Service, Target, Task, node_name

CONFIG_D = "/etc/clickhouse-server/config.d"


def keeper_names(config: InfraConfig) -> list[str]:
    nodes = config.count("CLICKHOUSE_KEEPER_NODES")
    return [node_name("clickhouse-keeper", number, nodes) for number in range(1, nodes + 1)]


def clickhouse_names(config: InfraConfig) -> list[str]:
    nodes = config.count("CLICKHOUSE_SHARDS") * config.count("CLICKHOUSE_REPLICAS")
    return [node_name("clickhouse", number, nodes) for number in range(1, nodes + 1)]


def keeper_client(config: InfraConfig) -> Port:
    """The ZooKeeper-protocol port ClickHouse nodes and a NiFi cluster coordinate through."""
    return _keeper_ports(config)[1]


def _keeper_ports(config: InfraConfig) -> tuple[Port, ...]:
    return (Port("control", KEEPER_CONTROL_PORT, KEEPER_CONTROL_PORT, "/ready", published=False),
            Port("client", config.port("CLICKHOUSE_KEEPER_PORT"), KEEPER_CLIENT_PORT, published=False),
            Port("raft", KEEPER_RAFT_PORT, KEEPER_RAFT_PORT, published=False))


def keepers(config: InfraConfig, target: Target) -> list[Service]:
    names = keeper_names(config)
    raft = _keeper_ports(config)[2]
    services = []
    for number, name in enumerate(names, start=1):
        group = tuple((n, target.self_host(name, raft) if peer == name else target.host(peer))
                      for n, peer in enumerate(names, start=1))
        services.append(Service(
            Task(name, config["CLICKHOUSE_KEEPER_IMAGE"], volumes={"data": "/var/lib/clickhouse-keeper"},
                 files={"/etc/clickhouse-keeper/keeper_config.xml": keeper_xml(number, group)}),
            ports=_keeper_ports(config),
            healthcheck=("CMD", "wget", "-q", "-O", "-", f"http://127.0.0.1:{KEEPER_CONTROL_PORT}/ready"),
            memory_mb=512, cpu_mhz=500,
        ))
    return services


def _ports(config: InfraConfig, first: bool) -> tuple[Port, ...]:
    return (Port("http", config.port("CLICKHOUSE_HTTP_PORT"), 8123, "/ping", published=first),
            Port("native", config.port("CLICKHOUSE_NATIVE_PORT"), 9000, published=first))


def _cluster(config: InfraConfig, target: Target) -> Cluster:
    replicas = config.count("CLICKHOUSE_REPLICAS")
    names = clickhouse_names(config)
    native = _ports(config, True)[1]
    return Cluster(config["CLICKHOUSE_CLUSTER"], tuple(
        tuple((target.host(name), target.port(native)) for name in names[start:start + replicas])
        for start in range(0, len(names), replicas)))


def clickhouse_nodes(config: InfraConfig, target: Target) -> list[Service]:
    storage = Storage(target.peer("minio", minio_api(config)), config["CLICKHOUSE_S3_BUCKET"],
                      config["CLICKHOUSE_BACKUP_BUCKET"], config["CLICKHOUSE_STORAGE_POLICY"],
                      config["CLICKHOUSE_MOVE_FACTOR"], config["CLICKHOUSE_S3_CACHE_SIZE"])
    clustered = bool(config.value("CLICKHOUSE_CLUSTER"))
    replicas = config.count("CLICKHOUSE_REPLICAS")
    client = keeper_client(config)
    keepers = tuple((target.host(keeper), target.port(client)) for keeper in keeper_names(config))
    services = []
    for index, name in enumerate(clickhouse_names(config)):
        files = {f"{CONFIG_D}/storage.xml": storage_xml(storage, name),
                 f"{CONFIG_D}/keeper.xml": coordination_xml(keepers, index // replicas + 1, name)}
        secrets = {"CLICKHOUSE_PASSWORD": "CLICKHOUSE_PASSWORD", "CLICKHOUSE_S3_SECRET_ACCESS_KEY": "MINIO_ROOT_PASSWORD"}
        if clustered:
            files[f"{CONFIG_D}/cluster.xml"] = cluster_xml(_cluster(config, target))
            secrets["CLICKHOUSE_CLUSTER_SECRET"] = "CLICKHOUSE_CLUSTER_SECRET"
        services.append(Service(
            Task(name, config["CLICKHOUSE_IMAGE"], env={
                "CLICKHOUSE_DB": config["CLICKHOUSE_DB"],
                "CLICKHOUSE_USER": config["CLICKHOUSE_USER"],
                "CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT": "1",
                "CLICKHOUSE_S3_ACCESS_KEY_ID": config["MINIO_ROOT_USER"],
            }, secrets=secrets, volumes={"data": "/var/lib/clickhouse"}, files=files),
            ports=_ports(config, index == 0),
            healthcheck=("CMD", "wget", "--quiet", "--output-document=-", "http://127.0.0.1:8123/ping"),
            memory_mb=2048, cpu_mhz=1000, after=("minio", *keeper_names(config)),
            init=buckets_init(config, target, f"{name}-init"), init_after=("minio",),
        ))
    return services
