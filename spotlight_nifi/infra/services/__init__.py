"""The service table both renderers translate, assembled from `.env` in start order.

Each module holds one part of the platform; this one decides which parts run (ParadeDB only when
`PARADEDB_ENABLED`, as many Kafka, ClickHouse, Keeper and NiFi nodes as `.env` asks) and checks what the
renderers rely on: unique service names, and file names unique within a task (Nomad writes each
task's files into one `local/` directory).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from spotlight_nifi.infra.services import clickhouse, compute, nifi, storage, streaming, superset
from spotlight_nifi.infra.spec import InfraConfig, Service, Target


def services(config: InfraConfig, target: Target) -> tuple[Service, ...]:
    """The stack, in start order."""
    first = clickhouse.clickhouse_names(config)[0]
    stack = (
        storage.minio(config),
        *streaming.kafka_nodes(config, target),
        storage.postgres(config),
        *((storage.paradedb(config),) if config.flag("PARADEDB_ENABLED") else ()),
        *clickhouse.keepers(config, target),
        *clickhouse.clickhouse_nodes(config, target),
        streaming.kafka_connect(config, target),
        nifi.nifi_registry(config),
        *nifi.nifi_nodes(config, target, (*streaming.kafka_names(config), "postgres", first)),
        compute.spark_master(config),
        compute.spark_worker(config, target),
        compute.airflow_db(config),
        compute.airflow_scheduler(config, target),
        compute.airflow_webserver(config, target),
        superset.superset(config, target, first),
    )
    _check(stack)
    return stack


def _check(stack: tuple[Service, ...]) -> None:
    tasks = [task for service in stack for task in (service.task, service.init) if task is not None]
    names = [task.name for task in tasks]
    if len(names) != len(set(names)):
        raise ValueError(f"service names repeat: {sorted({name for name in names if names.count(name) > 1})}")
    for task in tasks:
        files = [PurePosixPath(path).name for path in task.files]
        if len(files) != len(set(files)):
            raise ValueError(f"task `{task.name}` has two files of the same name: {sorted(files)}")
