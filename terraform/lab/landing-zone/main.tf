# The lab's landing zone for one service: the null provider only, so the lab and the tests apply
# it for real, offline. Its shape mirrors ../../modules/lpc-landing-zone (namespace, one placement
# per target host, network policy, health check).
terraform {
  required_version = ">= 1.0.0"
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "2.1.2"
    }
  }
}

variable "service" {
  type        = string
  description = "Service id from the catalog."
}

variable "hosts" {
  type        = list(string)
  description = "Target (LPC) hosts of the service."
}

variable "release" {
  type        = string
  description = "LPC infrastructure release the landing zone is built on."
}

variable "fault_file" {
  type        = string
  default     = "/nonexistent"
  description = "Lab fault injection: if this file exists the health check fails, or, if it reads 'sleep N', takes N seconds (a drill: an apply to interrupt)."
}

resource "null_resource" "namespace" {
  triggers = {
    service = var.service
    release = var.release
  }
}

resource "null_resource" "placement" {
  for_each = toset(var.hosts)
  triggers = {
    host      = each.key
    namespace = null_resource.namespace.id
  }
}

resource "null_resource" "network_policy" {
  triggers = {
    namespace = null_resource.namespace.id
    hosts     = join(",", sort(var.hosts))
  }
}

resource "null_resource" "health_check" {
  triggers = {
    policy = null_resource.network_policy.id
  }
  provisioner "local-exec" {
    command = "f='${var.fault_file}'; [ ! -e \"$f\" ] || { read -r word seconds < \"$f\"; [ \"$word\" = sleep ] && sleep \"$seconds\"; }"
  }
}

output "landing_zone" {
  value = {
    service   = var.service
    release   = var.release
    namespace = null_resource.namespace.id
    hosts     = sort(var.hosts)
  }
}
