# Runs the rendered Nomad jobs (../*.nomad.hcl) and writes the Nomad variables their templates
# read secrets from. Each job file is a template: templatefile fills in the .env values from
# var.settings (terraform.tfvars.json, rendered from .env by `spotlight-nifi infra render`).
# Secrets come only from TF_VAR_* environment variables (`spotlight-nifi infra render` lists
# them). Terraform state holds the secrets: keep it private.

terraform {
  required_version = ">= 1.5"

  required_providers {
    nomad = {
      source  = "hashicorp/nomad"
      version = "~> 2.4"
    }
  }
}

provider "nomad" {
  address = var.nomad_address
}

locals {
  secrets = {
    NIFI_PASSWORD                = var.nifi_password
    NIFI_SENSITIVE_PROPS_KEY     = var.nifi_sensitive_props_key
    NIFI_TLS_PASSWORD            = var.nifi_tls_password
    NIFI_CA_PASSWORD             = var.nifi_ca_password
    NIFI_CA_KEYSTORE             = var.nifi_ca_keystore
    POSTGRES_PASSWORD            = var.postgres_password
    FAILURE_DB_PASSWORD          = var.failure_db_password
    CLICKHOUSE_PASSWORD          = var.clickhouse_password
    MINIO_ROOT_PASSWORD          = var.minio_root_password
    SUPERSET_SECRET_KEY          = var.superset_secret_key
    SUPERSET_ADMIN_PASSWORD      = var.superset_admin_password
    CLICKHOUSE_CLUSTER_SECRET    = var.clickhouse_cluster_secret
    AIRFLOW_DB_PASSWORD          = var.airflow_db_password
    AIRFLOW_ADMIN_PASSWORD       = var.airflow_admin_password
    AIRFLOW_FERNET_KEY           = var.airflow_fernet_key
    AIRFLOW_WEBSERVER_SECRET_KEY = var.airflow_webserver_secret_key
    PARADEDB_PASSWORD            = var.paradedb_password
  }
}

resource "nomad_variable" "secrets" {
  for_each  = var.job_secrets
  path      = "nomad/jobs/${each.key}"
  namespace = var.nomad_namespace
  items     = { for key in each.value : key => local.secrets[key] }

  lifecycle {
    precondition {
      condition     = alltrue([for key in each.value : local.secrets[key] != null])
      error_message = "Job ${each.key} needs these secrets; set TF_VAR_<key in lower case> for each: ${join(", ", each.value)}."
    }
  }
}

resource "nomad_job" "service" {
  for_each   = toset(var.jobs)
  jobspec    = templatefile("${path.module}/../${each.key}.nomad.hcl", var.settings)
  depends_on = [nomad_variable.secrets]
}
