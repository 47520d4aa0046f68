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
  description = "Job files ../<name>.nomad.hcl to run."
}

variable "job_secrets" {
  type        = map(list(string))
  description = "For each job, the secret .env keys its Nomad variable nomad/jobs/<job> holds."
}

# Secrets: never in a file; supply each as TF_VAR_<name> (the lower-cased .env key).

variable "nifi_password" {
  type      = string
  sensitive = true
}

variable "nifi_sensitive_props_key" {
  type      = string
  sensitive = true
}

variable "postgres_password" {
  type      = string
  sensitive = true
}

variable "failure_db_password" {
  type      = string
  sensitive = true
}

variable "clickhouse_password" {
  type      = string
  sensitive = true
}

variable "minio_root_password" {
  type      = string
  sensitive = true
}

variable "superset_secret_key" {
  type      = string
  sensitive = true
}

variable "superset_admin_password" {
  type      = string
  sensitive = true
}
