# The Azure test and development environment of a rebuild (Digipoort first): developed and tested
# on the public cloud under the Rijkscloud conditions, destroyed when the test is done. The
# guardrails (AZ-GRD-*) check its plan before any apply; see README.md and docs/azure-test-track.md.
terraform {
  required_version = ">= 1.0.0"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.14"
    }
  }
}

provider "azurerm" {
  features {}
}

data "azurerm_client_config" "current" {}
