"""MinIO (the S3 storage), PostgreSQL (the failure DB) and ParadeDB (the optional PostgreSQL-based alternative)."""

from __future__ import annotations

from spotlight_nifi.infra.spec import SCRIPTS, InfraConfig, Port, Service, Target, Task

BUCKETS_SCRIPT = f"{SCRIPTS}/create-buckets.sh"

_BUCKETS = """#!/bin/sh
# Creates the MinIO buckets before ClickHouse starts (its S3 disks need them): raw source data,
# ClickHouse's data, and ClickHouse's cold backups. Idempotent, so every start may run it.
set -eu
mc alias set minio "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
for bucket in $BUCKETS; do
  mc mb --ignore-existing "minio/$bucket"
done
"""

_FAILURE_DB = """#!/bin/sh
# Creates the failure DB and its owning role on first start; the schema itself comes from the
# versioned migrations in spotlight_nifi/failures/migrations.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \\
  --set=db="$FAILURE_DB_NAME" --set=owner="$FAILURE_DB_USER" --set=password="$FAILURE_DB_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"owner";
SQL
"""


def minio_api(config: InfraConfig) -> Port:
    return Port("api", config.port("MINIO_API_PORT"), 9000, "/minio/health/live")


def buckets_init(config: InfraConfig, target: Target, name: str) -> Task:
    """The prestart task that creates every bucket (`name` is the task's name)."""
    buckets = " ".join(config[key] for key in ("MINIO_RAW_BUCKET", "CLICKHOUSE_S3_BUCKET", "CLICKHOUSE_BACKUP_BUCKET"))
    return Task(name, config["MINIO_MC_IMAGE"], entrypoint=("sh", BUCKETS_SCRIPT), env={
        "MINIO_URL": f"http://{target.peer('minio', minio_api(config))}",
        "MINIO_ROOT_USER": config["MINIO_ROOT_USER"],
        "BUCKETS": buckets,
    }, secrets={"MINIO_ROOT_PASSWORD": "MINIO_ROOT_PASSWORD"}, files={BUCKETS_SCRIPT: _BUCKETS})


def minio(config: InfraConfig) -> Service:
    return Service(
        Task("minio", config["MINIO_IMAGE"],
             command=("server", "/data", "--console-address", ":9001"),
             env={"MINIO_ROOT_USER": config["MINIO_ROOT_USER"]},
             secrets={"MINIO_ROOT_PASSWORD": "MINIO_ROOT_PASSWORD"},
             volumes={"data": "/data"}),
        ports=(minio_api(config), Port("console", config.port("MINIO_CONSOLE_PORT"), 9001)),
        healthcheck=("CMD", "mc", "ready", "local"), memory_mb=512, cpu_mhz=500,
    )


def postgres(config: InfraConfig) -> Service:
    return Service(
        Task("postgres", config["POSTGRES_IMAGE"], env={
            "POSTGRES_USER": config["POSTGRES_USER"],
            "FAILURE_DB_NAME": config["FAILURE_DB_NAME"],
            "FAILURE_DB_USER": config["FAILURE_DB_USER"],
        }, secrets={"POSTGRES_PASSWORD": "POSTGRES_PASSWORD", "FAILURE_DB_PASSWORD": "FAILURE_DB_PASSWORD"},
            volumes={"data": "/var/lib/postgresql/data"},
            files={"/docker-entrypoint-initdb.d/10-failure-db.sh": _FAILURE_DB}),
        ports=(Port("db", config.port("POSTGRES_PORT"), 5432),),
        healthcheck=("CMD", "pg_isready", "--host", "127.0.0.1", "--username", config["POSTGRES_USER"]),
        memory_mb=512, cpu_mhz=500,
    )


def paradedb(config: InfraConfig) -> Service:
    """PostgreSQL with ParadeDB's search and analytics extensions, to try beside ClickHouse."""
    return Service(
        Task("paradedb", config["PARADEDB_IMAGE"], env={
            "POSTGRES_USER": config["PARADEDB_USER"],
            "POSTGRES_DB": config["PARADEDB_DB"],
        }, secrets={"POSTGRES_PASSWORD": "PARADEDB_PASSWORD"}, volumes={"data": "/var/lib/postgresql"}),
        ports=(Port("db", config.port("PARADEDB_PORT"), 5432),),
        healthcheck=("CMD", "pg_isready", "--host", "127.0.0.1", "--username", config["PARADEDB_USER"]),
        memory_mb=1024, cpu_mhz=500,
    )
