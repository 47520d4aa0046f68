# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# Secrets come from the Nomad variable nomad/jobs/minio (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "minio" {
  datacenters = ["dc1"]
  namespace   = "default"
  type        = "service"

  group "minio" {
    count = 1

    network {
      port "api" {
        static = 9100
        to     = 9000
      }

      port "console" {
        static = 9101
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
        image = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"
        ports = ["api", "console"]
        args  = ["server", "/data", "--console-address", ":9001"]

        mount {
          type   = "volume"
          source = "spotlight-minio-data"
          target = "/data"
        }
      }

      env {
        MINIO_ROOT_USER = "spotlight"
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
