# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/kafka-connect (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "kafka-connect" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "kafka-connect" {
    count = 1

    network {
      port "rest" {
        static = "${KAFKA_CONNECT_PORT}"
        to     = 8083
      }
    }

    service {
      name     = "kafka-connect"
      provider = "nomad"
      port     = "rest"

      check {
        type     = "http"
        path     = "/connectors"
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

    task "kafka-connect" {
      driver = "docker"

      config {
        image = "${KAFKA_CONNECT_IMAGE}"
        ports = ["rest"]

        mount {
          type   = "volume"
          source = "spotlight-kafka-connect-plugins"
          target = "/kafka/connect/extra"
        }
      }

      env {
        GROUP_ID                                  = "${KAFKA_CONNECT_GROUP_ID}"
        CONFIG_STORAGE_TOPIC                      = "connect-configs"
        OFFSET_STORAGE_TOPIC                      = "connect-offsets"
        STATUS_STORAGE_TOPIC                      = "connect-statuses"
        CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR = "3"
        CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR = "3"
        CONNECT_STATUS_STORAGE_REPLICATION_FACTOR = "3"
        CONNECT_PLUGIN_PATH                       = "/kafka/connect,/kafka/connect/extra"
        ADVERTISED_PORT                           = "${KAFKA_CONNECT_PORT}"
      }

      template {
        data        = <<EOT
BOOTSTRAP_SERVERS={{ range nomadService "kafka-1" }}{{ .Address }}:{{ .Port }}{{ end }},{{ range nomadService "kafka-2" }}{{ .Address }}:{{ .Port }}{{ end }},{{ range nomadService "kafka-3" }}{{ .Address }}:{{ .Port }}{{ end }}
ADVERTISED_HOST_NAME={{ env "NOMAD_IP_rest" }}
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
