"""Spark (a standalone master and its workers) and Airflow (scheduler, webserver, metadata DB).

Airflow's metadata DB URL holds a password, so no rendered file spells it: `airflow.sh` builds it
from its parts in the container (the password URL-quoted) before it runs the Airflow command.
"""

from __future__ import annotations

from spotlight_nifi.infra.spec import SCRIPTS, InfraConfig, Port, Service, Target, Task, tcp_probe

SPARK_CLASS = "/opt/spark/bin/spark-class"
AIRFLOW_SCRIPT = f"{SCRIPTS}/airflow.sh"
AIRFLOW_INIT_SCRIPT = f"{SCRIPTS}/airflow-init.sh"

_AIRFLOW = """#!/bin/sh
# Builds Airflow's metadata DB URL from its parts (the password URL-quoted, never in a file),
# then runs the Airflow command given as arguments.
set -eu
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(python -c 'import os, urllib.parse as u; e = os.environ; print("postgresql+psycopg2://" + u.quote(e["AIRFLOW_DB_USER"], safe="") + ":" + u.quote(e["AIRFLOW_DB_PASSWORD"], safe="") + "@" + e["AIRFLOW_DB_HOST"] + "/" + e["AIRFLOW_DB_NAME"])')"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
exec airflow "$@"
"""

_AIRFLOW_INIT = """#!/bin/sh
# Migrates Airflow's metadata DB and creates the admin user (again on every start: both are idempotent).
set -eu
sh /opt/spotlight/airflow.sh db migrate
sh /opt/spotlight/airflow.sh users create --role Admin --username "$AIRFLOW_ADMIN_USERNAME" \\
  --password "$AIRFLOW_ADMIN_PASSWORD" --firstname Airflow --lastname Admin --email "$AIRFLOW_ADMIN_USERNAME@localhost"
"""


def spark_master_port(config: InfraConfig) -> Port:
    return Port("rpc", config.port("SPARK_MASTER_PORT"), 7077)


def spark_master(config: InfraConfig) -> Service:
    return Service(
        Task("spark-master", config["SPARK_IMAGE"],
             command=(SPARK_CLASS, "org.apache.spark.deploy.master.Master", "--port", "7077", "--webui-port", "8080"),
             env={"SPARK_NO_DAEMONIZE": "true"}, volumes={"recovery": "/opt/spark/recovery"}),
        ports=(Port("ui", config.port("SPARK_UI_PORT"), 8080, "/"), spark_master_port(config)),
        healthcheck=tcp_probe(7077), memory_mb=1024, cpu_mhz=500,
    )


def spark_worker(config: InfraConfig, target: Target) -> Service:
    """`SPARK_WORKERS` workers; on Nomad each announces its client's address, so the master and
    drivers reach it across machines."""
    ui = Port("ui", 8081, 8081, "/", published=False)
    rpc = Port("rpc", 7078, 7078, published=False)
    env = {"SPARK_NO_DAEMONIZE": "true", "SPARK_WORKER_CORES": config["SPARK_WORKER_CORES"],
           "SPARK_WORKER_MEMORY": config["SPARK_WORKER_MEMORY"], "SPARK_WORKER_PORT": "7078"}
    if target.kind == "nomad":
        env["SPARK_LOCAL_HOSTNAME"] = target.self_host("spark-worker", rpc)
    return Service(
        Task("spark-worker", config["SPARK_IMAGE"],
             command=(SPARK_CLASS, "org.apache.spark.deploy.worker.Worker", "--webui-port", "8081",
                      f"spark://{target.peer('spark-master', spark_master_port(config))}"),
             env=env, volumes={"work": "/opt/spark/work"}),
        ports=(ui, rpc), healthcheck=tcp_probe(8081), memory_mb=2048, cpu_mhz=1000,
        after=("spark-master",), count=config.count("SPARK_WORKERS"),
    )


def airflow_db(config: InfraConfig) -> Service:
    return Service(
        Task("airflow-db", config["POSTGRES_IMAGE"], env={
            "POSTGRES_USER": config["AIRFLOW_DB_USER"], "POSTGRES_DB": config["AIRFLOW_DB_NAME"],
        }, secrets={"POSTGRES_PASSWORD": "AIRFLOW_DB_PASSWORD"}, volumes={"data": "/var/lib/postgresql/data"}),
        ports=(Port("db", config.port("AIRFLOW_DB_PORT"), 5432, published=False),),
        healthcheck=("CMD", "pg_isready", "--host", "127.0.0.1", "--username", config["AIRFLOW_DB_USER"]),
        memory_mb=512, cpu_mhz=500,
    )


def _airflow_task(config: InfraConfig, target: Target, name: str, command: tuple[str, ...], *,
                  env: dict[str, str] | None = None, secrets: dict[str, str] | None = None,
                  files: dict[str, str] | None = None, volumes: dict[str, str] | None = None) -> Task:
    """An Airflow container: `command` runs under `sh` with the metadata DB's parts in its environment."""
    db = Port("db", config.port("AIRFLOW_DB_PORT"), 5432)
    return Task(name, config["AIRFLOW_IMAGE"], entrypoint=("sh",), command=command, env={
        "AIRFLOW_DB_USER": config["AIRFLOW_DB_USER"],
        "AIRFLOW_DB_NAME": config["AIRFLOW_DB_NAME"],
        "AIRFLOW_DB_HOST": target.peer("airflow-db", db),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        **(env or {}),
    }, secrets={"AIRFLOW_DB_PASSWORD": "AIRFLOW_DB_PASSWORD", "AIRFLOW__CORE__FERNET_KEY": "AIRFLOW_FERNET_KEY",
                "AIRFLOW__WEBSERVER__SECRET_KEY": "AIRFLOW_WEBSERVER_SECRET_KEY", **(secrets or {})},
        volumes=volumes or {}, files={AIRFLOW_SCRIPT: _AIRFLOW, **(files or {})})


def airflow_scheduler(config: InfraConfig, target: Target) -> Service:
    """The scheduler (LocalExecutor: it runs the tasks too); `airflow-init` migrates the DB first."""
    init = _airflow_task(config, target, "airflow-init", (AIRFLOW_INIT_SCRIPT,),
                         env={"AIRFLOW_ADMIN_USERNAME": config["AIRFLOW_ADMIN_USERNAME"]},
                         secrets={"AIRFLOW_ADMIN_PASSWORD": "AIRFLOW_ADMIN_PASSWORD"},
                         files={AIRFLOW_INIT_SCRIPT: _AIRFLOW_INIT})
    return Service(
        _airflow_task(config, target, "airflow-scheduler", (AIRFLOW_SCRIPT, "scheduler"),
                      env={"AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True"},
                      volumes={"dags": "/opt/airflow/dags", "logs": "/opt/airflow/logs"}),
        ports=(Port("health", 8974, 8974, "/health", published=False),),
        healthcheck=("CMD", "curl", "--fail", "--silent", "http://127.0.0.1:8974/health"),
        memory_mb=1024, cpu_mhz=1000, after=("airflow-db",), init=init, init_after=("airflow-db",),
    )


def airflow_webserver(config: InfraConfig, target: Target) -> Service:
    return Service(
        _airflow_task(config, target, "airflow-webserver", (AIRFLOW_SCRIPT, "webserver")),
        ports=(Port("http", config.port("AIRFLOW_PORT"), 8080, "/health"),),
        healthcheck=("CMD", "curl", "--fail", "--silent", "http://127.0.0.1:8080/health"),
        memory_mb=1024, cpu_mhz=500, after=("airflow-scheduler",),
    )
