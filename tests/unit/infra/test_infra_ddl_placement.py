"""`infer --tier-after` and distributed mode: the DDL that places a table's rows (spotlight_nifi.infer.placement).

The real engine runs these statements in test_infra_clickhouse_engine.py; here, the text and the errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.cli import main
from spotlight_nifi.errors import InferenceError
from spotlight_nifi.infer import infer_table
from spotlight_nifi.infer.placement import altered_on_cluster, clustered, interval, place, tiered
from tests.unit.infra.conftest import ROOT

RECORDS = [{"id": 1, "kind": "push", "at": "2024-05-01T10:00:00Z"}, {"id": 2, "kind": "pull", "at": "2024-05-02T10:00:00Z"}]


@pytest.mark.parametrize(("after", "expected"), [("30d", "INTERVAL 30 DAY"), ("12h", "INTERVAL 12 HOUR"),
                                                 ("2w", "INTERVAL 2 WEEK"), (" 7d ", "INTERVAL 7 DAY")])
def test_ages_become_intervals(after: str, expected: str) -> None:
    assert interval(after) == expected


@pytest.mark.parametrize("after", ["30", "0d", "30 days", "1m", "-1d"])
def test_an_age_that_is_not_one_names_the_table(after: str) -> None:
    inferred = infer_table(RECORDS, "events", storage_policy="tiered")
    with pytest.raises(InferenceError, match=rf"table `events`: `{after.strip()}` is not an age: use a number and h, d or w"):
        tiered("events", inferred.create_sql, inferred.columns, after)


def test_tiering_adds_the_ttl_move_before_the_settings() -> None:
    inferred = infer_table(RECORDS, "events", storage_policy="tiered")
    sql = tiered("events", inferred.create_sql, inferred.columns, "30d")
    assert "\nTTL `at` + INTERVAL 30 DAY TO VOLUME 'cold'\nSETTINGS " in sql
    assert sql.replace("TTL `at` + INTERVAL 30 DAY TO VOLUME 'cold'\n", "") == inferred.create_sql


def test_tiering_needs_a_time_column_and_the_storage_policy() -> None:
    untimed = infer_table([{"id": 1}], "counts", storage_policy="tiered")
    with pytest.raises(InferenceError, match="table `counts`: `--tier-after` needs a non-nullable time column"):
        tiered("counts", untimed.create_sql, untimed.columns, "30d")
    unplaced = infer_table(RECORDS, "events")
    with pytest.raises(InferenceError, match="set `CLICKHOUSE_STORAGE_POLICY`"):
        tiered("events", unplaced.create_sql, unplaced.columns, "30d")


def test_a_cluster_gets_a_replicated_local_table_and_a_distributed_one_in_front() -> None:
    inferred = infer_table(RECORDS, "events", storage_policy="tiered")
    local, front = clustered("events", inferred.create_sql, "spotlight")
    assert local.startswith("CREATE TABLE `events_local` ON CLUSTER `spotlight`\n(\n")
    assert "\nENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')\n" in local
    assert "SETTINGS replicated_deduplication_window = 10000, storage_policy = 'tiered'" in local
    assert front.splitlines()[:3] == [
        "CREATE TABLE `events` ON CLUSTER `spotlight`", "AS `events_local`",
        "ENGINE = Distributed('spotlight', currentDatabase(), 'events_local', cityHash64(`at`))"]
    assert front.splitlines()[3] == inferred.create_sql.splitlines()[-1]


def test_without_a_sort_key_rows_are_spread_at_random() -> None:
    inferred = infer_table([{"score": 1.5}], "scores")
    assert clustered("scores", inferred.create_sql, "c")[1].splitlines()[2].endswith(", rand())")


def test_place_is_the_plain_table_unless_asked() -> None:
    inferred = infer_table(RECORDS, "events", storage_policy="tiered")
    assert place("events", inferred.create_sql, inferred.columns) == [inferred.create_sql]
    assert len(place("events", inferred.create_sql, inferred.columns, tier_after="1d", cluster="c")) == 2


def test_infer_prints_the_tiered_distributed_ddl_for_a_clustered_server(monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str],
                                                                        tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("os.environ", {"CLICKHOUSE_URL": "http://clickhouse:8123", "CLICKHOUSE_CLUSTER": "spotlight",
                                       "CLICKHOUSE_STORAGE_POLICY": "tiered"})
    with pytest.raises(SystemExit) as done:
        main(["infer", str(ROOT / "examples" / "events.jsonl"), "--table", "events", "--tier-after", "30d"])
    assert done.value.code in (0, None)
    out = capsys.readouterr().out
    assert "CREATE TABLE `events_local` ON CLUSTER `spotlight`" in out
    assert "TTL `created_at` + INTERVAL 30 DAY TO VOLUME 'cold'" in out
    assert "ENGINE = Distributed('spotlight'" in out


def test_a_change_on_a_cluster_reaches_every_node_and_a_mutation_only_the_rows() -> None:
    assert altered_on_cluster("events", "ALTER TABLE `events` ADD COLUMN `x` UInt8", "c") == [
        "ALTER TABLE `events_local` ON CLUSTER `c` ADD COLUMN `x` UInt8",
        "ALTER TABLE `events` ON CLUSTER `c` ADD COLUMN `x` UInt8"]
    assert altered_on_cluster("events", "ALTER TABLE `events` UPDATE `x` = 1 WHERE 1", "c") == [
        "ALTER TABLE `events_local` ON CLUSTER `c` UPDATE `x` = 1 WHERE 1"]
    assert altered_on_cluster("events", "ALTER TABLE `events` DROP COLUMN `x`", None) == [
        "ALTER TABLE `events` DROP COLUMN `x`"]
    with pytest.raises(ValueError, match="expected an ALTER TABLE of `events`"):
        altered_on_cluster("events", "ALTER TABLE `other` DROP COLUMN `x`", "c")
