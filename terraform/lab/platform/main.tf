# The lab's platform landing zone: what the supplier's release builds once for the whole LPC
# platform (the cluster at a Kubernetes version, each component at its image, the storage classes,
# ingress and network policy), with the null provider only, so the lab and the tests apply it and
# plan it for real, offline. `logius-migrate lab up` applies it with the lab's release;
# `release validate --site` plans it against a manifest (REL-TF-001: no drift). Its inputs are the
# contract of ../../modules/lpc-platform.
terraform {
  required_version = ">= 1.0.0"
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "2.1.2"
    }
  }
}

variable "release" {
  type        = string
  description = "The release id of the manifest."
}

variable "kubernetes_version" {
  type        = string
  description = "The Kubernetes version the release runs."
}

variable "components" {
  type        = map(string)
  description = "Component name -> image (REPOSITORY:TAG@sha256:DIGEST)."
}

variable "workloads" {
  type        = map(map(string))
  description = "Component name -> {namespace, workload} (workload: KIND/NAME), for the components that name them."
  default     = {}
}

variable "storage_classes" {
  type        = map(bool)
  description = "Storage class name -> whether it is the default."
}

variable "ingress" {
  type = bool
}

variable "network_policy" {
  type = bool
}

resource "null_resource" "cluster" {
  triggers = {
    kubernetes_version = var.kubernetes_version
  }
}

resource "null_resource" "component" {
  for_each = var.components
  triggers = {
    image     = each.value
    namespace = lookup(lookup(var.workloads, each.key, {}), "namespace", "")
    workload  = lookup(lookup(var.workloads, each.key, {}), "workload", "")
  }
}

resource "null_resource" "storage_class" {
  for_each = var.storage_classes
  triggers = {
    default = tostring(each.value)
  }
}

resource "null_resource" "network" {
  triggers = {
    ingress        = tostring(var.ingress)
    network_policy = tostring(var.network_policy)
  }
}

# Everything the platform is, as delivered: the lab's Kubernetes API stand-in reads it back from
# the state (orchestrator/lab/platform_state.py).
output "platform" {
  value = {
    release            = var.release
    kubernetes_version = var.kubernetes_version
    components = { for name, image in var.components : name => {
      image     = image
      namespace = lookup(lookup(var.workloads, name, {}), "namespace", "")
      workload  = lookup(lookup(var.workloads, name, {}), "workload", "")
    } }
    storage_classes       = var.storage_classes
    default_storage_class = [for name, is_default in var.storage_classes : name if is_default]
    ingress               = var.ingress
    network_policy        = var.network_policy
  }
}
