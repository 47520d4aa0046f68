"""Connections to the failure DB, with errors that name the database and never its password."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict

from spotlight_nifi.failures.errors import FailureDBError

Db = str | psycopg.Connection


def describe(dsn: str) -> str:
    """`user@host:port/dbname` from a DSN, for messages."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the given DSN"
    return f"{parts.get('user', '')}@{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def connect(dsn: str) -> psycopg.Connection:
    """Open a connection, or raise an error that says which database and how to fix it."""
    try:
        return psycopg.connect(dsn, connect_timeout=10)
    except psycopg.ProgrammingError as error:
        raise FailureDBError(f"the failure DB DSN (`--dsn` or `FAILURE_DB_DSN`) is not a valid libpq DSN: {error}") from None
    except psycopg.OperationalError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FailureDBError(
            f"cannot connect to the failure DB `{describe(dsn)}`: {first}; check `--dsn` or `FAILURE_DB_DSN` "
            "(`spotlight-nifi dev env` prints the local one)"
        ) from None


@contextmanager
def transaction(db: Db) -> Iterator[psycopg.Connection]:
    """One transaction on `db`: a DSN is opened and closed here, a connection is borrowed."""
    try:
        if isinstance(db, str):
            with connect(db) as conn, conn.transaction():
                yield conn
            return
        with db.transaction():
            yield db
    except psycopg.errors.UndefinedTable as error:
        raise FailureDBError(
            f"the failure DB has no table {error.diag.message_primary or ''}: "
            "run `spotlight-nifi failures migrate` first"
        ) from None
    except psycopg.errors.UndefinedFunction as error:
        raise FailureDBError(
            f"the failure DB is not up to date ({error.diag.message_primary or 'a function is missing'}): "
            "run `spotlight-nifi failures migrate` first"
        ) from None
