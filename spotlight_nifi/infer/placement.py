"""Where a table's rows live: tiered to MinIO after an age, and spread over a cluster.

Both wrap the CREATE TABLE that `ddl.create_table` writes (one clause per line), so inference
keeps one code path:

- `tiered` adds `TTL <time column> + INTERVAL n UNIT TO VOLUME 'cold'` before SETTINGS: parts
  whose rows are all older than that move to the storage policy's cold volume (the S3 disk on
  MinIO that `spotlight-nifi infra render` declares). The time column is the first non-nullable
  one, as for the partition suggestion; the table must use that policy (`CLICKHOUSE_STORAGE_POLICY`).
- `clustered` turns the table into `<table>_local`, a ReplicatedMergeTree on every node (its
  Keeper path by `{shard}`, one replica per node), and `<table>`, a Distributed table over them,
  both `ON CLUSTER`. Queries and the insert path keep using `<table>`. Rows go to a shard by a
  hash of the sort key, not at random, so a retried batch splits into the same per-shard blocks
  and each shard drops the copy by its `insert_deduplication_token`; a table without a sort key
  falls back to `rand()`, where a retry may duplicate rows on another shard. Any MergeTree engine
  keeps its parameters (a ReplacingMergeTree's version and is-deleted columns follow the Keeper path).
- `altered_on_cluster` turns an `ALTER TABLE <table>` of a clustered table into the same change on
  `<table>_local` and then on `<table>`, both `ON CLUSTER`, so every node's schema follows; a
  mutation (UPDATE, DELETE) touches rows, which only the local tables hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spotlight_nifi.errors import InferenceError
from spotlight_nifi.infer.names import literal, quote
from spotlight_nifi.infer.types import Column

COLD_VOLUME = "cold"
"""The volume `spotlight_nifi.infra.clickhouse_xml` declares on MinIO."""

_UNITS = {"h": "HOUR", "d": "DAY", "w": "WEEK"}
_TIME = {"DateTime64", "DateTime", "Date", "Date32"}


def interval(after: str) -> str:
    """`30d` → `INTERVAL 30 DAY` (units h, d, w)."""
    match = re.fullmatch(r"([1-9][0-9]*)([hdw])", after.strip())
    if not match:
        raise ValueError(f"`{after}` is not an age: use a number and h, d or w, such as `30d`")
    return f"INTERVAL {match[1]} {_UNITS[match[2]]}"


def _insert_before(sql: str, marker: str, clause: str) -> str:
    head, found, tail = sql.partition(f"\n{marker} ")
    if not found:
        raise ValueError(f"the CREATE TABLE has no `{marker}` line to place `{clause.split()[0]}` before")
    return f"{head}\n{clause}\n{marker} {tail}"


def tiered(table: str, sql: str, columns: Sequence[Column], after: str) -> str:
    """`sql` with a TTL moving parts older than `after` to the cold volume."""
    if "storage_policy = " not in sql:
        raise InferenceError(table, "`--tier-after` moves parts to the cold volume of a storage policy: set "
                                    "`CLICKHOUSE_STORAGE_POLICY` (`spotlight-nifi infra render` declares it)")
    times = [c for c in columns if c.type.name in _TIME and not c.type.nullable]
    if not times:
        raise InferenceError(table, "`--tier-after` needs a non-nullable time column to measure age by; "
                                    "the samples have none")
    try:
        clause = f"TTL {quote(times[0].name)} + {interval(after)} TO VOLUME {literal(COLD_VOLUME)}"
    except ValueError as error:
        raise InferenceError(table, str(error)) from None
    return _insert_before(sql, "SETTINGS", clause)


def _sharding_key(sql: str) -> str:
    match = re.search(r"^ORDER BY \((.+)\)$", sql, re.MULTILINE)
    return f"cityHash64({match[1]})" if match else "rand()"


def local_table(table: str, cluster: str | None) -> str:
    """The table that holds the rows (and the sort key): `<table>_local` on a cluster, else `table`."""
    return f"{table}_local" if cluster else table


def _replicated(match: re.Match[str]) -> str:
    keeper = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"
    return f"ENGINE = Replicated{match[1]}MergeTree({keeper}{', ' + match[2] if match[2] else ''})"


def clustered(table: str, sql: str, cluster: str) -> list[str]:
    """The replicated local table and the Distributed table in front of it, both ON CLUSTER `cluster`."""
    local = local_table(table, cluster)
    on = f"ON CLUSTER {quote(cluster)}"
    head = re.match(rf"CREATE TABLE (IF NOT EXISTS )?{re.escape(quote(table))}\n", sql)
    if head is None:
        raise ValueError(f"expected a CREATE TABLE of `{table}`")
    exists = head[1] or ""
    body = re.sub(r"^ENGINE = (\w*)MergeTree(?:\((.*)\))?$", _replicated, sql[head.end():], count=1, flags=re.MULTILINE)
    replicated = (f"CREATE TABLE {exists}{quote(local)} {on}\n" + body).replace(
        "non_replicated_deduplication_window", "replicated_deduplication_window")
    comment = re.search(r"^COMMENT '.*'$", sql, re.MULTILINE)
    distributed = (f"CREATE TABLE {exists}{quote(table)} {on}\nAS {quote(local)}\n"
                   f"ENGINE = Distributed({literal(cluster)}, currentDatabase(), {literal(local)}, {_sharding_key(sql)})")
    if comment:
        distributed += f"\n{comment[0]}"
    return [replicated, distributed]


def altered_on_cluster(table: str, alter: str, cluster: str | None) -> list[str]:
    """`alter` (an `ALTER TABLE <table> …`) as run where the table lives: as it is without a cluster,
    else on the replicated local table and then on the Distributed one, both ON CLUSTER."""
    head = f"ALTER TABLE {quote(table)} "
    if not alter.startswith(head):
        raise ValueError(f"expected an ALTER TABLE of `{table}`")
    if not cluster:
        return [alter]
    change = alter.removeprefix(head)
    on = f"ON CLUSTER {quote(cluster)}"
    local = f"ALTER TABLE {quote(local_table(table, cluster))} {on} {change}"
    return [local] if change.startswith(("UPDATE ", "DELETE ")) else [local, f"{head}{on} {change}"]


def place(table: str, sql: str, columns: Sequence[Column], *, tier_after: str | None = None,
          cluster: str | None = None) -> list[str]:
    """The statements that create `table`: tiered when asked, clustered when `.env` names a cluster."""
    if tier_after:
        sql = tiered(table, sql, columns, tier_after)
    return clustered(table, sql, cluster) if cluster else [sql]
