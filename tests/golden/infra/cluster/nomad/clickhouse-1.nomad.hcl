# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/clickhouse-1 (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "clickhouse-1" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "clickhouse-1" {
    count = 1

    network {
      port "http" {
        static = "${CLICKHOUSE_HTTP_PORT}"
        to     = 8123
      }

      port "native" {
        static = "${CLICKHOUSE_NATIVE_PORT}"
        to     = 9000
      }
    }

    service {
      name     = "clickhouse-1"
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

    task "clickhouse-1-init" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      config {
        image      = "${MINIO_MC_IMAGE}"
        entrypoint = ["sh", "/opt/spotlight/create-buckets.sh"]

        mount {
          type     = "bind"
          source   = "local/create-buckets.sh"
          target   = "/opt/spotlight/create-buckets.sh"
          readonly = true
        }
      }

      env {
        MINIO_ROOT_USER = "${MINIO_ROOT_USER}"
        BUCKETS         = "${MINIO_RAW_BUCKET} ${CLICKHOUSE_S3_BUCKET} ${CLICKHOUSE_BACKUP_BUCKET}"
      }

      template {
        data        = <<EOT
MINIO_URL=http://{{ range nomadService "minio" }}{{ .Address }}:{{ .Port }}{{ end }}
{{ with nomadVar "nomad/jobs/clickhouse-1" }}
MINIO_ROOT_PASSWORD={{ .MINIO_ROOT_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
#!/bin/sh
# Creates the MinIO buckets before ClickHouse starts (its S3 disks need them): raw source data,
# ClickHouse's data, and ClickHouse's cold backups. Idempotent, so every start may run it.
set -eu
mc alias set minio "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
for bucket in $BUCKETS; do
  mc mb --ignore-existing "minio/$bucket"
done
EOT
        destination = "local/create-buckets.sh"
        perms       = "555"
      }

      resources {
        cpu    = 200
        memory = 512
      }
    }

    task "clickhouse-1" {
      driver = "docker"

      config {
        image = "${CLICKHOUSE_IMAGE}"
        ports = ["http", "native"]

        mount {
          type   = "volume"
          source = "spotlight-clickhouse-1-data"
          target = "/var/lib/clickhouse"
        }

        mount {
          type     = "bind"
          source   = "local/storage.xml"
          target   = "/etc/clickhouse-server/config.d/storage.xml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/keeper.xml"
          target   = "/etc/clickhouse-server/config.d/keeper.xml"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/cluster.xml"
          target   = "/etc/clickhouse-server/config.d/cluster.xml"
          readonly = true
        }
      }

      env {
        CLICKHOUSE_DB                        = "${CLICKHOUSE_DB}"
        CLICKHOUSE_USER                      = "${CLICKHOUSE_USER}"
        CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT = "1"
        CLICKHOUSE_S3_ACCESS_KEY_ID          = "${MINIO_ROOT_USER}"
      }

      template {
        data        = <<EOT
{{ with nomadVar "nomad/jobs/clickhouse-1" }}
CLICKHOUSE_PASSWORD={{ .CLICKHOUSE_PASSWORD }}
CLICKHOUSE_S3_SECRET_ACCESS_KEY={{ .MINIO_ROOT_PASSWORD }}
CLICKHOUSE_CLUSTER_SECRET={{ .CLICKHOUSE_CLUSTER_SECRET }}
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
                <endpoint>http://{{ range nomadService "minio" }}{{ .Address }}:{{ .Port }}{{ end }}/${CLICKHOUSE_S3_BUCKET}/data/clickhouse-1/</endpoint>
                <access_key_id from_env="CLICKHOUSE_S3_ACCESS_KEY_ID"/>
                <secret_access_key from_env="CLICKHOUSE_S3_SECRET_ACCESS_KEY"/>
                <metadata_path>/var/lib/clickhouse/disks/s3/</metadata_path>
            </s3>
            <s3_cache>
                <type>cache</type>
                <disk>s3</disk>
                <path>s3_cache/</path>
                <max_size>${CLICKHOUSE_S3_CACHE_SIZE}</max_size>
            </s3_cache>
            <backups>
                <type>s3</type>
                <endpoint>http://{{ range nomadService "minio" }}{{ .Address }}:{{ .Port }}{{ end }}/${CLICKHOUSE_BACKUP_BUCKET}/clickhouse-1/</endpoint>
                <access_key_id from_env="CLICKHOUSE_S3_ACCESS_KEY_ID"/>
                <secret_access_key from_env="CLICKHOUSE_S3_SECRET_ACCESS_KEY"/>
                <metadata_path>/var/lib/clickhouse/disks/backups/</metadata_path>
            </backups>
        </disks>
        <policies>
            <${CLICKHOUSE_STORAGE_POLICY}>
                <volumes>
                    <hot>
                        <disk>default</disk>
                    </hot>
                    <cold>
                        <disk>s3_cache</disk>
                    </cold>
                </volumes>
                <move_factor>${CLICKHOUSE_MOVE_FACTOR}</move_factor>
            </${CLICKHOUSE_STORAGE_POLICY}>
        </policies>
    </storage_configuration>
    <backups>
        <allowed_disk>backups</allowed_disk>
    </backups>
    <part_log>
        <database>system</database>
        <table>part_log</table>
        <flush_interval_milliseconds>7500</flush_interval_milliseconds>
    </part_log>
</clickhouse>
EOT
        destination = "local/storage.xml"
        perms       = "444"
      }

      template {
        data        = <<EOT
<clickhouse>
    <zookeeper>
        <node>
            <host>{{ range nomadService "clickhouse-keeper-1" }}{{ .Address }}{{ end }}</host>
            <port>${CLICKHOUSE_KEEPER_PORT}</port>
        </node>
        <node>
            <host>{{ range nomadService "clickhouse-keeper-2" }}{{ .Address }}{{ end }}</host>
            <port>${CLICKHOUSE_KEEPER_PORT}</port>
        </node>
        <node>
            <host>{{ range nomadService "clickhouse-keeper-3" }}{{ .Address }}{{ end }}</host>
            <port>${CLICKHOUSE_KEEPER_PORT}</port>
        </node>
    </zookeeper>
    <macros>
        <shard>1</shard>
        <replica>clickhouse-1</replica>
    </macros>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
</clickhouse>
EOT
        destination = "local/keeper.xml"
        perms       = "444"
      }

      template {
        data        = <<EOT
<clickhouse>
    <remote_servers>
        <${CLICKHOUSE_CLUSTER}>
            <secret from_env="CLICKHOUSE_CLUSTER_SECRET"/>
            <shard>
                <internal_replication>true</internal_replication>
                <replica>
                    <host>{{ range nomadService "clickhouse-1" }}{{ .Address }}{{ end }}</host>
                    <port>${CLICKHOUSE_NATIVE_PORT}</port>
                </replica>
                <replica>
                    <host>{{ range nomadService "clickhouse-2" }}{{ .Address }}{{ end }}</host>
                    <port>${CLICKHOUSE_NATIVE_PORT}</port>
                </replica>
            </shard>
            <shard>
                <internal_replication>true</internal_replication>
                <replica>
                    <host>{{ range nomadService "clickhouse-3" }}{{ .Address }}{{ end }}</host>
                    <port>${CLICKHOUSE_NATIVE_PORT}</port>
                </replica>
                <replica>
                    <host>{{ range nomadService "clickhouse-4" }}{{ .Address }}{{ end }}</host>
                    <port>${CLICKHOUSE_NATIVE_PORT}</port>
                </replica>
            </shard>
        </${CLICKHOUSE_CLUSTER}>
    </remote_servers>
</clickhouse>
EOT
        destination = "local/cluster.xml"
        perms       = "444"
      }

      resources {
        cpu    = 1000
        memory = 2048
      }
    }
  }
}
