"""The service catalog: `seeds/` loaded and validated into typed models."""

from orchestrator.catalog.loader import Catalog, catalog_from_data, default_catalog_path, load_catalog

__all__ = ["Catalog", "catalog_from_data", "default_catalog_path", "load_catalog"]
