# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/postgres (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "postgres" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "postgres" {
    count = 1

    network {
      port "db" {
        static = "${POSTGRES_PORT}"
        to     = 5432
      }
    }

    service {
      name     = "postgres"
      provider = "nomad"
      port     = "db"

      check {
        type     = "tcp"
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

    task "postgres" {
      driver = "docker"

      config {
        image = "${POSTGRES_IMAGE}"
        ports = ["db"]

        mount {
          type   = "volume"
          source = "spotlight-postgres-data"
          target = "/var/lib/postgresql/data"
        }

        mount {
          type     = "bind"
          source   = "local/10-failure-db.sh"
          target   = "/docker-entrypoint-initdb.d/10-failure-db.sh"
          readonly = true
        }
      }

      env {
        POSTGRES_USER   = "${POSTGRES_USER}"
        FAILURE_DB_NAME = "${FAILURE_DB_NAME}"
        FAILURE_DB_USER = "${FAILURE_DB_USER}"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/postgres" }}
POSTGRES_PASSWORD={{ .POSTGRES_PASSWORD }}
FAILURE_DB_PASSWORD={{ .FAILURE_DB_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
#!/bin/sh
# Creates the failure DB and its owning role on first start; the schema itself comes from the
# versioned migrations in spotlight_nifi/failures/migrations.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=db="$FAILURE_DB_NAME" --set=owner="$FAILURE_DB_USER" --set=password="$FAILURE_DB_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"owner";
SQL
EOT
        destination = "local/10-failure-db.sh"
        perms       = "555"
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
