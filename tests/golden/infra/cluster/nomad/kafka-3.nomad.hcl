# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/kafka-3 (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "kafka-3" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "kafka-3" {
    count = 1

    network {
      port "broker" {
        static = "${KAFKA_PORT}"
        to     = 9092
      }

      port "internal" {
        static = 19092
        to     = 19092
      }

      port "controller" {
        static = 9093
        to     = 9093
      }
    }

    service {
      name     = "kafka-3"
      provider = "nomad"
      port     = "broker"

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

    task "kafka-3" {
      driver = "docker"

      config {
        image = "${KAFKA_IMAGE}"
        ports = ["broker", "internal", "controller"]

        mount {
          type   = "volume"
          source = "spotlight-kafka-3-data"
          target = "/var/lib/kafka/data"
        }
      }

      env {
        CLUSTER_ID                                     = "${KAFKA_CLUSTER_ID}"
        KAFKA_NODE_ID                                  = "3"
        KAFKA_PROCESS_ROLES                            = "broker,controller"
        KAFKA_CONTROLLER_LISTENER_NAMES                = "CONTROLLER"
        KAFKA_LISTENERS                                = "CONTROLLER://:9093,INTERNAL://:19092,EXTERNAL://:9092"
        KAFKA_ADVERTISED_LISTENERS                     = "INTERNAL://$${NOMAD_ADDR_internal},EXTERNAL://$${NOMAD_ADDR_broker}"
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP           = "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT"
        KAFKA_INTER_BROKER_LISTENER_NAME               = "INTERNAL"
        KAFKA_LOG_DIRS                                 = "/var/lib/kafka/data"
        KAFKA_DEFAULT_REPLICATION_FACTOR               = "3"
        KAFKA_MIN_INSYNC_REPLICAS                      = "2"
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR         = "3"
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR = "3"
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR            = "2"
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS         = "0"
      }

      template {
        data        = <<EOT
KAFKA_CONTROLLER_QUORUM_VOTERS=1@{{ range nomadService "kafka-1" }}{{ .Address }}{{ end }}:9093,2@{{ range nomadService "kafka-2" }}{{ .Address }}{{ end }}:9093,3@{{ env "NOMAD_IP_controller" }}:9093
EOT
        destination = "secrets/env"
        env         = true
      }

      resources {
        cpu    = 1000
        memory = 1024
      }
    }
  }
}
