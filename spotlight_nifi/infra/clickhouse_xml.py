"""ClickHouse and ClickHouse Keeper configuration files (config.d XML), as pure text.

Storage: the storage policy `CLICKHOUSE_STORAGE_POLICY` keeps new parts on the node's local disk
(volume `hot`) and moves them to MinIO (volume `cold`, an S3 disk behind a local read cache) when
a table's `TTL … TO VOLUME 'cold'` says so, or when the local disk is fuller than `move_factor`.
Each node writes under its own prefix in the data bucket (no zero-copy replication: every replica
keeps its own copy), and backs up to its own prefix of the cold-backup bucket (`BACKUP … TO
Disk('backups', …)`). Credentials come from the container's environment (`from_env`), never
from the file. Every node uses Keeper and has macros; in a cluster it also gets `remote_servers`
with the inter-server secret (from the environment too).
"""

from __future__ import annotations

from dataclasses import dataclass

HOT_VOLUME = "hot"
COLD_VOLUME = "cold"
BACKUP_DISK = "backups"
KEEPER_CLIENT_PORT = 9181
KEEPER_RAFT_PORT = 9234
KEEPER_CONTROL_PORT = 9182


@dataclass(frozen=True)
class Storage:
    """Where a node's S3 disks live: MinIO's address and the buckets, from `.env`."""

    minio: str
    data_bucket: str
    backup_bucket: str
    policy: str
    move_factor: str
    cache_size: str


def _s3_disk(name: str, endpoint: str) -> str:
    return f"""            <{name}>
                <type>s3</type>
                <endpoint>{endpoint}</endpoint>
                <access_key_id from_env="CLICKHOUSE_S3_ACCESS_KEY_ID"/>
                <secret_access_key from_env="CLICKHOUSE_S3_SECRET_ACCESS_KEY"/>
                <metadata_path>/var/lib/clickhouse/disks/{name}/</metadata_path>
            </{name}>
"""


def storage_xml(storage: Storage, node: str) -> str:
    """Disks, the tiered policy, the backup disk, and the part log Superset's dashboard reads."""
    data = _s3_disk("s3", f"http://{storage.minio}/{storage.data_bucket}/data/{node}/")
    backups = _s3_disk(BACKUP_DISK, f"http://{storage.minio}/{storage.backup_bucket}/{node}/")
    return f"""<clickhouse>
    <storage_configuration>
        <disks>
{data}            <s3_cache>
                <type>cache</type>
                <disk>s3</disk>
                <path>s3_cache/</path>
                <max_size>{storage.cache_size}</max_size>
            </s3_cache>
{backups}        </disks>
        <policies>
            <{storage.policy}>
                <volumes>
                    <{HOT_VOLUME}>
                        <disk>default</disk>
                    </{HOT_VOLUME}>
                    <{COLD_VOLUME}>
                        <disk>s3_cache</disk>
                    </{COLD_VOLUME}>
                </volumes>
                <move_factor>{storage.move_factor}</move_factor>
            </{storage.policy}>
        </policies>
    </storage_configuration>
    <backups>
        <allowed_disk>{BACKUP_DISK}</allowed_disk>
    </backups>
    <part_log>
        <database>system</database>
        <table>part_log</table>
        <flush_interval_milliseconds>7500</flush_interval_milliseconds>
    </part_log>
</clickhouse>
"""


@dataclass(frozen=True)
class Cluster:
    """A sharded, replicated cluster: `shards` lists each shard's replicas as `(host, native port)`."""

    name: str
    shards: tuple[tuple[tuple[str, int | str], ...], ...]


def coordination_xml(keepers: tuple[tuple[str, int | str], ...], shard: int, replica: str) -> str:
    """Keeper as this node's coordination service, and its macros (`{shard}`, `{replica}`).

    A single node has them too, so replicated tables and the move to a cluster need no new service.
    """
    nodes = "".join(f"        <node>\n            <host>{host}</host>\n            <port>{port}</port>\n        </node>\n"
                    for host, port in keepers)
    return f"""<clickhouse>
    <zookeeper>
{nodes}    </zookeeper>
    <macros>
        <shard>{shard}</shard>
        <replica>{replica}</replica>
    </macros>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
</clickhouse>
"""


def cluster_xml(cluster: Cluster) -> str:
    """`remote_servers`: the cluster `ON CLUSTER` DDL and `Distributed` tables name; nodes
    authenticate to each other with the inter-server secret."""
    shards = "".join(
        "            <shard>\n                <internal_replication>true</internal_replication>\n"
        + "".join(f"                <replica>\n                    <host>{host}</host>\n"
                  f"                    <port>{port}</port>\n                </replica>\n" for host, port in replicas)
        + "            </shard>\n"
        for replicas in cluster.shards)
    return f"""<clickhouse>
    <remote_servers>
        <{cluster.name}>
            <secret from_env="CLICKHOUSE_CLUSTER_SECRET"/>
{shards}        </{cluster.name}>
    </remote_servers>
</clickhouse>
"""


def keeper_xml(server_id: int, servers: tuple[tuple[int, str], ...]) -> str:
    """A Keeper node: client port, readiness endpoint, and the Raft group `(id, host)` it belongs to."""
    raft = "".join(f"            <server>\n                <id>{number}</id>\n                <hostname>{host}</hostname>\n"
                   f"                <port>{KEEPER_RAFT_PORT}</port>\n            </server>\n" for number, host in servers)
    return f"""<clickhouse>
    <listen_host>0.0.0.0</listen_host>
    <logger>
        <level>information</level>
        <console>1</console>
    </logger>
    <keeper_server>
        <tcp_port>{KEEPER_CLIENT_PORT}</tcp_port>
        <server_id>{server_id}</server_id>
        <log_storage_path>/var/lib/clickhouse-keeper/coordination/log</log_storage_path>
        <snapshot_storage_path>/var/lib/clickhouse-keeper/coordination/snapshots</snapshot_storage_path>
        <http_control>
            <port>{KEEPER_CONTROL_PORT}</port>
            <readiness>
                <endpoint>/ready</endpoint>
            </readiness>
        </http_control>
        <raft_configuration>
{raft}        </raft_configuration>
    </keeper_server>
</clickhouse>
"""
