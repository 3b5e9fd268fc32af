output "host_addresses" {
  description = "The VMs' private addresses by name: the Ansible inventory of the track (through the bastion)."
  value       = { for i, vm in azurerm_linux_virtual_machine.vm : vm.name => azurerm_network_interface.vm[i].private_ip_address }
}

output "resource_group_id" {
  value = azurerm_resource_group.test.id
}

output "budget_id" {
  value = azurerm_consumption_budget_resource_group.test.id
}

output "bastion_name" {
  value = azurerm_bastion_host.test.name
}

output "key_vault_id" {
  value = azurerm_key_vault.test.id
}

output "storage_account_id" {
  value = azurerm_storage_account.test.id
}

output "log_analytics_workspace_id" {
  value = azurerm_log_analytics_workspace.test.id
}

output "expires_on" {
  value = var.expires_on
}
