"""A PostgreSQL table's definition from its catalog: columns, types, NOT NULL, primary key.

`read_table` is the one place that asks PostgreSQL what a captured table looks like; `cdc add`
builds the ClickHouse table from it and `cdc apply` reads it again when events stop fitting, to
follow a schema change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from spotlight_nifi.cdc.errors import CdcError
from spotlight_nifi.cdc.types import Mapped, SourceType, mapped, unmappable
from spotlight_nifi.failures.db import describe


@dataclass(frozen=True)
class SourceColumn:
    name: str
    type: SourceType
    not_null: bool
    backfilled: bool = False
    """PostgreSQL filled the rows that existed when the column was added with a default, emitting no
    change for them (`pg_attribute.atthasmissing`)."""


@dataclass(frozen=True)
class SourceTable:
    schema: str
    name: str
    columns: tuple[SourceColumn, ...]
    primary_key: tuple[str, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def mapping(self) -> dict[str, Mapped]:
        """Each column's ClickHouse type and encoding; CdcError naming the first column without one."""
        found = {}
        for column in self.columns:
            typed = mapped(column.type, column.not_null)
            if typed is None:
                raise CdcError(unmappable(self.qualified, column.name, column.type))
            found[column.name] = typed
        return found


_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), coalesce(e.typname, t.typname), a.atttypmod,
       e.oid IS NOT NULL, coalesce(e.typtype, t.typtype) = 'e', a.attnotnull, a.atthasmissing
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
_PRIMARY_KEY = """
SELECT a.attname
FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %(table)s::regclass AND i.indisprimary
ORDER BY k.position
"""


def parse_name(text: str) -> tuple[str, str]:
    """`SCHEMA.TABLE` (or `TABLE`, in `public`) as its two parts."""
    parts = text.split(".")
    if len(parts) > 2 or not all(parts):
        raise CdcError(f"`{text}` is not a table name: give SCHEMA.TABLE, e.g. public.orders")
    return (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[0])


def connect(dsn: str) -> psycopg.Connection:
    """A connection to the source database, or an error naming it (never its password) and the fix."""
    try:
        return psycopg.connect(dsn, connect_timeout=10, autocommit=True)
    except psycopg.Error as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CdcError(f"cannot connect to the source database `{describe(dsn)}`: {first}; check `CDC_SOURCE_DSN`") from None


def read_table(conn: psycopg.Connection, schema: str, name: str, exclude: Sequence[str] = ()) -> SourceTable:
    """The table's definition without the `exclude`d columns; CdcError when it is missing or has no primary key."""
    qualified = f"{schema}.{name}"
    regclass = sql.Identifier(schema, name).as_string(conn)
    if conn.execute("SELECT to_regclass(%s)", (regclass,)).fetchone() == (None,):
        raise CdcError(f"table `{qualified}` does not exist in `{describe(conn.info.dsn)}`: check the name "
                       "(schema and table, case-sensitive)")
    rows = conn.execute(_COLUMNS, {"table": regclass}).fetchall()
    unknown = sorted(set(exclude) - {row[0] for row in rows})
    if unknown:
        raise CdcError(f"table `{qualified}` has no column `{unknown[0]}` to exclude")
    columns = tuple(SourceColumn(attname, SourceType(typname, display, typmod, array, enum), not_null, missing)
                    for attname, display, typname, typmod, array, enum, not_null, missing in rows
                    if attname not in exclude)
    key = tuple(row[0] for row in conn.execute(_PRIMARY_KEY, {"table": regclass}).fetchall())
    if not key:
        raise CdcError(f"table `{qualified}` has no primary key: ClickHouse keeps one row per key, so add one "
                       f"(`ALTER TABLE {qualified} ADD PRIMARY KEY (…)`); a table without one, even with "
                       "REPLICA IDENTITY FULL, cannot be captured")
    if set(key) & set(exclude):
        raise CdcError(f"table `{qualified}`: primary key column `{min(set(key) & set(exclude))}` cannot be excluded")
    return SourceTable(schema, name, columns, key)
