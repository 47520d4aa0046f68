"""Versioned SQL migrations: `migrations/NNNN_name.sql`, applied in order, each exactly once.

Applied versions are recorded in `schema_migrations` with a checksum, so an edited migration
that was already applied is refused instead of silently diverging. All pending migrations run
in one transaction under an advisory lock: concurrent `migrate` calls wait, then find nothing to do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources

from spotlight_nifi.failures.db import Db, transaction
from spotlight_nifi.failures.errors import FailureDBError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str = field(repr=False)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations() -> list[Migration]:
    """The packaged migrations in version order."""
    found = []
    for entry in resources.files("spotlight_nifi.failures").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(match.group(1), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(db: Db) -> list[str]:
    """Apply pending migrations; returns the names applied now (empty when up to date)."""
    with transaction(db) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('spotlight_nifi.failures.migrate'))")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
        done = []
        for migration in migrations():
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise FailureDBError(
                        f"migration `{migration.name}` changed after it was applied: "
                        "add a new migration file instead of editing an applied one"
                    )
                continue
            conn.execute(migration.sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
            done.append(migration.name)
    return done
