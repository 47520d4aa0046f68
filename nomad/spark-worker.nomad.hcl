# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/spark-worker (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "spark-worker" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "spark-worker" {
    count = 1

    network {
      port "ui" {
        static = 8081
        to     = 8081
      }

      port "rpc" {
        static = 7078
        to     = 7078
      }
    }

    service {
      name     = "spark-worker"
      provider = "nomad"
      port     = "ui"

      check {
        type     = "http"
        path     = "/"
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

    task "spark-worker" {
      driver = "docker"

      config {
        image = "${SPARK_IMAGE}"
        ports = ["ui", "rpc"]
        args  = ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.worker.Worker", "--webui-port", "8081", "spark://{{ range nomadService \"spark-master\" }}{{ .Address }}:{{ .Port }}{{ end }}"]

        mount {
          type   = "volume"
          source = "spotlight-spark-worker-work"
          target = "/opt/spark/work"
        }
      }

      env {
        SPARK_NO_DAEMONIZE  = "true"
        SPARK_WORKER_CORES  = "${SPARK_WORKER_CORES}"
        SPARK_WORKER_MEMORY = "${SPARK_WORKER_MEMORY}"
        SPARK_WORKER_PORT   = "7078"
      }

      template {
        data        = <<EOT
SPARK_LOCAL_HOSTNAME={{ env "NOMAD_IP_rpc" }}
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
