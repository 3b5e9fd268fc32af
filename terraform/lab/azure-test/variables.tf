# The same variables as ../azure-test-environment/variables.tf (tests/guardrails/test_modules.py holds them equal).
variable "service" {
  type        = string
  default     = "digipoort"
  description = "The catalog id of the service rebuilt and tested here; every name starts with it."
  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$", var.service))
    error_message = "The service is a catalog id of at most 16 characters (lowercase letters, digits, inner hyphens)."
  }
}

variable "region" {
  type        = string
  default     = "westeurope"
  description = "The Azure region; the guardrails allow EU regions only (AZ-GRD-001)."
}

variable "allowed_source_ranges" {
  type        = list(string)
  description = "The CIDR ranges (the agency's networks) that may reach the bastion; nothing else is reachable."
  validation {
    condition     = length(var.allowed_source_ranges) > 0 && alltrue([for r in var.allowed_source_ranges : can(cidrhost(r, 0)) && r != "0.0.0.0/0"])
    error_message = "The allowed source ranges are CIDR ranges, at least one, never 0.0.0.0/0."
  }
}

variable "budget_amount" {
  type        = number
  description = "The month's cost budget of the environment in the subscription's currency."
  validation {
    condition     = var.budget_amount > 0
    error_message = "The budget is a positive amount."
  }
}

variable "budget_start" {
  type        = string
  description = "The first day of the budget's first month (RFC 3339, e.g. 2026-12-01T00:00:00Z)."
}

variable "budget_contacts" {
  type        = list(string)
  description = "Who is mailed when the spend passes the notification thresholds."
}

variable "owner" {
  type        = string
  description = "Who answers for the environment (tag owner)."
}

variable "expires_on" {
  type        = string
  description = "The day the environment is destroyed (YYYY-MM-DD, tag expires_on; AZ-GRD-007)."
  validation {
    condition     = can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", var.expires_on))
    error_message = "The expiry date is YYYY-MM-DD."
  }
}

variable "vm_count" {
  type        = number
  default     = 2
  description = "How many Linux VMs the rebuild runs on (the gateway and the application)."
}

variable "vm_size" {
  type    = string
  default = "Standard_D2s_v5"
}

variable "admin_username" {
  type    = string
  default = "ansible"
}

variable "admin_ssh_public_key" {
  type        = string
  description = "The public key Ansible logs in with (through the bastion); no passwords."
}

variable "address_space" {
  type    = string
  default = "10.42.0.0/16"
}

variable "compute_subnet" {
  type    = string
  default = "10.42.1.0/24"
}

variable "bastion_subnet" {
  type    = string
  default = "10.42.2.0/26"
}

variable "endpoint_subnet" {
  type    = string
  default = "10.42.3.0/24"
}
