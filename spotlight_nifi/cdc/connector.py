"""The Debezium PostgreSQL connector of a captured table: its names, its configuration, and Kafka
Connect's REST API (register, validate, status, delete).

One connector per table, each with its own publication (created by Debezium for that table only)
and replication slot, so a table is added, stopped and removed without touching the others.
Values are spelled so that `events.py` converts them exactly: decimals as strings, times in
microseconds, binary as hex, intervals as ISO-8601 text; the ExtractNewRecordState transform
flattens each event into the row, keeping deletes as rows flagged `__deleted` and adding the LSN.

The source password never appears in a message. It goes to Kafka Connect, which stores connector
configurations in its config topic: set `CDC_SOURCE_PASSWORD_REF` to a config-provider reference
(`${env:PG_PASSWORD}`, `${file:/secrets/pg.properties:password}`) and Connect resolves it on its
workers instead, so the password is stored nowhere but there.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
import requests
from psycopg.conninfo import conninfo_to_dict

from spotlight_nifi.cdc.errors import CdcError

CONNECTOR_CLASS = "io.debezium.connector.postgresql.PostgresConnector"
PREFIX = "spotlight-cdc"
HEARTBEAT_MS = 10_000
CONVERTER_SETTINGS = {
    "plugin.name": "pgoutput",
    "publication.autocreate.mode": "filtered",
    "snapshot.mode": "initial",
    "heartbeat.interval.ms": str(HEARTBEAT_MS),
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
    "decimal.handling.mode": "string",
    "time.precision.mode": "adaptive_time_microseconds",
    "binary.handling.mode": "hex",
    "interval.handling.mode": "string",
    "tombstones.on.delete": "false",
    "include.unknown.datatypes": "false",
    "slot.drop.on.stop": "false",
    "topic.creation.default.partitions": "1",
    "topic.creation.default.replication.factor": "-1",
    "transforms": "unwrap,route",
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    "transforms.unwrap.add.fields": "lsn,op",
    "transforms.unwrap.delete.tombstone.handling.mode": "rewrite",
}
"""Settings every connector shares. One partition per topic: events of a table stay in LSN order."""


@dataclass(frozen=True)
class Names:
    """Everything named after one captured table."""

    connector: str
    slot: str
    publication: str
    topic_prefix: str
    topic: str


def _identifier(text: str) -> str:
    """A PostgreSQL slot/publication name: lowercase letters, digits, `_`, at most 63 characters."""
    clean = re.sub(r"[^a-z0-9_]", "_", text.lower())
    if len(clean) <= 63:
        return clean
    return clean[:54] + "_" + hashlib.sha1(text.encode()).hexdigest()[:8]


def names(database: str, schema: str, table: str) -> Names:
    """The topic prefix is the topic's own name: Debezium names its metrics after the prefix, so two
    connectors sharing one on a worker collide (the second never starts)."""
    topic = ".".join(re.sub(r"[^A-Za-z0-9_-]", "_", part) for part in ("spotlight", database, schema, table))
    slot = _identifier(f"spotlight_{schema}_{table}")
    return Names(f"{PREFIX}.{database}.{schema}.{table}", slot, slot, topic, topic)


def _route(named: Names, schema: str, table: str) -> dict[str, str]:
    """RegexRouter from Debezium's `<prefix>.<schema>.<table>` to the prefix alone (heartbeats keep their topic)."""
    return {"transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": re.escape(f"{named.topic_prefix}.{schema}.{table}"),
            "transforms.route.replacement": named.topic}


def source_settings(dsn: str, password_ref: str | None, address: str | None = None) -> dict[str, str]:
    """The `database.*` settings from a libpq DSN: host and port from `address` (HOST:PORT, as Kafka
    Connect's workers reach the database) when given; the password as the reference when one is given."""
    parts = conninfo_to_dict(dsn)
    host, port = str(parts.get("host", "localhost")), str(parts.get("port", 5432))
    if address:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise CdcError(f"`CDC_CONNECT_SOURCE_ADDRESS` is `{address}`, not HOST:PORT")
    settings = {"database.hostname": host, "database.port": port,
                "database.user": str(parts.get("user", "postgres")), "database.dbname": str(parts.get("dbname", ""))}
    password = password_ref or parts.get("password")
    if password:
        settings["database.password"] = str(password)
    return settings


CLICKHOUSE_TABLE = "spotlight.clickhouse.table"
"""Our own key in the connector's configuration (Connect keeps keys it does not know): the
ClickHouse table the events are applied to, so `cdc status` and `cdc apply` need no other state."""


def config(dsn: str, schema: str, table: str, clickhouse_table: str, *, password_ref: str | None = None,
           address: str | None = None, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """The connector configuration for one table."""
    source = source_settings(dsn, password_ref, address)
    named = names(source["database.dbname"], schema, table)
    settings = {"connector.class": CONNECTOR_CLASS, "tasks.max": "1", **source, **CONVERTER_SETTINGS,
                **_route(named, schema, table),
                "topic.prefix": named.topic_prefix, "table.include.list": f"{schema}.{table}",
                "slot.name": named.slot, "publication.name": named.publication, CLICKHOUSE_TABLE: clickhouse_table}
    if exclude:
        settings["column.exclude.list"] = ",".join(f"{schema}.{table}.{column}" for column in exclude)
    return settings


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


class Connect:
    """Kafka Connect's REST API, as far as a table's connector needs it."""

    def __init__(self, url: str, secret: str | None = None) -> None:
        self.url = url.rstrip("/")
        self._secret = secret
        """A value never to repeat in a message (the source password)."""
        self._http = requests.Session()
        self._http.trust_env = False  # the worker is reached directly, never through a proxy from the environment

    def _call(self, method: str, path: str, body: Any = None, *, missing_ok: bool = False) -> Any:
        try:
            response = self._http.request(method, f"{self.url}{path}", json=body, timeout=60,
                                          headers={"Accept": "application/json"})
        except requests.RequestException as error:
            raise CdcError(f"cannot reach Kafka Connect at `{self.url}`: {error}; check `KAFKA_CONNECT_URL` "
                           "(`spotlight-nifi dev up --with cdc` starts a local one)") from None
        if missing_ok and response.status_code == 404:
            return None
        if not response.ok:
            detail = response.text
            try:
                detail = str(orjson.loads(detail).get("message", detail))
            except (orjson.JSONDecodeError, AttributeError):
                pass
            raise CdcError(f"Kafka Connect at `{self.url}` refused {method} {path}: "
                           f"{_redact(detail, self._secret)}")
        return orjson.loads(response.content) if response.content else None

    def validate(self, name: str, settings: dict[str, str]) -> list[str]:
        """Connect's and Debezium's checks of a configuration (Debezium connects to PostgreSQL): the errors."""
        result = self._call("PUT", f"/connector-plugins/{quote(CONNECTOR_CLASS)}/config/validate",
                            {**settings, "name": name})
        errors = []
        for entry in result.get("configs", []):
            value = entry.get("value") or {}
            for message in value.get("errors", []):
                errors.append(f"`{value.get('name')}`: {_redact(message, self._secret)}")
        return errors

    def put(self, name: str, settings: dict[str, str]) -> None:
        """Create the connector, or update its configuration."""
        self._call("PUT", f"/connectors/{quote(name, safe='')}/config", settings)

    def status(self, name: str) -> dict[str, Any] | None:
        return self._call("GET", f"/connectors/{quote(name, safe='')}/status", missing_ok=True)

    def settings(self, name: str) -> dict[str, str] | None:
        return self._call("GET", f"/connectors/{quote(name, safe='')}/config", missing_ok=True)

    def connectors(self) -> list[str]:
        return sorted(n for n in self._call("GET", "/connectors") if n.startswith(f"{PREFIX}."))

    def delete(self, name: str) -> bool:
        """Delete the connector (its tasks stop first); False when there was none."""
        if self.status(name) is None:
            return False
        self._call("DELETE", f"/connectors/{quote(name, safe='')}", missing_ok=True)
        return True
