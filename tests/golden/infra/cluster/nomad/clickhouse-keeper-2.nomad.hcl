# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/clickhouse-keeper-2 (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "clickhouse-keeper-2" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "clickhouse-keeper-2" {
    count = 1

    network {
      port "control" {
        static = 9182
        to     = 9182
      }

      port "client" {
        static = "${CLICKHOUSE_KEEPER_PORT}"
        to     = 9181
      }

      port "raft" {
        static = 9234
        to     = 9234
      }
    }

    service {
      name     = "clickhouse-keeper-2"
      provider = "nomad"
      port     = "control"

      check {
        type     = "http"
        path     = "/ready"
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

    task "clickhouse-keeper-2" {
      driver = "docker"

      config {
        image = "${CLICKHOUSE_KEEPER_IMAGE}"
        ports = ["control", "client", "raft"]

        mount {
          type   = "volume"
          source = "spotlight-clickhouse-keeper-2-data"
          target = "/var/lib/clickhouse-keeper"
        }

        mount {
          type     = "bind"
          source   = "local/keeper_config.xml"
          target   = "/etc/clickhouse-keeper/keeper_config.xml"
          readonly = true
        }
      }

      template {
        data        = <<EOT
<clickhouse>
    <listen_host>0.0.0.0</listen_host>
    <logger>
        <level>information</level>
        <console>1</console>
    </logger>
    <keeper_server>
        <tcp_port>9181</tcp_port>
        <server_id>2</server_id>
        <log_storage_path>/var/lib/clickhouse-keeper/coordination/log</log_storage_path>
        <snapshot_storage_path>/var/lib/clickhouse-keeper/coordination/snapshots</snapshot_storage_path>
        <http_control>
            <port>9182</port>
            <readiness>
                <endpoint>/ready</endpoint>
            </readiness>
        </http_control>
        <raft_configuration>
            <server>
                <id>1</id>
                <hostname>{{ range nomadService "clickhouse-keeper-1" }}{{ .Address }}{{ end }}</hostname>
                <port>9234</port>
            </server>
            <server>
                <id>2</id>
                <hostname>{{ env "NOMAD_IP_raft" }}</hostname>
                <port>9234</port>
            </server>
            <server>
                <id>3</id>
                <hostname>{{ range nomadService "clickhouse-keeper-3" }}{{ .Address }}{{ end }}</hostname>
                <port>9234</port>
            </server>
        </raft_configuration>
    </keeper_server>
</clickhouse>
EOT
        destination = "local/keeper_config.xml"
        perms       = "444"
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
