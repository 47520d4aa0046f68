"""The life of a captured table: `add` (ClickHouse table, then connector), `status`, `remove`
(connector, then replication slot and publication: a slot left behind keeps PostgreSQL's WAL forever).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from spotlight_nifi.cdc import connector as cdc_connector
from spotlight_nifi.cdc import table as cdc_table
from spotlight_nifi.cdc.apply import sorting_key
from spotlight_nifi.cdc.connector import CLICKHOUSE_TABLE, Connect, Names, names
from spotlight_nifi.cdc.errors import CdcError
from spotlight_nifi.cdc.source import read_table
from spotlight_nifi.cdc.types import VERSION
from spotlight_nifi.clickhouse import ClickHouse
from spotlight_nifi.clickhouse.tables import table_columns
from spotlight_nifi.failures.db import describe
from spotlight_nifi.infer.names import quote
from spotlight_nifi.infer.placement import place

SLOT_RELEASE_SECONDS = 60.0
"""How long `remove` waits for the deleted connector's task to let go of its slot before ending its session."""


def lsn_text(lsn: int) -> str:
    """An LSN as PostgreSQL writes it: `16/B374D848`."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Added:
    names: Names
    table: str
    created: bool


def add(source: psycopg.Connection, dsn: str, db: ClickHouse, connect: Connect, schema: str, name: str, *,
        table: str | None = None, exclude: Sequence[str] = (), password_ref: str | None = None,
        address: str | None = None, cluster: str | None = None) -> Added:
    """Check the table, the source and the connector's configuration, then create the ClickHouse table
    and register the connector (its snapshot starts at once). Running it again changes nothing. With a
    `cluster`, the table is replicated on every node behind a Distributed table of its name."""
    level = source.execute("SHOW wal_level").fetchone()
    if level is None or level[0] != "logical":
        raise CdcError(f"the source database `{describe(dsn)}` has wal_level `{level and level[0]}`: set "
                       "`wal_level = logical` in postgresql.conf and restart PostgreSQL (Debezium reads changes "
                       "through logical decoding)")
    definition = read_table(source, schema, name, exclude)
    target = table or name
    ddl = cdc_table.create_sql(target, definition)
    settings = cdc_connector.config(dsn, schema, name, target, password_ref=password_ref, address=address,
                                    exclude=tuple(exclude))
    named = names(settings["database.dbname"], schema, name)
    errors = connect.validate(named.connector, settings)
    if errors:
        where = f"{settings['database.hostname']}:{settings['database.port']}"
        raise CdcError(_one_line(
            f"connector `{named.connector}` cannot be set up: {errors[0]}; check `CDC_CONNECT_SOURCE_ADDRESS` (or "
            f"`CDC_SOURCE_DSN`): Kafka Connect's workers must reach PostgreSQL at `{where}` and log in"))
    existing = table_columns(db, target)
    if existing is None:
        for statement in place(target, ddl, cdc_table.columns(definition), cluster=cluster):
            db.command(statement)
    else:
        plan = cdc_table.follow(target, existing, sorting_key(db, target, cluster), definition)
        if plan.refused or plan.statements:
            raise CdcError(f"ClickHouse table `{target}` exists with other columns than `{definition.qualified}` "
                           f"maps to: choose another with `--table`, or drop it")
    connect.put(named.connector, settings)
    return Added(named, target, existing is None)


@dataclass(frozen=True)
class TableStatus:
    """One captured table: its connector, its slot, and how far ClickHouse is."""

    connector: str
    source: str
    table: str
    state: str
    slot: str
    slot_active: bool | None
    lag_bytes: int | None
    """WAL the slot holds back: PostgreSQL's current LSN minus the slot's confirmed flush LSN."""
    last_applied: str | None


def _state(connect: Connect, connector: str) -> str:
    found = connect.status(connector)
    if found is None:
        return "MISSING"
    tasks = found.get("tasks", [])
    failed = next((t for t in tasks if t.get("state") == "FAILED"), None)
    if failed is not None:
        trace = str(failed.get("trace", "")).strip().splitlines()
        return f"FAILED: {trace[0] if trace else 'see the Kafka Connect log'}"
    states = {found.get("connector", {}).get("state", "?"), *(t.get("state") for t in tasks)}
    return "RUNNING" if states == {"RUNNING"} else "/".join(sorted(s for s in states if s))


def status(source: psycopg.Connection, db: ClickHouse, connect: Connect, only: str | None = None) -> list[TableStatus]:
    """Every table captured through this Kafka Connect (or `only` that connector's)."""
    rows = []
    for connector in connect.connectors():
        settings = connect.settings(connector) or {}
        qualified = settings.get("table.include.list", "?")
        if only is not None and only not in (qualified, connector):
            continue
        slot = settings.get("slot.name", "")
        found = source.execute("SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
                               "FROM pg_replication_slots WHERE slot_name = %s", (slot,)).fetchone()
        table = settings.get(CLICKHOUSE_TABLE, "")
        lsn = db.query(f"SELECT max({quote(VERSION)}) FROM {quote(table)}") if table_columns(db, table) else []
        rows.append(TableStatus(connector, qualified, table, _state(connect, connector), slot,
                                None if found is None else bool(found[0]), None if found is None else found[1],
                                lsn_text(int(lsn[0][0])) if lsn and lsn[0][0] else None))
    return rows


@dataclass(frozen=True)
class Removed:
    connector: bool
    slot: bool
    publication: bool


def _release_slot(source: psycopg.Connection, slot: str, timeout: float) -> None:
    """Wait for the slot to be inactive; after `timeout`, end the session still holding it."""
    deadline = time.monotonic() + timeout
    while True:
        found = source.execute("SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s", (slot,)).fetchone()
        if found is None or found[0] is None:
            return
        if time.monotonic() > deadline:
            source.execute("SELECT pg_terminate_backend(%s)", (found[0],))
            deadline = time.monotonic() + timeout
        time.sleep(0.5)


def remove(source: psycopg.Connection, dsn: str, connect: Connect, schema: str, name: str, *,
           release_timeout: float = SLOT_RELEASE_SECONDS) -> Removed:
    """Delete the connector, then drop its replication slot and publication (each only if there)."""
    named = names(str(conninfo_to_dict(dsn).get("dbname", "")), schema, name)
    settings = connect.settings(named.connector) or {}
    slot = settings.get("slot.name", named.slot)
    publication = settings.get("publication.name", named.publication)
    deleted = connect.delete(named.connector)
    _release_slot(source, slot, release_timeout)
    dropped = source.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                             "WHERE slot_name = %s", (slot,)).fetchall()
    had = source.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (publication,)).fetchone()
    source.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(publication)))
    return Removed(deleted, bool(dropped), had is not None)


@dataclass(frozen=True)
class Captured:
    """What `cdc apply` needs of a table's connector: its topic, ClickHouse table and excluded columns."""

    names: Names
    table: str
    exclude: tuple[str, ...]


def captured(connect: Connect, dsn: str, schema: str, name: str) -> Captured:
    """The connector's own account of a captured table; CdcError when there is no connector."""
    named = names(str(conninfo_to_dict(dsn).get("dbname", "")), schema, name)
    settings = connect.settings(named.connector)
    if settings is None:
        raise CdcError(f"no connector `{named.connector}` on Kafka Connect `{connect.url}`: run "
                       f"`spotlight-nifi cdc add {schema}.{name}` first")
    prefix = f"{schema}.{name}."
    exclude = tuple(c[len(prefix):] for c in settings.get("column.exclude.list", "").split(",") if c.startswith(prefix))
    return Captured(named, settings.get(CLICKHOUSE_TABLE, name), exclude)
