"""AZ-GRD-003: nothing reachable from the internet but through the allowed source ranges.

Two ways in are read: inbound Allow rules of network security groups (inline ``security_rule``
blocks and ``azurerm_network_security_rule``) whose source is everyone (``*``, ``0.0.0.0/0``,
``Internet``), a public range outside the policy's, or a service tag the policy does not name; and
public IPs attached to something (found by the configuration's references): on a bastion whose
subnet has a network security group they pass (its rules are read above), on an outbound-only NAT
gateway too, on anything else (a NIC, a load balancer) they make it reachable and fail."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from orchestrator.guardrails.plan import Plan, Resource
from orchestrator.guardrails.policy import Policy
from orchestrator.guardrails.results import Evidence, Finding, Result

ID, TITLE = "AZ-GRD-003", "no public IP or endpoint open beyond the allowed ranges"
EVERYONE = frozenset({"*", "0.0.0.0/0", "::/0", "internet", "any"})
OUTBOUND_ONLY = frozenset({"azurerm_nat_gateway", "azurerm_nat_gateway_public_ip_association"})
NEEDS_NSG = frozenset({"azurerm_bastion_host"})


def check(plan: Plan, policy: Policy) -> Result:
    found = Finding(ID, TITLE)
    for address, rule in inbound_allow_rules(plan):
        _rule(address, rule, policy, found)
    for public_ip in plan.of_type("azurerm_public_ip", "azurerm_public_ip_prefix"):
        _public_ip(plan, public_ip, found)
    return found.result(f"{len(found.seen)} inbound rule(s) and public IP(s) restricted",
                        f"{len(found.failed)} way(s) in beyond the allowed ranges",
                        "a rule's source or an attachment is known only after apply",
                        remedy="restrict inbound sources to the allowed ranges; reach VMs through the "
                               "bastion")


def inbound_allow_rules(plan: Plan) -> Iterator[tuple[str, dict[str, Any]]]:
    for nsg in plan.of_type("azurerm_network_security_group"):
        for number, rule in enumerate(nsg.values.get("security_rule") or []):
            yield f"{nsg.address}.security_rule[{number}]", rule
    for rule in plan.of_type("azurerm_network_security_rule"):
        yield rule.address, rule.values
    return


def _rule(address: str, rule: dict[str, Any], policy: Policy, found: Finding) -> None:
    if str(rule.get("direction", "")).lower() != "inbound" or str(rule.get("access", "")).lower() != "allow":
        return
    sources = [rule.get("source_address_prefix"), *(rule.get("source_address_prefixes") or [])]
    for source in (s for s in sources if s not in (None, "")):
        evidence = Evidence(f"{address} ({rule.get('name', '')})", "source_address_prefix", source)
        verdict = source_verdict(str(source), policy)
        (found.seen if verdict else found.failed).append(evidence)
    if all(s in (None, "") for s in sources):
        found.unknown.append(Evidence(address, "source_address_prefix", "(known after apply)"))


def source_verdict(source: str, policy: Policy) -> bool:
    """Whether an inbound source is restricted: a private range, inside an allowed range, or a
    platform service tag the policy names."""
    if source.lower() in EVERYONE:
        return False
    try:
        network = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return source in policy.platform_service_tags
    if network.is_private:
        return True
    return any(network.version == allowed.version and network.subnet_of(allowed)  # type: ignore[arg-type]
               for allowed in (ipaddress.ip_network(r, strict=False) for r in policy.allowed_ranges))


def _public_ip(plan: Plan, public_ip: Resource, found: Finding) -> None:
    base = public_ip.address.split("[")[0]
    users = [r for r in plan.resources if base in r.referenced()]
    if not users:
        found.seen.append(Evidence(public_ip.address, "attached to", "nothing"))
    for user in users:
        evidence = Evidence(public_ip.address, "attached to", user.address)
        if user.type in OUTBOUND_ONLY or (user.type in NEEDS_NSG and _subnet_has_nsg(plan, user)):
            found.seen.append(evidence)
        else:
            found.failed.append(evidence)


def _subnet_has_nsg(plan: Plan, user: Resource) -> bool:
    subnets = {a for path, addresses in user.refs.items() if path.endswith("subnet_id") for a in addresses}
    associations = plan.of_type("azurerm_subnet_network_security_group_association")
    return bool(subnets) and subnets <= {a for r in associations for a in r.refs.get("subnet_id", ())}
