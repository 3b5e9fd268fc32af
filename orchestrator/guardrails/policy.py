"""The Rijkscloud conditions a site sets for its Azure test track: which regions, which source
ranges may reach it, how long it may live, the names of other sites' hosts and data stores."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestrator.errors import InputError
from orchestrator.guardrails.documents import read_mapping
from orchestrator.resources import resource

DEFAULT_POLICY = ("modules", "azure-test-environment", "policy.yaml")


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_regions: frozenset[str] = Field(min_length=1)
    allowed_ranges: tuple[str, ...] = Field(min_length=1)
    max_expiry_days: int = Field(gt=0, le=366)
    other_site_names: frozenset[str] = frozenset()
    #: Azure's own service tags an inbound rule may name (the platform, not the internet).
    platform_service_tags: frozenset[str] = frozenset({"GatewayManager", "AzureLoadBalancer",
                                                       "VirtualNetwork"})

    @field_validator("allowed_regions")
    @classmethod
    def _regions(cls, value: frozenset[str]) -> frozenset[str]:
        return frozenset(region_name(r) for r in value)

    @field_validator("allowed_ranges")
    @classmethod
    def _ranges(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            network = ipaddress.ip_network(item, strict=False)  # ValueError names the item
            if network.prefixlen == 0:
                raise ValueError(f"{item} is the whole internet")
        return value


def region_name(region: str) -> str:
    """Azure's names for a region, "West Europe" or "westeurope", as the latter."""
    return region.replace(" ", "").lower()


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path`` (default: the shipped seeds/azure-test/policy.yaml); InputError, one
    line naming the file and the field, when it is not one."""
    file = path or resource("terraform").joinpath(*DEFAULT_POLICY)
    document = read_mapping(file, "{allowed_regions, allowed_ranges, max_expiry_days, other_site_names}")
    try:
        return Policy.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "(top)"
        raise InputError(f"{file}: field {where}: {error['msg']}") from None
