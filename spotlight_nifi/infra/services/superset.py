"""Superset: reads ClickHouse and the failure DB, with the starter dashboard imported at every start."""

from __future__ import annotations

from spotlight_nifi.infra.spec import SCRIPTS, InfraConfig, Port, Service, Target, Task
from spotlight_nifi.infra.superset_bundle import ROOT, Sources, bundle

DRIVERS = ("clickhouse-connect", "psycopg2-binary")
"""What Superset reaches ClickHouse (its `clickhousedb` dialect) and PostgreSQL with; the image has neither."""

_START = f"""#!/bin/sh
# Adds the ClickHouse and PostgreSQL drivers, prepares Superset's metadata DB and admin user,
# imports the Spotlight dashboard and its connections (passwords put into the URIs from the
# environment, in a bundle deleted right after), then serves.
set -eu
uv pip install --quiet --target /app/pythonpath {' '.join(DRIVERS)}
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USERNAME" --password "$SUPERSET_ADMIN_PASSWORD" \\
  --firstname Superset --lastname Admin --email "$SUPERSET_ADMIN_USERNAME@localhost"
superset init
python - <<'PY'
import os, pathlib, urllib.parse, zipfile
root = pathlib.Path("{ROOT}")
with zipfile.ZipFile("/tmp/spotlight-dashboard.zip", "w") as archive:
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text()
        for key in ("CLICKHOUSE_PASSWORD", "FAILURE_DB_PASSWORD"):
            text = text.replace("<" + key + ">", urllib.parse.quote(os.environ[key], safe=""))
        archive.writestr("spotlight/" + path.relative_to(root).as_posix(), text)
PY
superset import-dashboards --path /tmp/spotlight-dashboard.zip --username "$SUPERSET_ADMIN_USERNAME"
rm /tmp/spotlight-dashboard.zip
exec /app/docker/entrypoints/run-server.sh
"""


def superset(config: InfraConfig, target: Target, clickhouse: str) -> Service:
    """`clickhouse` is the node Superset queries (the first one; in a cluster it reads every shard)."""
    sources = Sources(
        clickhouse=target.peer(clickhouse, Port("http", config.port("CLICKHOUSE_HTTP_PORT"), 8123)),
        clickhouse_user=config["CLICKHOUSE_USER"], clickhouse_db=config["CLICKHOUSE_DB"],
        cluster=config["CLICKHOUSE_CLUSTER"] if config.value("CLICKHOUSE_CLUSTER") else "",
        postgres=target.peer("postgres", Port("db", config.port("POSTGRES_PORT"), 5432)),
        failure_db_user=config["FAILURE_DB_USER"], failure_db_name=config["FAILURE_DB_NAME"],
    )
    return Service(
        Task("superset", config["SUPERSET_IMAGE"], entrypoint=("sh", f"{SCRIPTS}/start.sh"),
             env={"SUPERSET_ADMIN_USERNAME": config["SUPERSET_ADMIN_USERNAME"]},
             secrets={"SUPERSET_SECRET_KEY": "SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD": "SUPERSET_ADMIN_PASSWORD",
                      "CLICKHOUSE_PASSWORD": "CLICKHOUSE_PASSWORD", "FAILURE_DB_PASSWORD": "FAILURE_DB_PASSWORD"},
             volumes={"home": "/app/superset_home"}, files={f"{SCRIPTS}/start.sh": _START, **bundle(sources)}),
        ports=(Port("http", config.port("SUPERSET_PORT"), 8088, "/health"),),
        healthcheck=("CMD", "curl", "--fail", "--silent", "http://127.0.0.1:8088/health"),
        memory_mb=1024, cpu_mhz=500, after=(clickhouse, "postgres"),
    )
