"""Kafka (`KAFKA_BROKERS` KRaft nodes) and Kafka Connect (Debezium's image: the CDC source connectors,
and the worker that ClickHouse's Kafka sink connector runs in, the alternative loading path).

Each broker is its own service (`kafka`, or `kafka-1` … `kafka-N`), because each has its own node
id and advertised address. The first three nodes are combined broker+controller nodes and form the
controller quorum (three voters survive the loss of one; more voters only slow elections); any
further node is a broker only. Replication follows the broker count: topics are kept on
`KAFKA_REPLICATION_FACTOR` brokers (empty: as many as there are, at most 3), and a write needs all
but one of those copies.
"""

from __future__ import annotations

from spotlight_nifi.infra.spec import InfraConfig, Port, Service, Target, Task, node_name

CONNECT_PLUGINS = "/kafka/connect/extra"
CONTROLLERS = 3
"""At most this many nodes are controllers too (the KRaft quorum)."""


def kafka_broker(config: InfraConfig) -> Port:
    return Port("broker", config.port("KAFKA_PORT"), 9092)


KAFKA_INTERNAL = Port("internal", 19092, 19092, published=False)
"""The listener peers on the compose network use; on Nomad, peers use the advertised broker port."""
KAFKA_CONTROLLER = Port("controller", 9093, 9093, published=False)


def kafka_names(config: InfraConfig) -> list[str]:
    brokers = config.count("KAFKA_BROKERS")
    return [node_name("kafka", number, brokers) for number in range(1, brokers + 1)]


def replication(config: InfraConfig) -> tuple[int, int]:
    """Replication factor and min in-sync replicas for `KAFKA_BROKERS` brokers."""
    factor = config.value("KAFKA_REPLICATION_FACTOR")
    copies = int(factor) if factor else min(config.count("KAFKA_BROKERS"), CONTROLLERS)
    return copies, max(1, copies - 1)


def bootstrap_servers(config: InfraConfig, target: Target) -> str:
    """Every broker's internal listener: clients find the whole cluster from any one of them."""
    return ",".join(target.peer(name, KAFKA_INTERNAL) for name in kafka_names(config))


def _broker_port(config: InfraConfig, target: Target, index: int) -> Port:
    """On compose every broker advertises its own host port (`KAFKA_PORT` + index) so that clients
    outside reach each one; on Nomad each broker has its own client, so all use `KAFKA_PORT`."""
    port = kafka_broker(config)
    if target.kind == "compose":
        return Port(port.label, int(port.host) + index, port.container)
    return port


def kafka_nodes(config: InfraConfig, target: Target) -> list[Service]:
    names = kafka_names(config)
    controllers = names[:CONTROLLERS]
    copies, min_isr = replication(config)
    services = []
    for index, name in enumerate(names):
        broker = _broker_port(config, target, index)
        controller = name in controllers
        voters = ",".join(
            f"{number}@{target.self_host(peer, KAFKA_CONTROLLER) if peer == name else target.host(peer)}:9093"
            for number, peer in enumerate(controllers, start=1))
        listeners = "INTERNAL://:19092,EXTERNAL://:9092"
        services.append(Service(
            Task(name, config["KAFKA_IMAGE"], env={
                "CLUSTER_ID": config["KAFKA_CLUSTER_ID"],
                "KAFKA_NODE_ID": str(index + 1),
                "KAFKA_PROCESS_ROLES": "broker,controller" if controller else "broker",
                "KAFKA_CONTROLLER_QUORUM_VOTERS": voters,
                "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                "KAFKA_LISTENERS": f"CONTROLLER://:9093,{listeners}" if controller else listeners,
                "KAFKA_ADVERTISED_LISTENERS":
                    f"INTERNAL://{target.own(name, KAFKA_INTERNAL)},EXTERNAL://{target.public(name, broker)}",
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
                "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
                "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
                "KAFKA_DEFAULT_REPLICATION_FACTOR": str(copies),
                "KAFKA_MIN_INSYNC_REPLICAS": str(min_isr),
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": str(copies),
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": str(copies),
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": str(min_isr),
                "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            }, volumes={"data": "/var/lib/kafka/data"}),
            ports=(broker, KAFKA_INTERNAL, *((KAFKA_CONTROLLER,) if controller else ())),
            healthcheck=("CMD", "/opt/kafka/bin/kafka-broker-api-versions.sh", "--bootstrap-server", "localhost:19092"),
            memory_mb=1024, cpu_mhz=1000,
        ))
    return services


def kafka_connect(config: InfraConfig, target: Target) -> Service:
    """A distributed-mode worker; its configs, offsets and statuses live in Kafka topics.

    Extra connector plugins (such as ClickHouse's sink connector) go into the `plugins` volume,
    which the worker scans at start.
    """
    rest = Port("rest", config.port("KAFKA_CONNECT_PORT"), 8083, "/connectors")
    copies = replication(config)[0]
    env = {
        "BOOTSTRAP_SERVERS": bootstrap_servers(config, target),
        "GROUP_ID": config["KAFKA_CONNECT_GROUP_ID"],
        "CONFIG_STORAGE_TOPIC": "connect-configs",
        "OFFSET_STORAGE_TOPIC": "connect-offsets",
        "STATUS_STORAGE_TOPIC": "connect-statuses",
        "CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR": str(copies),
        "CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR": str(copies),
        "CONNECT_STATUS_STORAGE_REPLICATION_FACTOR": str(copies),
        "CONNECT_PLUGIN_PATH": f"/kafka/connect,{CONNECT_PLUGINS}",
    }
    if target.kind == "nomad":
        env |= {"ADVERTISED_HOST_NAME": target.self_host("kafka-connect", rest),
                "ADVERTISED_PORT": str(target.port(rest))}
    return Service(
        Task("kafka-connect", config["KAFKA_CONNECT_IMAGE"], env=env, volumes={"plugins": CONNECT_PLUGINS}),
        ports=(rest,),
        healthcheck=("CMD", "curl", "--fail", "--silent", "http://127.0.0.1:8083/connectors"),
        memory_mb=1024, cpu_mhz=500, after=tuple(kafka_names(config)),
    )
