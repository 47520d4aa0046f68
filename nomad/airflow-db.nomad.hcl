# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/airflow-db (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "airflow-db" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "airflow-db" {
    count = 1

    network {
      port "db" {
        static = "${AIRFLOW_DB_PORT}"
        to     = 5432
      }
    }

    service {
      name     = "airflow-db"
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

    task "airflow-db" {
      driver = "docker"

      config {
        image = "${POSTGRES_IMAGE}"
        ports = ["db"]

        mount {
          type   = "volume"
          source = "spotlight-airflow-db-data"
          target = "/var/lib/postgresql/data"
        }
      }

      env {
        POSTGRES_USER = "${AIRFLOW_DB_USER}"
        POSTGRES_DB   = "${AIRFLOW_DB_NAME}"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/airflow-db" }}
POSTGRES_PASSWORD={{ .AIRFLOW_DB_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
