output "host_addresses" {
  value = { for i, vm in null_resource.vm : local.hosts[i] => vm.triggers.address }
}

output "resource_group_id" {
  value = "/subscriptions/lab/resourceGroups/${local.name}#${null_resource.resource_group.id}"
}

output "budget_id" {
  value = "/subscriptions/lab/resourceGroups/${local.name}/providers/Microsoft.Consumption/budgets/${local.name}-budget#${null_resource.budget.id}"
}

output "bastion_name" {
  value = "${local.name}-bastion"
}

output "key_vault_id" {
  value = "/subscriptions/lab/resourceGroups/${local.name}/providers/Microsoft.KeyVault/vaults/${var.service}-test-kv"
}

output "storage_account_id" {
  value = "/subscriptions/lab/resourceGroups/${local.name}/providers/Microsoft.Storage/storageAccounts/${var.service}testsa"
}

output "log_analytics_workspace_id" {
  value = "/subscriptions/lab/resourceGroups/${local.name}/providers/Microsoft.OperationalInsights/workspaces/${local.name}-logs"
}

output "expires_on" {
  value = var.expires_on
}
