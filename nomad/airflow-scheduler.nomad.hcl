# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/airflow-scheduler (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "airflow-scheduler" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "airflow-scheduler" {
    count = 1

    network {
      port "health" {
        static = 8974
        to     = 8974
      }
    }

    service {
      name     = "airflow-scheduler"
      provider = "nomad"
      port     = "health"

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

    task "airflow-init" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      config {
        image      = "${AIRFLOW_IMAGE}"
        entrypoint = ["sh"]
        args       = ["/opt/spotlight/airflow-init.sh"]

        mount {
          type     = "bind"
          source   = "local/airflow.sh"
          target   = "/opt/spotlight/airflow.sh"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/airflow-init.sh"
          target   = "/opt/spotlight/airflow-init.sh"
          readonly = true
        }
      }

      env {
        AIRFLOW_DB_USER              = "${AIRFLOW_DB_USER}"
        AIRFLOW_DB_NAME              = "${AIRFLOW_DB_NAME}"
        AIRFLOW__CORE__EXECUTOR      = "LocalExecutor"
        AIRFLOW__CORE__LOAD_EXAMPLES = "False"
        AIRFLOW_ADMIN_USERNAME       = "${AIRFLOW_ADMIN_USERNAME}"
      }

      template {
        data        = <<EOT
AIRFLOW_DB_HOST={{ range nomadService "airflow-db" }}{{ .Address }}:{{ .Port }}{{ end }}
{{ with nomadVar "nomad/jobs/airflow-scheduler" }}
AIRFLOW_DB_PASSWORD={{ .AIRFLOW_DB_PASSWORD }}
AIRFLOW__CORE__FERNET_KEY={{ .AIRFLOW_FERNET_KEY }}
AIRFLOW__WEBSERVER__SECRET_KEY={{ .AIRFLOW_WEBSERVER_SECRET_KEY }}
AIRFLOW_ADMIN_PASSWORD={{ .AIRFLOW_ADMIN_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
#!/bin/sh
# Builds Airflow's metadata DB URL from its parts (the password URL-quoted, never in a file),
# then runs the Airflow command given as arguments.
set -eu
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(python -c 'import os, urllib.parse as u; e = os.environ; print("postgresql+psycopg2://" + u.quote(e["AIRFLOW_DB_USER"], safe="") + ":" + u.quote(e["AIRFLOW_DB_PASSWORD"], safe="") + "@" + e["AIRFLOW_DB_HOST"] + "/" + e["AIRFLOW_DB_NAME"])')"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
exec airflow "$@"
EOT
        destination = "local/airflow.sh"
        perms       = "555"
      }

      template {
        data        = <<EOT
#!/bin/sh
# Migrates Airflow's metadata DB and creates the admin user (again on every start: both are idempotent).
set -eu
sh /opt/spotlight/airflow.sh db migrate
sh /opt/spotlight/airflow.sh users create --role Admin --username "$AIRFLOW_ADMIN_USERNAME" \
  --password "$AIRFLOW_ADMIN_PASSWORD" --firstname Airflow --lastname Admin --email "$AIRFLOW_ADMIN_USERNAME@localhost"
EOT
        destination = "local/airflow-init.sh"
        perms       = "555"
      }

      resources {
        cpu    = 200
        memory = 512
      }
    }

    task "airflow-scheduler" {
      driver = "docker"

      config {
        image      = "${AIRFLOW_IMAGE}"
        ports      = ["health"]
        entrypoint = ["sh"]
        args       = ["/opt/spotlight/airflow.sh", "scheduler"]

        mount {
          type   = "volume"
          source = "spotlight-airflow-scheduler-dags"
          target = "/opt/airflow/dags"
        }

        mount {
          type   = "volume"
          source = "spotlight-airflow-scheduler-logs"
          target = "/opt/airflow/logs"
        }

        mount {
          type     = "bind"
          source   = "local/airflow.sh"
          target   = "/opt/spotlight/airflow.sh"
          readonly = true
        }
      }

      env {
        AIRFLOW_DB_USER                         = "${AIRFLOW_DB_USER}"
        AIRFLOW_DB_NAME                         = "${AIRFLOW_DB_NAME}"
        AIRFLOW__CORE__EXECUTOR                 = "LocalExecutor"
        AIRFLOW__CORE__LOAD_EXAMPLES            = "False"
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK = "True"
      }

      template {
        data        = <<EOT
AIRFLOW_DB_HOST={{ range nomadService "airflow-db" }}{{ .Address }}:{{ .Port }}{{ end }}
{{ with nomadVar "nomad/jobs/airflow-scheduler" }}
AIRFLOW_DB_PASSWORD={{ .AIRFLOW_DB_PASSWORD }}
AIRFLOW__CORE__FERNET_KEY={{ .AIRFLOW_FERNET_KEY }}
AIRFLOW__WEBSERVER__SECRET_KEY={{ .AIRFLOW_WEBSERVER_SECRET_KEY }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
#!/bin/sh
# Builds Airflow's metadata DB URL from its parts (the password URL-quoted, never in a file),
# then runs the Airflow command given as arguments.
set -eu
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(python -c 'import os, urllib.parse as u; e = os.environ; print("postgresql+psycopg2://" + u.quote(e["AIRFLOW_DB_USER"], safe="") + ":" + u.quote(e["AIRFLOW_DB_PASSWORD"], safe="") + "@" + e["AIRFLOW_DB_HOST"] + "/" + e["AIRFLOW_DB_NAME"])')"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
exec airflow "$@"
EOT
        destination = "local/airflow.sh"
        perms       = "555"
      }

      resources {
        cpu    = 1000
        memory = 1024
      }
    }
  }
}
