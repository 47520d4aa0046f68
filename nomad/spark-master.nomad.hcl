# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/spark-master (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "spark-master" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "spark-master" {
    count = 1

    network {
      port "ui" {
        static = "${SPARK_UI_PORT}"
        to     = 8080
      }

      port "rpc" {
        static = "${SPARK_MASTER_PORT}"
        to     = 7077
      }
    }

    service {
      name     = "spark-master"
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

    task "spark-master" {
      driver = "docker"

      config {
        image = "${SPARK_IMAGE}"
        ports = ["ui", "rpc"]
        args  = ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.master.Master", "--port", "7077", "--webui-port", "8080"]

        mount {
          type   = "volume"
          source = "spotlight-spark-master-recovery"
          target = "/opt/spark/recovery"
        }
      }

      env {
        SPARK_NO_DAEMONIZE = "true"
      }

      resources {
        cpu    = 500
        memory = 1024
      }
    }
  }
}
