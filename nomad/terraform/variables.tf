# Non-secret variables: set by terraform.tfvars.json (rendered from .env).

variable "nomad_address" {
  type        = string
  description = "Nomad API address (.env NOMAD_ADDR)."
}

variable "nomad_namespace" {
  type        = string
  description = "Namespace of the jobs and their variables (.env NOMAD_NAMESPACE)."
}

variable "jobs" {
  type        = list(string)
  description = "Job templates ../<name>.nomad.hcl to run."
}

variable "job_secrets" {
  type        = map(list(string))
  description = "For each job, the secret .env keys its Nomad variable nomad/jobs/<job> holds."
}

variable "settings" {
  type        = map(string)
  description = "The non-secret .env values, by key: templatefile fills them into the job templates."
}

# Secrets: never in a file; supply each a job needs as TF_VAR_<name> (the lower-cased .env key).
# Unset ones are null: nomad_variable.secrets names those a job needs but lacks.

variable "nifi_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "nifi_sensitive_props_key" {
  type      = string
  sensitive = true
  default   = null
}

variable "nifi_tls_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "nifi_ca_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "nifi_ca_keystore" {
  type      = string
  sensitive = true
  default   = null
}

variable "postgres_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "failure_db_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "clickhouse_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "minio_root_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "superset_secret_key" {
  type      = string
  sensitive = true
  default   = null
}

variable "superset_admin_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "clickhouse_cluster_secret" {
  type      = string
  sensitive = true
  default   = null
}

variable "airflow_db_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "airflow_admin_password" {
  type      = string
  sensitive = true
  default   = null
}

variable "airflow_fernet_key" {
  type      = string
  sensitive = true
  default   = null
}

variable "airflow_webserver_secret_key" {
  type      = string
  sensitive = true
  default   = null
}

variable "paradedb_password" {
  type      = string
  sensitive = true
  default   = null
}
