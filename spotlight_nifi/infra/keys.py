"""The non-secret `.env` keys the stack is rendered from, each with the rule its value must follow.

A rule is a tiny `(value) -> fix | None` check, so the table below is data, not if-chains; a
value that breaks its rule is a `ConfigError` naming the key, the value and how to fix it. Every
value is also substituted verbatim into the Nomad job templates by Terraform's `templatefile`, so
none may hold a quote, a backslash, a line break or a template sequence (`${`, `%{`, `{{`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError

Rule = Callable[[str], "str | None"]


def _matches(pattern: str, fix: str) -> Rule:
    compiled = re.compile(pattern)
    return lambda value: None if compiled.fullmatch(value) else fix


def _port(value: str) -> str | None:
    return None if value.isdigit() and 0 < int(value) < 65536 else "set it to a port number between 1 and 65535"


def _count(value: str) -> str | None:
    return None if value.isdigit() and 0 < int(value) <= 64 else "set it to a whole number between 1 and 64"


def _odd(value: str) -> str | None:
    fix = "set it to 1, 3 or 5 (Keeper needs an odd number of nodes for a majority)"
    return None if value in ("1", "3", "5") else fix


def _ratio(value: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    return None if 0 < number < 1 else "set it to a fraction between 0 and 1, such as 0.1"


def _bucket(value: str) -> str | None:
    """S3's naming rules for general-purpose buckets (MinIO enforces the same)."""
    fix = ("set it to a name S3 accepts: 3 to 63 lowercase letters, digits, dots or hyphens, starting and "
           "ending with a letter or digit, no `..`, not shaped like an IP address")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value) or ".." in value:
        return fix
    if value.startswith(("xn--", "sthree-")) or value.endswith(("-s3alias", "--ol-s3")):
        return fix
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return None
    return fix


IMAGE = _matches(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?",
                 "set it to a container image reference such as `name:tag`")
IDENTIFIER = _matches(r"[A-Za-z_][A-Za-z0-9_]*", "set it to letters, digits and `_`, not starting with a digit")
NAME = _matches(r"[A-Za-z0-9][A-Za-z0-9_.@-]*", "set it to letters, digits, `_`, `.`, `@` or `-`")
BOOLEAN = _matches(r"true|false", "set it to `true` or `false`")
SIZE = _matches(r"[1-9][0-9]*(Ki|Mi|Gi|Ti)?", "set it to a size such as `10Gi`")
MEMORY = _matches(r"[1-9][0-9]*[mg]", "set it to a JVM memory size such as `1g` or `512m`")
URL = _matches(r"https?://[A-Za-z0-9.:\[\]_-]+(/[A-Za-z0-9._~/-]*)?", "set it to an http(s)://host:port URL")
CLUSTER_ID = _matches(r"[A-Za-z0-9_-]{22}", "set it to 22 base64url characters (`kafka-storage.sh random-uuid`)")


def _optional(rule: Rule) -> Rule:
    return lambda value: None if value == "" else rule(value)


#: Every non-secret key the renderers read, in `example.env` order, with its rule.
KEYS: dict[str, Rule] = {
    "NIFI_IMAGE": IMAGE,
    "NIFI_REGISTRY_IMAGE": IMAGE,
    "KAFKA_IMAGE": IMAGE,
    "POSTGRES_IMAGE": IMAGE,
    "CLICKHOUSE_IMAGE": IMAGE,
    "MINIO_IMAGE": IMAGE,
    "MINIO_MC_IMAGE": IMAGE,
    "SUPERSET_IMAGE": IMAGE,
    "NIFI_HTTPS_PORT": _port,
    "NIFI_REGISTRY_PORT": _port,
    "KAFKA_PORT": _port,
    "POSTGRES_PORT": _port,
    "CLICKHOUSE_HTTP_PORT": _port,
    "CLICKHOUSE_NATIVE_PORT": _port,
    "MINIO_API_PORT": _port,
    "MINIO_CONSOLE_PORT": _port,
    "SUPERSET_PORT": _port,
    "NIFI_USERNAME": NAME,
    "KAFKA_CLUSTER_ID": CLUSTER_ID,
    "POSTGRES_USER": IDENTIFIER,
    "FAILURE_DB_NAME": IDENTIFIER,
    "FAILURE_DB_USER": IDENTIFIER,
    "CLICKHOUSE_DB": IDENTIFIER,
    "CLICKHOUSE_USER": IDENTIFIER,
    "CLICKHOUSE_S3_BUCKET": _bucket,
    "CLICKHOUSE_STORAGE_POLICY": IDENTIFIER,
    "MINIO_ROOT_USER": _matches(r"[A-Za-z0-9_.-]{3,}", "set it to at least 3 letters, digits, `_`, `.` or `-`"),
    "SUPERSET_ADMIN_USERNAME": NAME,
    "NOMAD_ADDR": URL,
    "NOMAD_DATACENTER": NAME,
    "NOMAD_NAMESPACE": NAME,
    "CLICKHOUSE_KEEPER_IMAGE": IMAGE,
    "SPARK_IMAGE": IMAGE,
    "AIRFLOW_IMAGE": IMAGE,
    "KAFKA_CONNECT_IMAGE": IMAGE,
    "PARADEDB_IMAGE": IMAGE,
    "CLICKHOUSE_KEEPER_PORT": _port,
    "SPARK_MASTER_PORT": _port,
    "SPARK_UI_PORT": _port,
    "AIRFLOW_PORT": _port,
    "AIRFLOW_DB_PORT": _port,
    "KAFKA_CONNECT_PORT": _port,
    "PARADEDB_PORT": _port,
    "MINIO_RAW_BUCKET": _bucket,
    "CLICKHOUSE_BACKUP_BUCKET": _bucket,
    "CLICKHOUSE_MOVE_FACTOR": _ratio,
    "CLICKHOUSE_S3_CACHE_SIZE": SIZE,
    "CLICKHOUSE_CLUSTER": _optional(IDENTIFIER),
    "CLICKHOUSE_SHARDS": _count,
    "CLICKHOUSE_REPLICAS": _count,
    "CLICKHOUSE_KEEPER_NODES": _odd,
    "SPARK_WORKERS": _count,
    "SPARK_WORKER_CORES": _count,
    "SPARK_WORKER_MEMORY": MEMORY,
    "AIRFLOW_DB_NAME": IDENTIFIER,
    "AIRFLOW_DB_USER": IDENTIFIER,
    "AIRFLOW_ADMIN_USERNAME": NAME,
    "KAFKA_CONNECT_GROUP_ID": NAME,
    "PARADEDB_ENABLED": BOOLEAN,
    "PARADEDB_DB": IDENTIFIER,
    "PARADEDB_USER": IDENTIFIER,
    "KAFKA_BROKERS": _count,
    "KAFKA_REPLICATION_FACTOR": _optional(_count),
    "NIFI_NODES": _count,
}
OPTIONAL = frozenset({"CLICKHOUSE_CLUSTER", "KAFKA_REPLICATION_FACTOR"})
"""Keys that may be empty (an empty `CLICKHOUSE_CLUSTER` means one ClickHouse node, an empty
`KAFKA_REPLICATION_FACTOR` one derived from `KAFKA_BROKERS`)."""
PORT_KEYS = tuple(key for key, rule in KEYS.items() if rule is _port)
BUCKET_KEYS = tuple(key for key, rule in KEYS.items() if rule is _bucket)

_UNSAFE = ('"', "\\", "\n", "\r", "${", "%{", "{{", "}}")


def _read(settings: Settings, key: str) -> str:
    if key in OPTIONAL:
        return settings.get(key) or ""
    return settings.require(key)


def _check(key: str, value: str) -> None:
    unsafe = next((text for text in _UNSAFE if text in value), None)
    fix = f"remove `{unsafe.strip()}`: values are written verbatim into job templates" if unsafe else KEYS[key](value)
    if fix:
        raise ConfigError(key, f"`{key}` is `{value}`: {fix}")


def _distinct(values: dict[str, str], keys: tuple[str, ...], what: str) -> None:
    seen: dict[str, str] = {}
    for key in keys:
        if values[key] in seen:
            raise ConfigError(key, f"`{key}` is `{values[key]}`, the same {what} as `{seen[values[key]]}`: "
                                   f"give each its own")
        seen[values[key]] = key


def _topology(values: dict[str, str]) -> None:
    nodes = int(values["CLICKHOUSE_SHARDS"]) * int(values["CLICKHOUSE_REPLICAS"])
    if nodes > 1 and not values["CLICKHOUSE_CLUSTER"]:
        raise ConfigError("CLICKHOUSE_CLUSTER", f"`CLICKHOUSE_CLUSTER` is not set but `CLICKHOUSE_SHARDS` × "
                                                f"`CLICKHOUSE_REPLICAS` asks for {nodes} nodes: name the cluster")


def _kafka(values: dict[str, str]) -> None:
    """Replicas need as many brokers; the compose host ports of brokers 2… (`KAFKA_PORT` + 1, …) must be free."""
    brokers = int(values["KAFKA_BROKERS"])
    factor = values["KAFKA_REPLICATION_FACTOR"]
    if factor and int(factor) > brokers:
        raise ConfigError("KAFKA_REPLICATION_FACTOR", f"`KAFKA_REPLICATION_FACTOR` is `{factor}` but `KAFKA_BROKERS` "
                                                      f"is `{brokers}`: keep it at most the number of brokers")
    extra = {int(values["KAFKA_PORT"]) + offset for offset in range(1, brokers)}
    taken = next((key for key in PORT_KEYS if int(values[key]) in extra), None)
    if taken or max(extra, default=0) > 65535:
        raise ConfigError("KAFKA_PORT", f"`KAFKA_PORT` is `{values['KAFKA_PORT']}`: {brokers} brokers take host ports "
                                        f"{values['KAFKA_PORT']}…{int(values['KAFKA_PORT']) + brokers - 1}, which "
                                        f"{f'overlap `{taken}`' if taken else 'pass 65535'}: move it")


def read_values(settings: Settings) -> dict[str, str]:
    """Every key's value, checked; a `ConfigError` names the first missing or invalid one."""
    values = {key: _read(settings, key) for key in KEYS}
    for key, value in values.items():
        _check(key, value)
    _distinct(values, PORT_KEYS, "host port")
    _distinct(values, BUCKET_KEYS, "bucket")
    _topology(values)
    _kafka(values)
    return values
