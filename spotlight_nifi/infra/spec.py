"""The stack as data: the shapes every service is described in, and the `.env` values behind them.

Secrets are only ever *named* (`Task.secrets` maps a container variable to the `.env` key holding
its value); their values are never read, so no renderer can leak them. What a target (compose or
Nomad) spells differently, addresses of peers and of a service itself, comes from a `Target`, so
the service table in `spotlight_nifi.infra.services` is shared by both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from spotlight_nifi.config import Settings
from spotlight_nifi.infra.keys import read_values

#: `.env` keys whose values are secrets: referenced by name in rendered files, never inlined.
SECRET_KEYS = (
    "NIFI_PASSWORD",
    "NIFI_SENSITIVE_PROPS_KEY",
    "NIFI_TLS_PASSWORD",
    "NIFI_CA_PASSWORD",
    "NIFI_CA_KEYSTORE",
    "POSTGRES_PASSWORD",
    "FAILURE_DB_PASSWORD",
    "CLICKHOUSE_PASSWORD",
    "MINIO_ROOT_PASSWORD",
    "SUPERSET_SECRET_KEY",
    "SUPERSET_ADMIN_PASSWORD",
    "CLICKHOUSE_CLUSTER_SECRET",
    "AIRFLOW_DB_PASSWORD",
    "AIRFLOW_ADMIN_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_WEBSERVER_SECRET_KEY",
    "PARADEDB_PASSWORD",
)

PLACEHOLDER = "\ue000{}\ue001"
"""How a symbolic `InfraConfig` spells a value: private-use characters no real value holds, turned
into `${KEY}` template references once the job text is written (see `nomad.template`)."""


@dataclass(frozen=True)
class Port:
    """A service port: `host` is the one users (and other Nomad jobs) reach, `container` the one inside.

    An unpublished port is only for peers on the compose network; Nomad maps every port to its host.
    `host` is a placeholder string when the job is rendered as a Terraform template.
    """

    label: str
    host: int | str
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
    """A long-running service; `init` runs to completion before it (compose service, Nomad prestart task).

    `count` copies run side by side (compose replicas, a Nomad group count: one per client, since
    Nomad ports are static); the first port is the one its health check and peers use.
    """

    task: Task
    ports: tuple[Port, ...]
    healthcheck: tuple[str, ...]
    memory_mb: int
    cpu_mhz: int
    after: tuple[str, ...] = ()
    init: Task | None = None
    init_after: tuple[str, ...] = ()
    count: int = 1

    @property
    def name(self) -> str:
        return self.task.name


@dataclass(frozen=True)
class Target:
    """How one deployment target spells addresses.

    `peer(service, port)` is how a container reaches another service as `host:port` (a Nomad
    template expression, so only in files and templated variables); `host(service)` and
    `port(port)` are the same address in two parts, for configs that want them apart;
    `own(service, port)` is how a service names its own port to peers, `public(service, port)` the
    address clients outside the stack use (Kafka advertises it, NiFi accepts it as proxy host),
    and `self_host(service, port)` the host a service announces inside its config files.
    """

    kind: Literal["compose", "nomad"]
    peer: Callable[[str, Port], str]
    host: Callable[[str], str]
    port: Callable[[Port], int | str]
    own: Callable[[str, Port], str]
    public: Callable[[str, Port], str]
    self_host: Callable[[str, Port], str]


@dataclass(frozen=True)
class InfraConfig:
    """The checked non-secret `.env` values; `symbolic` ones render as template placeholders.

    `config[key]` and `port(key)` are what a rendered file shows: the value, or (symbolic) a
    placeholder Terraform fills from the tfvars. `count`, `flag` and `value` shape the stack itself
    (how many nodes, which services), so they always give the real value.
    """

    values: dict[str, str]
    symbolic: bool = False

    def __getitem__(self, key: str) -> str:
        return PLACEHOLDER.format(key) if self.symbolic else self.values[key]

    def port(self, key: str) -> int | str:
        return self[key] if self.symbolic else int(self.values[key])

    def count(self, key: str) -> int:
        return int(self.values[key])

    def flag(self, key: str) -> bool:
        return self.values[key] == "true"

    def value(self, key: str) -> str:
        return self.values[key]


def load_config(settings: Settings, *, symbolic: bool = False) -> InfraConfig:
    """Every non-secret key the stack needs, or a `ConfigError` naming the first missing or bad one."""
    return InfraConfig(read_values(settings), symbolic)


SCRIPTS = "/opt/spotlight"


def tcp_probe(port: int, host: str = "127.0.0.1") -> tuple[str, ...]:
    """A health check for images without an HTTP client: the port accepts connections on `host`."""
    return ("CMD", "bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}")


def node_name(base: str, number: int, nodes: int) -> str:
    """`base` for a single node, `base-<number>` (1-based) when there are several."""
    return base if nodes == 1 else f"{base}-{number}"
