# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/nifi-registry (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "nifi-registry" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "nifi-registry" {
    count = 1

    network {
      port "http" {
        static = "${NIFI_REGISTRY_PORT}"
        to     = 18080
      }
    }

    service {
      name     = "nifi-registry"
      provider = "nomad"
      port     = "http"

      check {
        type     = "http"
        path     = "/nifi-registry-api/buckets"
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

    task "nifi-registry" {
      driver = "docker"

      config {
        image = "${NIFI_REGISTRY_IMAGE}"
        ports = ["http"]

        mount {
          type   = "volume"
          source = "spotlight-nifi-registry-database"
          target = "/opt/nifi-registry/nifi-registry-current/database"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-registry-flow-storage"
          target = "/opt/nifi-registry/nifi-registry-current/flow_storage"
        }
      }

      env {
        NIFI_REGISTRY_WEB_HTTP_PORT = "18080"
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
