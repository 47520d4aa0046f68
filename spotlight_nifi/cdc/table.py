"""The ClickHouse table of a captured PostgreSQL table, and following the source's schema changes.

The table is a `ReplacingMergeTree(_version, _is_deleted)` ordered by the primary key: each change
is inserted as a row whose version is its LSN, and `SELECT … FINAL` shows, per key, the row of the
latest change, without the deleted ones. An event replayed after a crash carries the same LSN, so
it collapses into the row it repeats.

`follow` compares the ClickHouse columns with the source's definition: a column added without a
backfilled default is added (Nullable ones read NULL for older rows, as PostgreSQL does); a type
widened in a way every stored value survives is modified; a dropped column becomes Nullable.
Anything else (a narrowed or changed type, a backfilled default, a new primary key, a type with no
mapping) is refused with the reason, because applying it would make older rows disagree with the
source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from spotlight_nifi.cdc.errors import CdcError
from spotlight_nifi.cdc.source import SourceTable
from spotlight_nifi.cdc.types import BOOKKEEPING, DELETED, VERSION
from spotlight_nifi.infer.ddl import (
    DEDUPLICATION_WINDOW,
    add_column,
    column_sql,
    modify_column,
)
from spotlight_nifi.infer.names import quote
from spotlight_nifi.infer.types import CHType, Column, nullable, widening

RESNAPSHOT = "capture the table again from a snapshot (`spotlight-nifi cdc remove`, drop the ClickHouse table, `cdc add`)"


def columns(source: SourceTable) -> list[Column]:
    """The ClickHouse columns: one per source column (read from the field of its name), then the bookkeeping."""
    data = [Column(name, typed.type, (name,)) for name, typed in source.mapping().items()]
    if {c.name for c in data} & set(BOOKKEEPING):
        raise CdcError(f"table `{source.qualified}` has a column named `{VERSION}` or `{DELETED}`, which the "
                       "ClickHouse table keeps for versions: rename it, or leave it out with `--exclude-column`")
    return data + [Column(name, typ, (name,)) for name, typ in BOOKKEEPING.items()]


def create_sql(table: str, source: SourceTable) -> str:
    """CREATE TABLE for the captured table (IF NOT EXISTS: `cdc add` may run again)."""
    lines = ",\n".join("    " + column_sql(c) for c in columns(source))
    return (f"CREATE TABLE IF NOT EXISTS {quote(table)}\n(\n{lines}\n)\n"
            f"ENGINE = ReplacingMergeTree({quote(VERSION)}, {quote(DELETED)})\n"
            f"ORDER BY ({', '.join(quote(k) for k in source.primary_key)})\n"
            f"SETTINGS non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}")


@dataclass
class Follow:
    """The statements that bring the ClickHouse table to the source's definition, or why it cannot be."""

    statements: list[str] = field(default_factory=list)
    refused: str | None = None


def _decimal_widens(old: CHType, new: CHType) -> bool:
    """Decimal(p, s) → Decimal(p', s') keeps every value when neither integer nor fractional digits shrink."""
    if old.name != "Decimal" or new.name != "Decimal":
        return False
    (p, s), (p2, s2) = old.args, new.args
    return s2 >= s and p2 - s2 >= p - s  # type: ignore[operator]


def _change(old: CHType, new: CHType) -> str | None:
    """None when ClickHouse can MODIFY `old` into `new` keeping every stored value."""
    if _decimal_widens(old.inner(), new.inner()) and (new.nullable or not old.nullable):
        return None
    return widening(old, new)


def follow(table: str, existing: Sequence[Column], sorting_key: Sequence[str], source: SourceTable) -> Follow:
    """The plan from `existing` (the ClickHouse table) to `source`; applied whole or not at all."""
    plan = Follow()
    if tuple(sorting_key) != source.primary_key:
        plan.refused = (f"the primary key of `{source.qualified}` is now ({', '.join(source.primary_key)}), the "
                        f"ClickHouse table is ordered by ({', '.join(sorting_key)}): {RESNAPSHOT}")
        return plan
    try:
        wanted = {c.name: c for c in columns(source)}
    except CdcError as error:
        plan.refused = str(error)
        return plan
    have = {c.name: c for c in existing}
    backfilled = {c.name for c in source.columns if c.backfilled}
    for name, column in wanted.items():
        old = have.get(name)
        if old is None:
            if name in backfilled:
                plan.refused = (f"column `{source.qualified}.{name}` was added with a default that PostgreSQL wrote "
                                f"into existing rows without change events: {RESNAPSHOT}")
                return plan
            plan.statements.append(add_column(table, column))
        elif old.type != column.type:
            why = _change(old.type, column.type)
            if why is not None:
                plan.refused = f"column `{source.qualified}.{name}` changed type: {why}; {RESNAPSHOT}"
                return plan
            plan.statements.append(modify_column(table, column))
    for name, old in have.items():
        if name not in wanted and not old.type.nullable:
            plan.statements.append(modify_column(table, Column(name, nullable(old.type), old.path)))
    return plan
