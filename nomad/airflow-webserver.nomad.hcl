# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/airflow-webserver (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "airflow-webserver" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "airflow-webserver" {
    count = 1

    network {
      port "http" {
        static = "${AIRFLOW_PORT}"
        to     = 8080
      }
    }

    service {
      name     = "airflow-webserver"
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

    task "airflow-webserver" {
      driver = "docker"

      config {
        image      = "${AIRFLOW_IMAGE}"
        ports      = ["http"]
        entrypoint = ["sh"]
        args       = ["/opt/spotlight/airflow.sh", "webserver"]

        mount {
          type     = "bind"
          source   = "local/airflow.sh"
          target   = "/opt/spotlight/airflow.sh"
          readonly = true
        }
      }

      env {
        AIRFLOW_DB_USER              = "${AIRFLOW_DB_USER}"
        AIRFLOW_DB_NAME              = "${AIRFLOW_DB_NAME}"
        AIRFLOW__CORE__EXECUTOR      = "LocalExecutor"
        AIRFLOW__CORE__LOAD_EXAMPLES = "False"
      }

      template {
        data        = <<EOT
AIRFLOW_DB_HOST={{ range nomadService "airflow-db" }}{{ .Address }}:{{ .Port }}{{ end }}
{{ with nomadVar "nomad/jobs/airflow-webserver" }}
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
        cpu    = 500
        memory = 1024
      }
    }
  }
}
