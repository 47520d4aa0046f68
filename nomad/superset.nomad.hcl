# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/superset (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "superset" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "superset" {
    count = 1

    network {
      port "http" {
        static = "${SUPERSET_PORT}"
        to     = 8088
      }
    }

    service {
      name     = "superset"
      provider = "nomad"
      port     = "http"

      check {
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "5s"
      }
    }

    restart {
      attempts = 10
      interval = "30m"
      delay    = "15s"
      mode     = "delay"
    }

    task "superset" {
      driver = "docker"

      config {
        image      = "${SUPERSET_IMAGE}"
        ports      = ["http"]
        entrypoint = ["sh", "/opt/spotlight/start.sh"]

        mount {
          type   = "volume"
          source = "spotlight-superset-home"
          target = "/app/superset_home"
        }

        mount {
          type     = "bind"
          source   = "local/start.sh"
          target   = "/opt/spotlight/start.sh"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/metadata.yaml"
          target   = "/opt/spotlight/superset/metadata.yaml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/clickhouse.yaml"
          target   = "/opt/spotlight/superset/databases/clickhouse.yaml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/failure_db.yaml"
          target   = "/opt/spotlight/superset/databases/failure_db.yaml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/rows_ingested.yaml"
          target   = "/opt/spotlight/superset/datasets/clickhouse/rows_ingested.yaml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/failures.yaml"
          target   = "/opt/spotlight/superset/datasets/failure_db/failures.yaml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/rows_ingested_per_hour.yaml"
          target   = "/opt/spotlight/superset/charts/rows_ingested_per_hour.yaml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/failures_by_reason.yaml"
          target   = "/opt/spotlight/superset/charts/failures_by_reason.yaml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/spotlight.yaml"
          target   = "/opt/spotlight/superset/dashboards/spotlight.yaml"
          readonly = true
        }
      }

      env {
        SUPERSET_ADMIN_USERNAME = "${SUPERSET_ADMIN_USERNAME}"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/superset" }}
SUPERSET_SECRET_KEY={{ .SUPERSET_SECRET_KEY }}
SUPERSET_ADMIN_PASSWORD={{ .SUPERSET_ADMIN_PASSWORD }}
CLICKHOUSE_PASSWORD={{ .CLICKHOUSE_PASSWORD }}
FAILURE_DB_PASSWORD={{ .FAILURE_DB_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
#!/bin/sh
# Adds the ClickHouse and PostgreSQL drivers, prepares Superset's metadata DB and admin user,
# imports the Spotlight dashboard and its connections (passwords put into the URIs from the
# environment, in a bundle deleted right after), then serves.
set -eu
uv pip install --quiet --target /app/pythonpath clickhouse-connect psycopg2-binary
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USERNAME" --password "$SUPERSET_ADMIN_PASSWORD" \
  --firstname Superset --lastname Admin --email "$SUPERSET_ADMIN_USERNAME@localhost"
superset init
python - <<'PY'
import os, pathlib, urllib.parse, zipfile
root = pathlib.Path("/opt/spotlight/superset")
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
EOT
        destination = "local/start.sh"
        perms       = "555"
      }

      template {
        data        = <<EOT
timestamp: '2025-01-01T00:00:00+00:00'
type: Dashboard
version: 1.0.0
EOT
        destination = "local/metadata.yaml"
        perms       = "444"
      }

      template {
        data        = <<EOT
allow_csv_upload: false
allow_ctas: false
allow_cvas: false
allow_dml: false
allow_run_async: false
cache_timeout: null
database_name: Spotlight ClickHouse
expose_in_sqllab: true
extra:
  allows_virtual_table_explore: true
sqlalchemy_uri: clickhousedb://${CLICKHOUSE_USER}:<CLICKHOUSE_PASSWORD>@{{ range nomadService "clickhouse" }}{{ .Address }}:{{ .Port }}{{ end }}/${CLICKHOUSE_DB}
uuid: 402ae5c1-756c-529d-b928-e87fd4905019
version: 1.0.0
EOT
        destination = "local/clickhouse.yaml"
        perms       = "444"
      }

      template {
        data        = <<EOT
allow_csv_upload: false
allow_ctas: false
allow_cvas: false
allow_dml: false
allow_run_async: false
cache_timeout: null
database_name: Spotlight failure DB
expose_in_sqllab: true
extra:
  allows_virtual_table_explore: true
sqlalchemy_uri: postgresql+psycopg2://${FAILURE_DB_USER}:<FAILURE_DB_PASSWORD>@{{ range nomadService "postgres" }}{{ .Address }}:{{ .Port }}{{ end }}/${FAILURE_DB_NAME}
uuid: 997eb729-06fe-521e-974b-962058f11f56
version: 1.0.0
EOT
        destination = "local/failure_db.yaml"
        perms       = "444"
      }

      template {
        data        = <<EOT
columns:
- column_name: table
  filterable: true
  groupby: true
  is_dttm: false
  type: String
- column_name: event_time
  filterable: false
  groupby: false
  is_dttm: true
  type: DateTime
- column_name: rows
  filterable: false
  groupby: false
  is_dttm: false
  type: UInt64
database_uuid: 402ae5c1-756c-529d-b928-e87fd4905019
filter_select_enabled: true
main_dttm_col: event_time
metrics:
- expression: sum(rows)
  metric_name: rows_ingested
schema: ${CLICKHOUSE_DB}
sql: |-
  SELECT table, event_time, rows FROM system.part_log
  WHERE event_type = 'NewPart' AND database = '${CLICKHOUSE_DB}'
table_name: rows_ingested
uuid: 2ebcc860-d8bf-5539-a1fe-81e098b62255
version: 1.0.0
EOT
        destination = "local/rows_ingested.yaml"
        perms       = "444"
      }

      template {
        data        = <<EOT
columns:
- column_name: flow
  filterable: true
  groupby: true
  is_dttm: false
  type: TEXT
- column_name: processor
  filterable: true
  groupby: true
  is_dttm: false
  type: TEXT
- column_name: reason
  filterable: true
  groupby: true
  is_dttm: false
  type: TEXT
- column_name: status
  filterable: true
  groupby: true
  is_dttm: false
  type: TEXT
- column_name: first_seen
  filterable: false
  groupby: false
  is_dttm: true
  type: TIMESTAMP
database_uuid: 997eb729-06fe-521e-974b-962058f11f56
filter_select_enabled: true
main_dttm_col: first_seen
metrics:
- expression: COUNT(*)
  metric_name: failed_records
schema: public
sql: null
table_name: failures
uuid: 302c52c5-87c9-59fd-bf31-04a1aa983262
version: 1.0.0
EOT
        destination = "local/failures.yaml"
        perms       = "444"
      }

      template {
        data        = <<EOT
cache_timeout: null
dataset_uuid: 2ebcc860-d8bf-5539-a1fe-81e098b62255
params:
  adhoc_filters:
  - clause: WHERE
    comparator: Last week
    expressionType: SIMPLE
    operator: TEMPORAL_RANGE
    subject: event_time
  groupby:
  - table
  metrics:
  - rows_ingested
  row_limit: 10000
  show_legend: true
  stack: Stack
  time_grain_sqla: PT1H
  viz_type: echarts_timeseries_bar
  x_axis: event_time
slice_name: Rows ingested per table per hour
uuid: cd98d4af-f711-520e-8a24-0b0e55977d55
version: 1.0.0
viz_type: echarts_timeseries_bar
EOT
        destination = "local/rows_ingested_per_hour.yaml"
        perms       = "444"
      }

      template {
        data        = <<EOT
cache_timeout: null
dataset_uuid: 302c52c5-87c9-59fd-bf31-04a1aa983262
params:
  groupby:
  - status
  metrics:
  - failed_records
  row_limit: 10000
  show_legend: true
  stack: Stack
  viz_type: echarts_timeseries_bar
  x_axis: reason
slice_name: Failures by reason
uuid: ae610026-9d06-5899-8374-194623f09251
version: 1.0.0
viz_type: echarts_timeseries_bar
EOT
        destination = "local/failures_by_reason.yaml"
        perms       = "444"
      }

      template {
        data        = <<EOT
css: ''
dashboard_title: Spotlight
description: null
metadata:
  color_scheme: ''
  default_filters: '{}'
  expanded_slices: {}
  label_colors: {}
  native_filter_configuration: []
  refresh_frequency: 300
  timed_refresh_immune_slices: []
position:
  CHART-1:
    children: []
    id: CHART-1
    meta:
      chartId: 1
      height: 60
      sliceName: Rows ingested per table per hour
      uuid: cd98d4af-f711-520e-8a24-0b0e55977d55
      width: 6
    parents:
    - ROOT_ID
    - GRID_ID
    - ROW-1
    type: CHART
  CHART-2:
    children: []
    id: CHART-2
    meta:
      chartId: 2
      height: 60
      sliceName: Failures by reason
      uuid: ae610026-9d06-5899-8374-194623f09251
      width: 6
    parents:
    - ROOT_ID
    - GRID_ID
    - ROW-1
    type: CHART
  DASHBOARD_VERSION_KEY: v2
  GRID_ID:
    children:
    - ROW-1
    id: GRID_ID
    parents:
    - ROOT_ID
    type: GRID
  HEADER_ID:
    id: HEADER_ID
    meta:
      text: Spotlight
    type: HEADER
  ROOT_ID:
    children:
    - GRID_ID
    id: ROOT_ID
    type: ROOT
  ROW-1:
    children:
    - CHART-1
    - CHART-2
    id: ROW-1
    meta:
      background: BACKGROUND_TRANSPARENT
    parents:
    - ROOT_ID
    - GRID_ID
    type: ROW
published: true
slug: spotlight
uuid: 98257c71-4431-5ea4-8a39-087caaf0cf00
version: 1.0.0
EOT
        destination = "local/spotlight.yaml"
        perms       = "444"
      }

      resources {
        cpu    = 500
        memory = 1024
      }
    }
  }
}
