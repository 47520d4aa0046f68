"""The development/deployment stack as data: which services run, with which images, ports,
volumes, files and secrets, read from the one `.env`.

Secrets are only ever *named* here (`Service.secrets` maps a container variable to the `.env`
key holding its value); their values are never read, so no renderer can leak them. Everything a
target (docker-compose or Nomad) renders differently, the address of a peer service and the
address clients should use for a port, comes from a `Target`, keeping the service table shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError

#: `.env` keys whose values are secrets: referenced by name in rendered files, never inlined.
SECRET_KEYS = (
    "NIFI_PASSWORD",
    "NIFI_SENSITIVE_PROPS_KEY",
    "POSTGRES_PASSWORD",
    "FAILURE_DB_PASSWORD",
    "CLICKHOUSE_PASSWORD",
    "MINIO_ROOT_PASSWORD",
    "SUPERSET_SECRET_KEY",
    "SUPERSET_ADMIN_PASSWORD",
)


@dataclass(frozen=True)
class Port:
    """A service port: `host` is the one users (and other Nomad jobs) reach, `container` the one inside.

    An unpublished port is only for peers on the compose network; Nomad maps every port to its host.
    """

    label: str
    host: int
    container: int
    check_path: str | None = None
    published: bool = True


@dataclass(frozen=True)
class Task:
    """One container: the shared shape of a compose service and a Nomad task."""

    name: str
    image: str
    entrypoint: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Service:
    """A long-running service; `init` runs to completion before it (compose service, Nomad prestart task)."""

    task: Task
    ports: tuple[Port, ...]
    healthcheck: tuple[str, ...]
    memory_mb: int
    cpu_mhz: int
    after: tuple[str, ...] = ()
    init: Task | None = None
    init_after: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.task.name


@dataclass(frozen=True)
class Target:
    """How one deployment target spells addresses.

    `peer(service, port)` is how a container reaches another service (a Nomad template expression,
    so only in files and templated variables); `own(service, port)` is how a service names its own
    port to its peers; `public(service, port)` is the address clients outside the stack use
    (Kafka advertises it, NiFi accepts it as proxy host).
    """

    peer: Callable[[str, Port], str]
    own: Callable[[str, Port], str]
    public: Callable[[str, Port], str]


@dataclass(frozen=True)
class InfraConfig:
    """The non-secret `.env` values the stack is rendered from."""

    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def port(self, key: str) -> int:
        return int(self.values[key])


#: Non-secret keys the renderers read; each is documented in `example.env`.
IMAGE_KEYS = (
    "NIFI_IMAGE",
    "NIFI_REGISTRY_IMAGE",
    "KAFKA_IMAGE",
    "POSTGRES_IMAGE",
    "CLICKHOUSE_IMAGE",
    "MINIO_IMAGE",
    "MINIO_MC_IMAGE",
    "SUPERSET_IMAGE",
)
PORT_KEYS = (
    "NIFI_HTTPS_PORT",
    "NIFI_REGISTRY_PORT",
    "KAFKA_PORT",
    "POSTGRES_PORT",
    "CLICKHOUSE_HTTP_PORT",
    "CLICKHOUSE_NATIVE_PORT",
    "MINIO_API_PORT",
    "MINIO_CONSOLE_PORT",
    "SUPERSET_PORT",
)
VALUE_KEYS = (
    "NIFI_USERNAME",
    "KAFKA_CLUSTER_ID",
    "POSTGRES_USER",
    "FAILURE_DB_NAME",
    "FAILURE_DB_USER",
    "CLICKHOUSE_DB",
    "CLICKHOUSE_USER",
    "CLICKHOUSE_S3_BUCKET",
    "CLICKHOUSE_STORAGE_POLICY",
    "MINIO_ROOT_USER",
    "SUPERSET_ADMIN_USERNAME",
    "NOMAD_ADDR",
    "NOMAD_DATACENTER",
    "NOMAD_NAMESPACE",
)


def load_config(settings: Settings) -> InfraConfig:
    """Every non-secret key the stack needs, or a `ConfigError` naming the first missing or bad one."""
    values = {key: settings.require(key) for key in (*IMAGE_KEYS, *PORT_KEYS, *VALUE_KEYS)}
    for key in PORT_KEYS:
        if not values[key].isdigit() or not 0 < int(values[key]) < 65536:
            raise ConfigError(key, f"`{key}` is `{values[key]}`: set it to a port number between 1 and 65535")
    return InfraConfig(values)


def _tcp_probe(port: int) -> tuple[str, ...]:
    """A health check for images without an HTTP client: the port accepts connections."""
    return ("CMD", "bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port}")


def _failure_db_init() -> str:
    return """#!/bin/sh
# Creates the failure DB and its owning role on first start; the schema itself comes from the
# versioned migrations in spotlight_nifi/failures/migrations.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \\
  --set=db="$FAILURE_DB_NAME" --set=owner="$FAILURE_DB_USER" --set=password="$FAILURE_DB_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"owner";
SQL
"""


def _clickhouse_storage(config: InfraConfig, minio: str) -> str:
    """S3 disk on MinIO (credentials read from the container's environment), a local cache, and a policy."""
    return f"""<clickhouse>
    <storage_configuration>
        <disks>
            <s3>
                <type>s3</type>
                <endpoint>http://{minio}/{config["CLICKHOUSE_S3_BUCKET"]}/data/</endpoint>
                <access_key_id from_env="CLICKHOUSE_S3_ACCESS_KEY_ID"/>
                <secret_access_key from_env="CLICKHOUSE_S3_SECRET_ACCESS_KEY"/>
                <metadata_path>/var/lib/clickhouse/disks/s3/</metadata_path>
            </s3>
            <s3_cache>
                <type>cache</type>
                <disk>s3</disk>
                <path>/var/lib/clickhouse/disks/s3_cache/</path>
                <max_size>10Gi</max_size>
            </s3_cache>
        </disks>
        <policies>
            <{config["CLICKHOUSE_STORAGE_POLICY"]}>
                <volumes>
                    <main>
                        <disk>s3_cache</disk>
                    </main>
                </volumes>
            </{config["CLICKHOUSE_STORAGE_POLICY"]}>
        </policies>
    </storage_configuration>
</clickhouse>
"""


SCRIPTS = "/opt/spotlight"

_BUCKET = """#!/bin/sh
# Creates ClickHouse's bucket on MinIO before ClickHouse starts (its S3 disk needs it).
set -eu
mc alias set minio "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "minio/$BUCKET"
"""

_SUPERSET = """#!/bin/sh
# Adds the ClickHouse driver, prepares Superset's metadata DB and admin user, then serves.
set -eu
uv pip install --quiet --target /app/pythonpath clickhouse-connect
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USERNAME" --password "$SUPERSET_ADMIN_PASSWORD" \\
  --firstname Superset --lastname Admin --email "$SUPERSET_ADMIN_USERNAME@localhost"
superset init
exec /app/docker/entrypoints/run-server.sh
"""

NIFI_HOME = "/opt/nifi/nifi-current"
NIFI_REGISTRY_HOME = "/opt/nifi-registry/nifi-registry-current"


def services(config: InfraConfig, target: Target) -> tuple[Service, ...]:
    """The stack, in start order; both renderers translate exactly this table."""
    minio_api = Port("api", config.port("MINIO_API_PORT"), 9000, "/minio/health/live")
    kafka_broker = Port("broker", config.port("KAFKA_PORT"), 9092)
    kafka_internal = Port("internal", 19092, 19092, published=False)
    nifi_https = Port("https", config.port("NIFI_HTTPS_PORT"), 8443)
    return (
        Service(
            Task("minio", config["MINIO_IMAGE"],
                 command=("server", "/data", "--console-address", ":9001"),
                 env={"MINIO_ROOT_USER": config["MINIO_ROOT_USER"]},
                 secrets={"MINIO_ROOT_PASSWORD": "MINIO_ROOT_PASSWORD"},
                 volumes={"data": "/data"}),
            ports=(minio_api, Port("console", config.port("MINIO_CONSOLE_PORT"), 9001)),
            healthcheck=("CMD", "mc", "ready", "local"), memory_mb=512, cpu_mhz=500,
        ),
        Service(
            Task("kafka", config["KAFKA_IMAGE"], env={
                "CLUSTER_ID": config["KAFKA_CLUSTER_ID"],
                "KAFKA_NODE_ID": "1",
                "KAFKA_PROCESS_ROLES": "broker,controller",
                "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
                "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                "KAFKA_LISTENERS": "CONTROLLER://:9093,INTERNAL://:19092,EXTERNAL://:9092",
                "KAFKA_ADVERTISED_LISTENERS":
                    f"INTERNAL://{target.own('kafka', kafka_internal)},EXTERNAL://{target.public('kafka', kafka_broker)}",
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
                "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
                "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
                "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            }, volumes={"data": "/var/lib/kafka/data"}),
            ports=(kafka_broker, kafka_internal),
            healthcheck=("CMD", "/opt/kafka/bin/kafka-broker-api-versions.sh", "--bootstrap-server", "localhost:19092"),
            memory_mb=1024, cpu_mhz=1000,
        ),
        Service(
            Task("postgres", config["POSTGRES_IMAGE"], env={
                "POSTGRES_USER": config["POSTGRES_USER"],
                "FAILURE_DB_NAME": config["FAILURE_DB_NAME"],
                "FAILURE_DB_USER": config["FAILURE_DB_USER"],
            }, secrets={"POSTGRES_PASSWORD": "POSTGRES_PASSWORD", "FAILURE_DB_PASSWORD": "FAILURE_DB_PASSWORD"},
                volumes={"data": "/var/lib/postgresql/data"},
                files={"/docker-entrypoint-initdb.d/10-failure-db.sh": _failure_db_init()}),
            ports=(Port("db", config.port("POSTGRES_PORT"), 5432),),
            healthcheck=("CMD", "pg_isready", "--host", "127.0.0.1", "--username", config["POSTGRES_USER"]),
            memory_mb=512, cpu_mhz=500,
        ),
        Service(
            Task("clickhouse", config["CLICKHOUSE_IMAGE"], env={
                "CLICKHOUSE_DB": config["CLICKHOUSE_DB"],
                "CLICKHOUSE_USER": config["CLICKHOUSE_USER"],
                "CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT": "1",
                "CLICKHOUSE_S3_ACCESS_KEY_ID": config["MINIO_ROOT_USER"],
            }, secrets={"CLICKHOUSE_PASSWORD": "CLICKHOUSE_PASSWORD",
                        "CLICKHOUSE_S3_SECRET_ACCESS_KEY": "MINIO_ROOT_PASSWORD"},
                volumes={"data": "/var/lib/clickhouse"},
                files={"/etc/clickhouse-server/config.d/storage.xml":
                       _clickhouse_storage(config, target.peer("minio", minio_api))}),
            ports=(Port("http", config.port("CLICKHOUSE_HTTP_PORT"), 8123, "/ping"),
                   Port("native", config.port("CLICKHOUSE_NATIVE_PORT"), 9000)),
            healthcheck=("CMD", "wget", "--quiet", "--output-document=-", "http://127.0.0.1:8123/ping"),
            memory_mb=2048, cpu_mhz=1000, after=("minio",),
            init=Task("clickhouse-init", config["MINIO_MC_IMAGE"], entrypoint=("sh", f"{SCRIPTS}/create-bucket.sh"), env={
                "MINIO_URL": f"http://{target.peer('minio', minio_api)}",
                "MINIO_ROOT_USER": config["MINIO_ROOT_USER"],
                "BUCKET": config["CLICKHOUSE_S3_BUCKET"],
            }, secrets={"MINIO_ROOT_PASSWORD": "MINIO_ROOT_PASSWORD"},
                files={f"{SCRIPTS}/create-bucket.sh": _BUCKET}),
            init_after=("minio",),
        ),
        Service(
            Task("nifi-registry", config["NIFI_REGISTRY_IMAGE"], env={"NIFI_REGISTRY_WEB_HTTP_PORT": "18080"},
                 volumes={"database": f"{NIFI_REGISTRY_HOME}/database",
                          "flow-storage": f"{NIFI_REGISTRY_HOME}/flow_storage"}),
            ports=(Port("http", config.port("NIFI_REGISTRY_PORT"), 18080, "/nifi-registry-api/buckets"),),
            healthcheck=_tcp_probe(18080), memory_mb=512, cpu_mhz=500,
        ),
        Service(
            Task("nifi", config["NIFI_IMAGE"], env={
                "NIFI_WEB_HTTPS_HOST": "0.0.0.0",
                "NIFI_WEB_HTTPS_PORT": "8443",
                "NIFI_WEB_PROXY_HOST": target.public("nifi", nifi_https),
                "SINGLE_USER_CREDENTIALS_USERNAME": config["NIFI_USERNAME"],
            }, secrets={"SINGLE_USER_CREDENTIALS_PASSWORD": "NIFI_PASSWORD",
                        "NIFI_SENSITIVE_PROPS_KEY": "NIFI_SENSITIVE_PROPS_KEY"},
                volumes={name: f"{NIFI_HOME}/{path}" for name, path in (
                    ("conf", "conf"), ("state", "state"), ("database", "database_repository"),
                    ("flowfile", "flowfile_repository"), ("content", "content_repository"),
                    ("provenance", "provenance_repository"))}),
            ports=(nifi_https,),
            healthcheck=_tcp_probe(8443), memory_mb=2048, cpu_mhz=1000,
            after=("kafka", "postgres", "clickhouse", "nifi-registry"),
        ),
        Service(
            Task("superset", config["SUPERSET_IMAGE"], entrypoint=("sh", f"{SCRIPTS}/start.sh"),
                 env={"SUPERSET_ADMIN_USERNAME": config["SUPERSET_ADMIN_USERNAME"]},
                 secrets={"SUPERSET_SECRET_KEY": "SUPERSET_SECRET_KEY",
                          "SUPERSET_ADMIN_PASSWORD": "SUPERSET_ADMIN_PASSWORD"},
                 volumes={"home": "/app/superset_home"}, files={f"{SCRIPTS}/start.sh": _SUPERSET}),
            ports=(Port("http", config.port("SUPERSET_PORT"), 8088, "/health"),),
            healthcheck=("CMD", "curl", "--fail", "--silent", "http://127.0.0.1:8088/health"),
            memory_mb=1024, cpu_mhz=500, after=("clickhouse",),
        ),
    )
