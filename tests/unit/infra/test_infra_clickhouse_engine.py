"""The rendered ClickHouse configuration and the tiered / distributed DDL, run by the real engine
(chdb, in a subprocess of its own: the embedded engine takes one configuration per process).

What the embedded engine checks: the storage policy as rendered (disks, cache layer, volumes,
move_factor, backup disk, part log), the TTL move that puts old parts on the cold volume, a
backup to the backup disk, the Superset dataset's SQL, the cluster's `remote_servers` and macros,
and, against a real ZooKeeper (what ClickHouse Keeper implements), the ReplicatedMergeTree and
Distributed tables. What it cannot: the S3 disks' traffic to MinIO (their endpoints are only
parsed; a second run puts the same disks on local object storage), inserts into a replicated
table (chdb starts no replication threads: its replicas stay read-only), and `ON CLUSTER`
execution (chdb runs no distributed DDL queue; those statements are parsed with EXPLAIN AST and
run without the clause).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import yaml

from spotlight_nifi.cdc import table as cdc_table
from spotlight_nifi.cdc.source import SourceColumn, SourceTable
from spotlight_nifi.cdc.types import SourceType
from spotlight_nifi.config import Settings
from spotlight_nifi.infer import infer_table
from spotlight_nifi.infer.placement import altered_on_cluster, clustered, place
from spotlight_nifi.infra import render_compose
from tests.unit.infra.conftest import ROOT

_RUNNER = """
import json, os, sys
from chdb import session
path, config, statements = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
db = session.Session(f"{path}?config-file={config}")
results = []
for sql in statements:
    try:
        results.append({"ok": db.query(sql, "JSONCompact").bytes().decode()})
    except Exception as error:
        results.append({"error": str(error)})
print(json.dumps(results), flush=True)
os._exit(0)
"""
"""`os._exit`: chdb can hang in its exit handlers once replicated tables exist."""


def _engine(tmp_path: Path, config: str, statements: list[str], env: dict[str, str] | None = None) -> list[dict[str, str]]:
    (tmp_path / "config.xml").write_text(config)
    done = subprocess.run([sys.executable, "-c", _RUNNER, str(tmp_path / "data"), str(tmp_path / "config.xml")],
                          input=json.dumps(statements), capture_output=True, text=True, timeout=180,
                          env={"PATH": "/usr/bin:/bin", **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    results: list[dict[str, str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def _rows(result: dict[str, str]) -> list[list[object]]:
    assert "ok" in result, result.get("error")
    return json.loads(result["ok"])["data"] if result["ok"] else []


def _configs(settings: Settings, node: str) -> dict[str, str]:
    document = yaml.safe_load(render_compose(settings))
    return {entry["target"].rsplit("/", 1)[1]: document["configs"][entry["source"]]["content"].replace("$$", "$")
            for entry in document["services"][node]["configs"]}


def _merged(*files: str) -> str:
    """config.d files as one configuration file (chdb reads one)."""
    bodies = [re.sub(r"^<clickhouse>\n|</clickhouse>\n$", "", text) for text in files]
    return "<clickhouse>\n" + "".join(bodies) + "</clickhouse>\n"


def _local_paths(config: str, tmp_path: Path) -> str:
    return config.replace("/var/lib/clickhouse/", f"{tmp_path}/var/")


def _events_ddl(*, tier_after: str | None = None, cluster: str | None = None) -> list[str]:
    records = [orjson.loads(line) for line in (ROOT / "examples" / "events.jsonl").read_bytes().splitlines() if line]
    inferred = infer_table(records, "events", storage_policy="tiered")
    return place("events", inferred.create_sql, inferred.columns, tier_after=tier_after, cluster=cluster)


def test_the_rendered_storage_policy_loads_with_its_s3_disks(example: Settings, tmp_path: Path) -> None:
    storage = _configs(example, "clickhouse")["storage.xml"].replace(
        "</metadata_path>", "</metadata_path>\n                <skip_access_check>true</skip_access_check>")
    results = _engine(tmp_path, _local_paths(storage, tmp_path), [
        "SELECT policy_name, volume_name, disks, move_factor FROM system.storage_policies WHERE policy_name = 'tiered' "
        "ORDER BY volume_priority",
        "SELECT name, type, object_storage_type FROM system.disks ORDER BY name",
        *_events_ddl(tier_after="30d"),
        "INSERT INTO events (event_id, kind, created_at, actor__login, actor__id, repo, client_ip, stars, score, labels, draft) "
        "VALUES (generateUUIDv4(), 'push', now(), 'ada', 1, 'r', '10.0.0.1', 1, 0.5, [], false)",
        "SELECT disk_name, rows FROM system.parts WHERE table = 'events' AND active",
    ], env={"CLICKHOUSE_S3_ACCESS_KEY_ID": "spotlight", "CLICKHOUSE_S3_SECRET_ACCESS_KEY": "not-used"})
    assert _rows(results[0]) == [["tiered", "hot", ["default"], 0.1], ["tiered", "cold", ["s3_cache"], 0.1]]
    assert _rows(results[1]) == [["backups", "ObjectStorage", "S3"], ["default", "Local", "None"],
                                 ["s3", "ObjectStorage", "S3"], ["s3_cache", "ObjectStorage", "S3"]]
    assert _rows(results[2]) == []
    assert _rows(results[4]) == [["default", 1]]


def test_ttl_moves_old_parts_to_the_cold_volume_and_backups_go_to_their_disk(example: Settings, tmp_path: Path) -> None:
    storage = _local_paths(_configs(example, "clickhouse")["storage.xml"], tmp_path)
    storage = re.sub(r"<type>s3</type>\s*<endpoint>http://[^/]+/([^<]+)</endpoint>\s*<access_key_id [^>]+>\s*<secret_access_key [^>]+>",
                     rf"<type>object_storage</type><object_storage_type>local_blob_storage</object_storage_type>"
                     rf"<path>{tmp_path}/minio/\1</path>", storage)
    insert = ("INSERT INTO events (event_id, kind, created_at, actor__login, actor__id, repo, client_ip, stars, score, labels, "
              "draft) VALUES (generateUUIDv4(), 'push', now() - INTERVAL {age} DAY, 'ada', 1, 'r', '10.0.0.1', 1, 0.5, [], false)")
    dataset = yaml.safe_load(_configs(example, "superset")["rows_ingested.yaml"])
    results = _engine(tmp_path, storage, [
        *_events_ddl(tier_after="30d"),
        insert.format(age=1),
        insert.format(age=60),
        "SELECT disk_name, rows FROM system.parts WHERE table = 'events' AND active ORDER BY disk_name",
        "BACKUP TABLE events TO Disk('backups', 'events-1')",
        "SYSTEM FLUSH LOGS",
        f"SELECT table, sum(rows) FROM ({dataset['sql'].replace(chr(39) + 'spotlight' + chr(39), 'currentDatabase()')}) "
        "GROUP BY table",
    ])
    assert _rows(results[3]) == [["default", 1], ["s3_cache", 1]]
    assert _rows(results[4])[0][1] == "BACKUP_CREATED"
    assert list((tmp_path / "minio" / "clickhouse-backups" / "clickhouse").rglob("*")), "nothing in the backup bucket"
    assert list((tmp_path / "minio" / "clickhouse" / "data" / "clickhouse").rglob("*")), "nothing in the data bucket"
    assert _rows(results[6]) == [["events", 2]]


def test_a_cluster_node_accepts_the_replicated_and_distributed_tables(cluster: Settings, zookeeper: int,
                                                                     tmp_path: Path) -> None:
    configs = _configs(cluster, "clickhouse-3")
    keeper = re.sub(r"<host>clickhouse-keeper-\d</host>\s*<port>9181</port>",
                    f"<host>127.0.0.1</host><port>{zookeeper}</port>", configs["keeper.xml"])
    replicated, distributed = _events_ddl(tier_after="30d", cluster="spotlight")
    without_cluster = [statement.replace(" ON CLUSTER `spotlight`", "") for statement in (replicated, distributed)]
    results = _engine(tmp_path, _local_paths(_merged(configs["cluster.xml"], keeper, configs["storage.xml"]), tmp_path).replace(
        "</metadata_path>", "</metadata_path><skip_access_check>true</skip_access_check>"), [
        "SELECT cluster, shard_num, replica_num, host_name, port FROM system.clusters WHERE cluster = 'spotlight' "
        "ORDER BY shard_num, replica_num",
        "SELECT macro, substitution FROM system.macros ORDER BY macro",
        f"EXPLAIN AST {replicated}",
        f"EXPLAIN AST {distributed}",
        *without_cluster,
        "SELECT zookeeper_path, replica_name FROM system.replicas WHERE table = 'events_local'",
        "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN ('events', 'events_local') "
        "ORDER BY name",
        "SELECT count() FROM system.columns WHERE table = 'events' AND comment LIKE '{\"path\"%'",
    ], env={"CLICKHOUSE_S3_ACCESS_KEY_ID": "spotlight", "CLICKHOUSE_S3_SECRET_ACCESS_KEY": "x",
            "CLICKHOUSE_CLUSTER_SECRET": "not-used"})
    assert _rows(results[0]) == [["spotlight", s, r, f"clickhouse-{2 * (s - 1) + r}", 9000] for s in (1, 2) for r in (1, 2)]
    assert _rows(results[1]) == [["replica", "clickhouse-3"], ["shard", "2"]]
    assert all("error" not in result for result in results[2:6]), results[2:6]
    assert _rows(results[6]) == [["/clickhouse/tables/2/default/events_local", "clickhouse-3"]]
    (_, front), (_, local) = _rows(results[7])
    assert front == "Distributed('spotlight', 'default', 'events_local', cityHash64(kind, actor__login, created_at))"
    assert "TTL created_at + toIntervalDay(30) TO VOLUME 'cold'" in local and "storage_policy = 'tiered'" in local
    assert _rows(results[8]) == [[11]]


def test_a_cluster_node_accepts_a_captured_tables_replicated_ddl_and_its_followed_change(
        cluster: Settings, zookeeper: int, tmp_path: Path) -> None:
    """`cdc add` and `cdc apply` on a cluster: the ReplacingMergeTree keeps its version and is-deleted
    columns once replicated, and a followed column is added ON CLUSTER to both tables."""
    configs = _configs(cluster, "clickhouse-3")
    keeper = re.sub(r"<host>clickhouse-keeper-\d</host>\s*<port>9181</port>",
                    f"<host>127.0.0.1</host><port>{zookeeper}</port>", configs["keeper.xml"])
    key = SourceColumn("id", SourceType("int8", "bigint"), True)
    source = SourceTable("public", "orders", (key, SourceColumn("note", SourceType("text", "text"), False)), ("id",))
    creates = clustered("orders", cdc_table.create_sql("orders", source), "spotlight")
    grown = SourceTable("public", "orders", (*source.columns, SourceColumn("paid", SourceType("bool", "boolean"), False)),
                        ("id",))
    plan = cdc_table.follow("orders", cdc_table.columns(source), ("id",), grown)
    alters = [placed for statement in plan.statements for placed in altered_on_cluster("orders", statement, "spotlight")]
    results = _engine(tmp_path, _local_paths(_merged(configs["cluster.xml"], keeper, configs["storage.xml"]), tmp_path), [
        *(f"EXPLAIN AST {statement}" for statement in (*creates, *alters)),
        *(statement.replace(" ON CLUSTER `spotlight`", "") for statement in creates),
        "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name LIKE 'orders%' ORDER BY name",
    ], env={"CLICKHOUSE_S3_ACCESS_KEY_ID": "spotlight", "CLICKHOUSE_S3_SECRET_ACCESS_KEY": "x",
            "CLICKHOUSE_CLUSTER_SECRET": "not-used"})
    assert len(alters) == 2 and all("error" not in result for result in results[:-1]), results[:-1]
    (_, front), (_, local) = _rows(results[-1])
    assert front == "Distributed('spotlight', 'default', 'orders_local', cityHash64(id))"
    assert local.startswith("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/default/orders_local', '{replica}', "
                            "_version, _is_deleted) ORDER BY (id)")
