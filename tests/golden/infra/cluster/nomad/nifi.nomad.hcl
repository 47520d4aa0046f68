# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/nifi (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "nifi" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "nifi" {
    count = 1

    network {
      port "https" {
        static = "${NIFI_HTTPS_PORT}"
        to     = 8443
      }
    }

    service {
      name     = "nifi"
      provider = "nomad"
      port     = "https"

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

    task "nifi" {
      driver = "docker"

      config {
        image = "${NIFI_IMAGE}"
        ports = ["https"]

        mount {
          type   = "volume"
          source = "spotlight-nifi-conf"
          target = "/opt/nifi/nifi-current/conf"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-state"
          target = "/opt/nifi/nifi-current/state"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-database"
          target = "/opt/nifi/nifi-current/database_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-flowfile"
          target = "/opt/nifi/nifi-current/flowfile_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-content"
          target = "/opt/nifi/nifi-current/content_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-provenance"
          target = "/opt/nifi/nifi-current/provenance_repository"
        }
      }

      env {
        NIFI_WEB_HTTPS_HOST              = "0.0.0.0"
        NIFI_WEB_HTTPS_PORT              = "8443"
        NIFI_WEB_PROXY_HOST              = "$${NOMAD_ADDR_https}"
        SINGLE_USER_CREDENTIALS_USERNAME = "${NIFI_USERNAME}"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/nifi" }}
SINGLE_USER_CREDENTIALS_PASSWORD={{ .NIFI_PASSWORD }}
NIFI_SENSITIVE_PROPS_KEY={{ .NIFI_SENSITIVE_PROPS_KEY }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      resources {
        cpu    = 1000
        memory = 2048
      }
    }
  }
}
