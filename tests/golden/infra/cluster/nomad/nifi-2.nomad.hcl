# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/nifi-2 (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "nifi-2" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "nifi-2" {
    count = 1

    network {
      port "https" {
        static = "${NIFI_HTTPS_PORT}"
        to     = 8443
      }

      port "cluster" {
        static = 11443
        to     = 11443
      }

      port "balance" {
        static = 6342
        to     = 6342
      }
    }

    service {
      name     = "nifi-2"
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

    task "nifi-2" {
      driver = "docker"

      config {
        image = "${NIFI_IMAGE}"
        ports = ["https", "cluster", "balance"]

        mount {
          type   = "volume"
          source = "spotlight-nifi-2-conf"
          target = "/opt/nifi/nifi-current/conf"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-2-state"
          target = "/opt/nifi/nifi-current/state"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-2-database"
          target = "/opt/nifi/nifi-current/database_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-2-flowfile"
          target = "/opt/nifi/nifi-current/flowfile_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-2-content"
          target = "/opt/nifi/nifi-current/content_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-2-provenance"
          target = "/opt/nifi/nifi-current/provenance_repository"
        }
      }

      env {
        NIFI_WEB_HTTPS_HOST              = "0.0.0.0"
        NIFI_WEB_HTTPS_PORT              = "8443"
        NIFI_WEB_PROXY_HOST              = "$${NOMAD_ADDR_https}"
        SINGLE_USER_CREDENTIALS_USERNAME = "${NIFI_USERNAME}"
        NIFI_CLUSTER_IS_NODE             = "true"
        NIFI_CLUSTER_NODE_PROTOCOL_PORT  = "11443"
        NIFI_ZK_ROOT_NODE                = "/nifi"
        NIFI_ELECTION_MAX_CANDIDATES     = "2"
        NIFI_ELECTION_MAX_WAIT           = "1 min"
      }

      template {
        data        = <<EOT
NIFI_CLUSTER_ADDRESS={{ env "NOMAD_IP_cluster" }}
NIFI_CLUSTER_LOAD_BALANCE_HOST={{ env "NOMAD_IP_balance" }}
NIFI_ZK_CONNECT_STRING={{ range nomadService "clickhouse-keeper-1" }}{{ .Address }}{{ end }}:${CLICKHOUSE_KEEPER_PORT},{{ range nomadService "clickhouse-keeper-2" }}{{ .Address }}{{ end }}:${CLICKHOUSE_KEEPER_PORT},{{ range nomadService "clickhouse-keeper-3" }}{{ .Address }}{{ end }}:${CLICKHOUSE_KEEPER_PORT}
{{ with nomadVar "nomad/jobs/nifi-2" }}
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
