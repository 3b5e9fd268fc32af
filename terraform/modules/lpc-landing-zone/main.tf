# The shape of the real LPC landing zone for one service. The LPC supplier's provider is not
# public, so this module states the contract (inputs, guardrails, outputs) the lab stack mirrors
# with null resources; the supplier's release binds it to their provider.
terraform {
  required_version = ">= 1.0.0"
}

variable "service" {
  type = string
  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$", var.service))
    error_message = "The service must be a catalog id (lowercase letters, digits, inner hyphens)."
  }
}

variable "hosts" {
  type = list(string)
}

variable "release" {
  type        = string
  description = "The LPC release this landing zone needs; waves run only on accepted releases."
}

variable "availability_norm" {
  type    = number
  default = 99.8
  validation {
    condition     = var.availability_norm > 0 && var.availability_norm <= 100
    error_message = "The availability norm is a percentage."
  }
}

variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  tags = merge(var.tags, {
    "logius:service" = var.service
    "logius:release" = var.release
    "logius:managed" = "logius-migrate"
  })
}

output "landing_zone" {
  value = {
    service = var.service
    release = var.release
    hosts   = sort(var.hosts)
    tags    = local.tags
  }
}
