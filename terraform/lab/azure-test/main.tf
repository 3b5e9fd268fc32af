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

# The lab's fault: a file <lab>/faults/<service>.azure-destroy makes the destroy of the resource
# group fail (the VMs and budget in it are destroyed first, so the group is what is left). The path
# is relative to the stack's working directory, <lab>/azure-test/work/<service>, where terraform
# runs; a destroy-time provisioner may read only its own resource, so the trigger holds it.
resource "null_resource" "resource_group" {
  triggers = merge(local.tags, {
    name      = local.name
    region    = var.region
    lab_fault = "../../../faults/${var.service}.azure-destroy"
  })
  provisioner "local-exec" {
    when    = destroy
    command = "f='${self.triggers.lab_fault}'; [ ! -e \"$f\" ] || { echo \"lab fault: $f makes the destroy of ${self.triggers.name} fail\" >&2; exit 1; }"
  }
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
    resource_group = null_resource.resource_group.id
    name           = local.hosts[count.index]
    address        = cidrhost(var.compute_subnet, 4 + count.index)
  })
}
