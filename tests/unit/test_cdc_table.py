"""The ClickHouse table of a captured table, and which source schema changes it follows."""

from __future__ import annotations

import dataclasses

import pytest

from spotlight_nifi.cdc import table as cdc_table
from spotlight_nifi.cdc.errors import CdcError
from spotlight_nifi.cdc.source import SourceColumn, SourceTable
from spotlight_nifi.cdc.types import SourceType
from spotlight_nifi.infer.placement import altered_on_cluster, clustered

ID = SourceColumn("id", SourceType("int4", "integer"), True)
NAME = SourceColumn("name", SourceType("varchar", "character varying(10)"), False)
PRICE = SourceColumn("price", SourceType("numeric", "numeric(10,2)", (10 << 16 | 2) + 4), True)
SOURCE = SourceTable("public", "items", (ID, NAME, PRICE), ("id",))
EXISTING = cdc_table.columns(SOURCE)


def changed(*columns: SourceColumn, key: tuple[str, ...] = ("id",)) -> SourceTable:
    return SourceTable("public", "items", columns, key)


def test_the_table_replaces_rows_by_primary_key_with_the_lsn_as_version() -> None:
    assert cdc_table.create_sql("items", SOURCE) == (
        "CREATE TABLE IF NOT EXISTS `items`\n(\n"
        "    `id` Int32 COMMENT '{\"path\":[\"id\"]}',\n"
        "    `name` Nullable(String) CODEC(ZSTD(1)) COMMENT '{\"path\":[\"name\"]}',\n"
        "    `price` Decimal(10, 2) COMMENT '{\"path\":[\"price\"]}',\n"
        "    `_version` UInt64 COMMENT '{\"path\":[\"_version\"]}',\n"
        "    `_is_deleted` UInt8 COMMENT '{\"path\":[\"_is_deleted\"]}'\n)\n"
        "ENGINE = ReplacingMergeTree(`_version`, `_is_deleted`)\nORDER BY (`id`)\n"
        "SETTINGS non_replicated_deduplication_window = 10000")


def test_a_source_column_named_like_the_bookkeeping_is_refused() -> None:
    with pytest.raises(CdcError, match="has a column named `_version` or `_is_deleted`"):
        cdc_table.columns(changed(ID, SourceColumn("_version", SourceType("int8", "bigint"), True)))


def test_the_same_definition_needs_nothing() -> None:
    assert cdc_table.follow("items", EXISTING, ("id",), SOURCE) == cdc_table.Follow()


@pytest.mark.parametrize(("source", "statements"), [
    (changed(ID, NAME, PRICE, SourceColumn("extra", SourceType("int4", "integer"), False)),
     ["ALTER TABLE `items` ADD COLUMN `extra` Nullable(Int32) COMMENT '{\"path\":[\"extra\"]}'"]),
    (changed(SourceColumn("id", SourceType("int8", "bigint"), True), NAME, PRICE),
     ["ALTER TABLE `items` MODIFY COLUMN `id` Int64 COMMENT '{\"path\":[\"id\"]}'"]),
    (changed(ID, NAME, dataclasses.replace(PRICE, type=SourceType("numeric", "numeric(14,3)", (14 << 16 | 3) + 4))),
     ["ALTER TABLE `items` MODIFY COLUMN `price` Decimal(14, 3) COMMENT '{\"path\":[\"price\"]}'"]),
    (changed(ID, NAME, dataclasses.replace(PRICE, not_null=False)),
     ["ALTER TABLE `items` MODIFY COLUMN `price` Nullable(Decimal(10, 2)) COMMENT '{\"path\":[\"price\"]}'"]),
    (changed(ID, NAME),
     ["ALTER TABLE `items` MODIFY COLUMN `price` Nullable(Decimal(10, 2)) COMMENT '{\"path\":[\"price\"]}'"]),
    (changed(ID, dataclasses.replace(NAME, type=SourceType("varchar", "character varying(99)")), PRICE), []),
], ids=["column added", "int widened", "numeric widened", "NOT NULL dropped", "column dropped", "varchar longer"])
def test_safe_changes_are_followed(source: SourceTable, statements: list[str]) -> None:
    assert cdc_table.follow("items", EXISTING, ("id",), source) == cdc_table.Follow(statements)


@pytest.mark.parametrize(("source", "key", "reason"), [
    (changed(ID, dataclasses.replace(NAME, type=SourceType("int4", "integer")), PRICE), ("id",),
     "column `public.items.name` changed type: String → Int32 is not a safe widening"),
    (changed(ID, NAME, dataclasses.replace(PRICE, type=SourceType("numeric", "numeric(10,1)", (10 << 16 | 1) + 4))),
     ("id",), "column `public.items.price` changed type: Decimal(10, 2) → Decimal(10, 1) is not a safe widening"),
    (changed(ID, NAME, PRICE, SourceColumn("flag", SourceType("bool", "boolean"), True, backfilled=True)), ("id",),
     "column `public.items.flag` was added with a default that PostgreSQL wrote into existing rows without change events"),
    (changed(ID, NAME, PRICE, SourceColumn("at", SourceType("point", "point"), False)), ("id",),
     "column `public.items.at` is `point`, which has no ClickHouse mapping"),
    (changed(ID, NAME, PRICE, key=("id", "name")), ("id",),
     "the primary key of `public.items` is now (id, name), the ClickHouse table is ordered by (id)"),
], ids=["kind changed", "scale narrowed", "backfilled default", "unmappable", "new primary key"])
def test_unsafe_changes_are_refused_with_the_reason_and_the_fix(source: SourceTable, key: tuple[str, ...],
                                                                reason: str) -> None:
    plan = cdc_table.follow("items", EXISTING, key, source)
    assert plan.statements == [] and plan.refused is not None and plan.refused.startswith(reason), plan.refused
    assert plan.refused.endswith(("`--exclude-column at`", cdc_table.RESNAPSHOT))


def test_on_a_cluster_the_replacing_table_is_replicated_behind_a_distributed_one() -> None:
    local, front = clustered("items", cdc_table.create_sql("items", SOURCE), "spotlight")
    assert local.startswith("CREATE TABLE IF NOT EXISTS `items_local` ON CLUSTER `spotlight`\n")
    assert ("\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', "
            "`_version`, `_is_deleted`)\nORDER BY (`id`)\nSETTINGS replicated_deduplication_window = 10000") in local
    assert front == ("CREATE TABLE IF NOT EXISTS `items` ON CLUSTER `spotlight`\nAS `items_local`\n"
                     "ENGINE = Distributed('spotlight', currentDatabase(), 'items_local', cityHash64(`id`))")


def test_on_a_cluster_a_followed_change_alters_the_local_table_then_the_distributed_one() -> None:
    plan = cdc_table.follow("items", EXISTING, ("id",), changed(ID, NAME, PRICE, SourceColumn("note", SourceType("text", "text"), False)))
    assert [s for statement in plan.statements for s in altered_on_cluster("items", statement, "c")] == [
        "ALTER TABLE `items_local` ON CLUSTER `c` ADD COLUMN `note` Nullable(String) CODEC(ZSTD(1)) COMMENT '{\"path\":[\"note\"]}'",
        "ALTER TABLE `items` ON CLUSTER `c` ADD COLUMN `note` Nullable(String) CODEC(ZSTD(1)) COMMENT '{\"path\":[\"note\"]}'"]
    assert altered_on_cluster("items", plan.statements[0], None) == plan.statements
