"""NiFi Registry and NiFi (single user, HTTPS), the flows' runtime."""

from __future__ import annotations

from spotlight_nifi.infra.spec import InfraConfig, Port, Service, Target, Task, tcp_probe

NIFI_HOME = "/opt/nifi/nifi-current"
NIFI_REGISTRY_HOME = "/opt/nifi-registry/nifi-registry-current"


def nifi_registry(config: InfraConfig) -> Service:
    return Service(
        Task("nifi-registry", config["NIFI_REGISTRY_IMAGE"], env={"NIFI_REGISTRY_WEB_HTTP_PORT": "18080"},
             volumes={"database": f"{NIFI_REGISTRY_HOME}/database",
                      "flow-storage": f"{NIFI_REGISTRY_HOME}/flow_storage"}),
        ports=(Port("http", config.port("NIFI_REGISTRY_PORT"), 18080, "/nifi-registry-api/buckets"),),
        healthcheck=tcp_probe(18080), memory_mb=512, cpu_mhz=500,
    )


def nifi(config: InfraConfig, target: Target, clickhouse: str) -> Service:
    """NiFi starts after what its flows write to: Kafka, the failure DB, ClickHouse (`clickhouse`, its first node)."""
    https = Port("https", config.port("NIFI_HTTPS_PORT"), 8443)
    return Service(
        Task("nifi", config["NIFI_IMAGE"], env={
            "NIFI_WEB_HTTPS_HOST": "0.0.0.0",
            "NIFI_WEB_HTTPS_PORT": "8443",
            "NIFI_WEB_PROXY_HOST": target.public("nifi", https),
            "SINGLE_USER_CREDENTIALS_USERNAME": config["NIFI_USERNAME"],
        }, secrets={"SINGLE_USER_CREDENTIALS_PASSWORD": "NIFI_PASSWORD",
                    "NIFI_SENSITIVE_PROPS_KEY": "NIFI_SENSITIVE_PROPS_KEY"},
            volumes={name: f"{NIFI_HOME}/{path}" for name, path in (
                ("conf", "conf"), ("state", "state"), ("database", "database_repository"),
                ("flowfile", "flowfile_repository"), ("content", "content_repository"),
                ("provenance", "provenance_repository"))}),
        ports=(https,),
        healthcheck=tcp_probe(8443), memory_mb=2048, cpu_mhz=1000,
        after=("kafka", "postgres", clickhouse, "nifi-registry"),
    )
