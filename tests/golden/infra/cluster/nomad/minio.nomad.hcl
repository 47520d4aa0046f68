# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/minio (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "minio" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "minio" {
    count = 1

    network {
      port "api" {
        static = "${MINIO_API_PORT}"
        to     = 9000
      }

      port "console" {
        static = "${MINIO_CONSOLE_PORT}"
        to     = 9001
      }
    }

    service {
      name     = "minio"
      provider = "nomad"
      port     = "api"

      check {
        type     = "http"
        path     = "/minio/health/live"
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

    task "minio" {
      driver = "docker"

      config {
        image = "${MINIO_IMAGE}"
        ports = ["api", "console"]
        args  = ["server", "/data", "--console-address", ":9001"]

        mount {
          type   = "volume"
          source = "spotlight-minio-data"
          target = "/data"
        }
      }

      env {
        MINIO_ROOT_USER = "${MINIO_ROOT_USER}"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/minio" }}
MINIO_ROOT_PASSWORD={{ .MINIO_ROOT_PASSWORD }}
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
