# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# Secrets come from the Nomad variable nomad/jobs/clickhouse (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "clickhouse" {
  datacenters = ["dc1"]
  namespace   = "default"
  type        = "service"

  group "clickhouse" {
    count = 1

    network {
      port "http" {
        static = 8123
        to     = 8123
      }

      port "native" {
        static = 9000
        to     = 9000
      }
    }

    service {
      name     = "clickhouse"
      provider = "nomad"
      port     = "http"

      check {
        type     = "http"
        path     = "/ping"
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

    task "clickhouse-init" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      config {
        image      = "quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z"
        entrypoint = ["sh", "/opt/spotlight/create-bucket.sh"]

        mount {
          type     = "bind"
          source   = "local/create-bucket.sh"
          target   = "/opt/spotlight/create-bucket.sh"
          readonly = true
        }
      }

      env {
        MINIO_ROOT_USER = "spotlight"
        BUCKET          = "clickhouse"
      }

      template {
        data        = <<EOT
MINIO_URL=http://{{ range nomadService "minio" }}{{ .Address }}:{{ .Port }}{{ end }}
{{ with nomadVar "nomad/jobs/clickhouse" }}
MINIO_ROOT_PASSWORD={{ .MINIO_ROOT_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
#!/bin/sh
# Creates ClickHouse's bucket on MinIO before ClickHouse starts (its S3 disk needs it).
set -eu
mc alias set minio "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "minio/$BUCKET"
EOT
        destination = "local/create-bucket.sh"
        perms       = "555"
      }
    }

    task "clickhouse" {
      driver = "docker"

      config {
        image = "clickhouse/clickhouse-server:25.8"
        ports = ["http", "native"]

        mount {
          type   = "volume"
          source = "spotlight-clickhouse-data"
          target = "/var/lib/clickhouse"
        }

        mount {
          type     = "bind"
          source   = "local/storage.xml"
          target   = "/etc/clickhouse-server/config.d/storage.xml"
          readonly = true
        }
      }

      env {
        CLICKHOUSE_DB                        = "spotlight"
        CLICKHOUSE_USER                      = "spotlight"
        CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT = "1"
        CLICKHOUSE_S3_ACCESS_KEY_ID          = "spotlight"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/clickhouse" }}
CLICKHOUSE_PASSWORD={{ .CLICKHOUSE_PASSWORD }}
CLICKHOUSE_S3_SECRET_ACCESS_KEY={{ .MINIO_ROOT_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
<clickhouse>
    <storage_configuration>
        <disks>
            <s3>
                <type>s3</type>
                <endpoint>http://{{ range nomadService "minio" }}{{ .Address }}:{{ .Port }}{{ end }}/clickhouse/data/</endpoint>
                <access_key_id from_env="CLICKHOUSE_S3_ACCESS_KEY_ID"/>
                <secret_access_key from_env="CLICKHOUSE_S3_SECRET_ACCESS_KEY"/>
                <metadata_path>/var/lib/clickhouse/disks/s3/</metadata_path>
            </s3>
            <s3_cache>
                <type>cache</type>
                <disk>s3</disk>
                <path>/var/lib/clickhouse/disks/s3_cache/</path>
                <max_size>10Gi</max_size>
            </s3_cache>
        </disks>
        <policies>
            <s3>
                <volumes>
                    <main>
                        <disk>s3_cache</disk>
                    </main>
                </volumes>
            </s3>
        </policies>
    </storage_configuration>
</clickhouse>
EOT
        destination = "local/storage.xml"
        perms       = "444"
      }

      resources {
        cpu    = 1000
        memory = 2048
      }
    }
  }
}
