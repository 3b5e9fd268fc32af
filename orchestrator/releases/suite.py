"""The acceptance suite of a supplier release: static checks of the manifest (REL-MAN-*), checks of
the platform through its Kubernetes API (REL-K8S-*), a Terraform plan of its landing zone
(REL-TF-*) and a smoke playbook on its hosts (REL-ANS-*). Every check has a stable id and answers
PASS, FAIL or INCONCLUSIVE with evidence; results come sorted by id. What could not be asked is
INCONCLUSIVE with the reason, never a PASS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.catalog.manifest import Manifest, Policy, version_tuple
from orchestrator.checks import Outcome, Result, maker

if TYPE_CHECKING:
    from orchestrator.sites import Site


@dataclass
class SuiteContext:
    manifest: Manifest
    policy: Policy
    kube: Any = None  # a KubeClient, or None without a cluster
    kube_reason: str = "no --site with a Kubernetes API was given"
    site: Site | None = None  # the site whose landing zone and hosts are checked, or None
    backend: Any = None  # Terraform's backend for the site (None: local state)
    progress: Callable[[str], None] = field(default=lambda line: None)


def components(ctx: SuiteContext) -> Result:
    make = maker("REL-MAN-001", "required components present, versions supported", ctx.manifest)
    have = {c.name: c for c in ctx.manifest.components}
    problems = []
    for need in ctx.policy.required_components:
        found = have.get(need.name)
        if found is None:
            problems.append(f"{need.name} missing")
            continue
        version = version_tuple(found.version)
        if version < version_tuple(need.min_version) or (
                need.max_version and version > version_tuple(need.max_version)):
            window = f"{need.min_version}..{need.max_version or 'any'}"
            problems.append(f"{need.name} {found.version} outside {window}")
    asked = ", ".join(f"{n.name} {n.min_version}..{n.max_version or 'any'}"
                      for n in ctx.policy.required_components)
    answer = ", ".join(f"{c.name} {c.version}" for c in ctx.manifest.components)
    if problems:
        return make(Outcome.FAIL, "; ".join(problems), asked, answer, "deliver the supported versions")
    return make(Outcome.PASS, f"{len(ctx.policy.required_components)} required components at "
                              f"supported versions", asked, answer)


def digests(ctx: SuiteContext) -> Result:
    make = maker("REL-MAN-002", "images pinned by digest", ctx.manifest)
    moving = set(ctx.policy.moving_tags)
    unpinned = [c.name for c in ctx.manifest.components if c.digest is None]
    floating = [f"{c.name}:{c.tag}" for c in ctx.manifest.components if c.tag in moving]
    answer = "; ".join(f"{c.name}: {c.image}" for c in ctx.manifest.components)
    if unpinned or floating:
        why = ([f"no digest: {', '.join(unpinned)}"] if unpinned else []) + \
              ([f"moving tag: {', '.join(floating)}"] if floating else [])
        return make(Outcome.FAIL, "; ".join(why), "every image as REPOSITORY[:TAG]@sha256:DIGEST",
                    answer, "pin every image by its sha256 digest")
    return make(Outcome.PASS, f"all {len(ctx.manifest.components)} images pinned by digest", "", answer)


def known_issues(ctx: SuiteContext) -> Result:
    make = maker("REL-MAN-003", "known issues declared, none blocking", ctx.manifest)
    issues = ctx.manifest.known_issues
    if issues is None:
        return make(Outcome.FAIL, "the manifest does not declare its known issues", "known_issues",
                    "absent", "declare known_issues (an empty list if there are none)")
    blocking = [i for i in issues if i.severity == "blocking" and not i.workaround]
    answer = "; ".join(f"{i.id} {i.severity}: {i.title}" for i in issues) or "none"
    if blocking:
        return make(Outcome.FAIL, f"{len(blocking)} blocking known issue(s) without a workaround: "
                                  + ", ".join(i.id for i in blocking), "known_issues", answer,
                    "fix them, or give each a workaround")
    return make(Outcome.PASS, f"{len(issues)} known issue(s) declared, none blocking", "known_issues", answer)


def kubernetes_skew(ctx: SuiteContext) -> Result:
    make = maker("REL-MAN-004", "Kubernetes version within the supported window", ctx.manifest)
    low, high = ctx.policy.kubernetes_min, ctx.policy.kubernetes_max
    version = version_tuple(ctx.manifest.kubernetes_version)
    inside = version_tuple(low)[:2] <= version[:2] <= version_tuple(high)[:2]
    asked = f"supported {low}..{high}"
    if not inside:
        return make(Outcome.FAIL, f"Kubernetes {ctx.manifest.kubernetes_version} is outside {low}..{high}",
                    asked, ctx.manifest.kubernetes_version, "upgrade to a supported minor version")
    return make(Outcome.PASS, f"Kubernetes {ctx.manifest.kubernetes_version} is within {low}..{high}",
                asked, ctx.manifest.kubernetes_version)


def claims(ctx: SuiteContext) -> Result:
    make = maker("REL-MAN-005", "storage, ingress and network policy claimed", ctx.manifest)
    names = {s.name for s in ctx.manifest.storage_classes}
    missing = [n for n in ctx.policy.required_storage_classes if n not in names]
    defaults = [s.name for s in ctx.manifest.storage_classes if s.default]
    problems = ([f"storage classes missing: {', '.join(missing)}"] if missing else []) + \
               ([] if len(defaults) == 1 else [f"{len(defaults)} default storage classes (want one)"]) + \
               ([] if ctx.manifest.ingress else ["no ingress"]) + \
               ([] if ctx.manifest.network_policy else ["no NetworkPolicy support"])
    answer = (f"storage {', '.join(sorted(names)) or 'none'} (default {', '.join(defaults) or 'none'}); "
              f"ingress {ctx.manifest.ingress}; network policy {ctx.manifest.network_policy}")
    if problems:
        return make(Outcome.FAIL, "; ".join(problems), "storage_classes, ingress, network_policy", answer,
                    "claim what the migrations need")
    return make(Outcome.PASS, "storage classes, ingress and network policy as required",
                "storage_classes, ingress, network_policy", answer)


STATIC = [components, digests, known_issues, kubernetes_skew, claims]


def run_suite(ctx: SuiteContext) -> list[Result]:
    """Every check of the suite, sorted by id."""
    from orchestrator.releases import landing_zone, platform, smoke

    results = [check(ctx) for check in STATIC]
    site = f"site {ctx.site.name}" if ctx.site else "no site"
    for group, what, checks in (("REL-K8S", "the Kubernetes API", platform.run),
                                ("REL-TF", "terraform plan of the platform landing zone", landing_zone.run),
                                ("REL-ANS", "the smoke playbook on the LPC hosts", smoke.run)):
        ctx.progress(f"{group}: {what} ({site})")
        results += checks(ctx)
    return sorted(results, key=lambda r: r.check_id)
