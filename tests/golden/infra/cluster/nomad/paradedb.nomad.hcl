# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/paradedb (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "paradedb" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "paradedb" {
    count = 1

    network {
      port "db" {
        static = "${PARADEDB_PORT}"
        to     = 5432
      }
    }

    service {
      name     = "paradedb"
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

    task "paradedb" {
      driver = "docker"

      config {
        image = "${PARADEDB_IMAGE}"
        ports = ["db"]

        mount {
          type   = "volume"
          source = "spotlight-paradedb-data"
          target = "/var/lib/postgresql"
        }
      }

      env {
        POSTGRES_USER = "${PARADEDB_USER}"
        POSTGRES_DB   = "${PARADEDB_DB}"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/paradedb" }}
POSTGRES_PASSWORD={{ .PARADEDB_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      resources {
        cpu    = 500
        memory = 1024
      }
    }
  }
}
