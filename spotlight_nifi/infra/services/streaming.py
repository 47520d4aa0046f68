"""Kafka (one KRaft node) and Kafka Connect (Debezium's image: the CDC source connectors, and the
worker that ClickHouse's Kafka sink connector runs in, the alternative loading path)."""

from __future__ import annotations

from spotlight_nifi.infra.spec import InfraConfig, Port, Service, Target, Task

CONNECT_PLUGINS = "/kafka/connect/extra"


def kafka_broker(config: InfraConfig) -> Port:
    return Port("broker", config.port("KAFKA_PORT"), 9092)


KAFKA_INTERNAL = Port("internal", 19092, 19092, published=False)
"""The listener peers on the compose network use; on Nomad, peers use the advertised broker port."""


def kafka(config: InfraConfig, target: Target) -> Service:
    broker = kafka_broker(config)
    return Service(
        Task("kafka", config["KAFKA_IMAGE"], env={
            "CLUSTER_ID": config["KAFKA_CLUSTER_ID"],
            "KAFKA_NODE_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_LISTENERS": "CONTROLLER://:9093,INTERNAL://:19092,EXTERNAL://:9092",
            "KAFKA_ADVERTISED_LISTENERS":
                f"INTERNAL://{target.own('kafka', KAFKA_INTERNAL)},EXTERNAL://{target.public('kafka', broker)}",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
            "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        }, volumes={"data": "/var/lib/kafka/data"}),
        ports=(broker, KAFKA_INTERNAL),
        healthcheck=("CMD", "/opt/kafka/bin/kafka-broker-api-versions.sh", "--bootstrap-server", "localhost:19092"),
        memory_mb=1024, cpu_mhz=1000,
    )


def kafka_connect(config: InfraConfig, target: Target) -> Service:
    """A distributed-mode worker; its configs, offsets and statuses live in Kafka topics.

    Extra connector plugins (such as ClickHouse's sink connector) go into the `plugins` volume,
    which the worker scans at start.
    """
    rest = Port("rest", config.port("KAFKA_CONNECT_PORT"), 8083, "/connectors")
    env = {
        "BOOTSTRAP_SERVERS": target.peer("kafka", KAFKA_INTERNAL),
        "GROUP_ID": config["KAFKA_CONNECT_GROUP_ID"],
        "CONFIG_STORAGE_TOPIC": "connect-configs",
        "OFFSET_STORAGE_TOPIC": "connect-offsets",
        "STATUS_STORAGE_TOPIC": "connect-statuses",
        "CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR": "1",
        "CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR": "1",
        "CONNECT_STATUS_STORAGE_REPLICATION_FACTOR": "1",
        "CONNECT_PLUGIN_PATH": f"/kafka/connect,{CONNECT_PLUGINS}",
    }
    if target.kind == "nomad":
        env |= {"ADVERTISED_HOST_NAME": target.self_host("kafka-connect", rest),
                "ADVERTISED_PORT": str(target.port(rest))}
    return Service(
        Task("kafka-connect", config["KAFKA_CONNECT_IMAGE"], env=env, volumes={"plugins": CONNECT_PLUGINS}),
        ports=(rest,),
        healthcheck=("CMD", "curl", "--fail", "--silent", "http://127.0.0.1:8083/connectors"),
        memory_mb=1024, cpu_mhz=500, after=("kafka",),
    )
