# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# Secrets come from the Nomad variable nomad/jobs/superset (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "superset" {
  datacenters = ["dc1"]
  namespace   = "default"
  type        = "service"

  group "superset" {
    count = 1

    network {
      port "http" {
        static = 8088
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
        image      = "apache/superset:5.0.0"
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
      }

      env {
        SUPERSET_ADMIN_USERNAME = "admin"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/superset" }}
SUPERSET_SECRET_KEY={{ .SUPERSET_SECRET_KEY }}
SUPERSET_ADMIN_PASSWORD={{ .SUPERSET_ADMIN_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
#!/bin/sh
# Adds the ClickHouse driver, prepares Superset's metadata DB and admin user, then serves.
set -eu
uv pip install --quiet --target /app/pythonpath clickhouse-connect
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USERNAME" --password "$SUPERSET_ADMIN_PASSWORD" \
  --firstname Superset --lastname Admin --email "$SUPERSET_ADMIN_USERNAME@localhost"
superset init
exec /app/docker/entrypoints/run-server.sh
EOT
        destination = "local/start.sh"
        perms       = "555"
      }

      resources {
        cpu    = 500
        memory = 1024
      }
    }
  }
}
