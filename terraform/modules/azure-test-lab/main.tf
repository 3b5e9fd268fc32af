# The lab's stand-in for azure-test-environment: the same variables and outputs on the null
# provider (the lab's provider mirror has only null), so the track's engine path runs on the lab's
# hosts as the test VMs. Nothing here reaches Azure.
terraform {
  required_version = ">= 1.0.0"
  required_providers {
    null = {
      source = "hashicorp/null"
    }
  }
}

locals {
  name = "${var.service}-azure-test"
  tags = {
    data_classification = "test"
    owner               = var.owner
    expires_on          = var.expires_on
    service             = var.service
  }
  hosts = [for i in range(var.vm_count) : "${local.name}-vm-${i}"]
}

resource "null_resource" "resource_group" {
  triggers = merge(local.tags, { name = local.name, region = var.region })
}

resource "null_resource" "budget" {
  triggers = {
    resource_group = null_resource.resource_group.id
    amount         = tostring(var.budget_amount)
    start          = var.budget_start
    contacts       = join(",", var.budget_contacts)
  }
}

resource "null_resource" "vm" {
  count = var.vm_count
  triggers = merge(local.tags, {
    name    = local.hosts[count.index]
    address = cidrhost(var.compute_subnet, 4 + count.index)
  })
}
