# Runs the rendered Nomad jobs (../*.nomad.hcl) and writes the Nomad variables their templates
# read secrets from. Non-secret inputs come from terraform.tfvars.json, rendered from .env by
# `spotlight-nifi infra render`; secrets come only from TF_VAR_* environment variables
# (`spotlight-nifi infra render` lists them). Terraform state holds the secrets: keep it private.

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
    NIFI_PASSWORD            = var.nifi_password
    NIFI_SENSITIVE_PROPS_KEY = var.nifi_sensitive_props_key
    POSTGRES_PASSWORD        = var.postgres_password
    FAILURE_DB_PASSWORD      = var.failure_db_password
    CLICKHOUSE_PASSWORD      = var.clickhouse_password
    MINIO_ROOT_PASSWORD      = var.minio_root_password
    SUPERSET_SECRET_KEY      = var.superset_secret_key
    SUPERSET_ADMIN_PASSWORD  = var.superset_admin_password
  }
}

resource "nomad_variable" "secrets" {
  for_each  = var.job_secrets
  path      = "nomad/jobs/${each.key}"
  namespace = var.nomad_namespace
  items     = { for key in each.value : key => local.secrets[key] }
}

resource "nomad_job" "service" {
  for_each   = toset(var.jobs)
  jobspec    = file("${path.module}/../${each.key}.nomad.hcl")
  depends_on = [nomad_variable.secrets]
}
