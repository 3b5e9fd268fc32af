# The shape of the real LPC platform landing zone: the inputs a supplier release binds it to (they
# are read from the release manifest by `logius-migrate release validate`, REL-TF-001) and its
# output. The supplier's provider is not public; the lab's ../../lab/platform implements the same
# contract with null resources.
terraform {
  required_version = ">= 1.0.0"
}

variable "release" {
  type        = string
  description = "The release id of the manifest."
}

variable "kubernetes_version" {
  type = string
  validation {
    condition     = can(regex("^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$", var.kubernetes_version))
    error_message = "The Kubernetes version is MAJOR.MINOR[.PATCH]."
  }
}

variable "components" {
  type        = map(string)
  description = "Component name -> image, pinned by digest."
  validation {
    condition     = alltrue([for image in values(var.components) : can(regex("@sha256:[0-9a-f]{64}$", image))])
    error_message = "Every component image is pinned by its sha256 digest."
  }
}

variable "workloads" {
  type        = map(map(string))
  description = "Component name -> {namespace, workload} (workload: KIND/NAME), for the components that name them."
  default     = {}
}

variable "storage_classes" {
  type        = map(bool)
  description = "Storage class name -> whether it is the default."
  validation {
    condition     = length([for name, is_default in var.storage_classes : name if is_default]) == 1
    error_message = "Exactly one storage class is the default."
  }
}

variable "ingress" {
  type = bool
}

variable "network_policy" {
  type = bool
}

output "platform" {
  value = {
    release            = var.release
    kubernetes_version = var.kubernetes_version
    components         = sort(keys(var.components))
  }
}
