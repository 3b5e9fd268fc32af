"""REL-TF-*: the site's LPC platform landing zone, planned with Terraform against the release.

The landing zone (``terraform.platform`` of the site: a module and a working directory) was applied
by the supplier with their release. ``terraform plan -detailed-exitcode`` with the manifest's values
(Kubernetes version, component images, storage classes, ingress, network policy) then changes
nothing (exit 0: PASS), or shows the drift between what runs and what the release states (exit 2:
FAIL, with terraform's diff as the evidence). A landing zone with no state, a site without one, or
a plan that cannot be made is INCONCLUSIVE with the reason.
"""

from __future__ import annotations

from typing import Any

from orchestrator.checks import Outcome, Result, maker

CHECK_ID, TITLE = "REL-TF-001", "the platform landing zone shows no drift against the release"
MAX_DIFF_LINES = 400


def run(ctx: Any) -> list[Result]:
    make = maker(CHECK_ID, TITLE, ctx.manifest)
    site = ctx.site
    if site is None:
        return [make(Outcome.INCONCLUSIVE, "not checked: no site was given",
                     remedy="validate with --site SITE")]
    if site.platform is None:
        return [make(Outcome.INCONCLUSIVE, f"not checked: site {site.name} declares no platform landing zone",
                     remedy="name it in the site file: terraform.platform: {module, work_dir}")]
    from orchestrator.errors import LogiusMigrateError

    try:
        return [_plan(ctx, make)]
    except LogiusMigrateError as exc:
        return [make(Outcome.INCONCLUSIVE, f"not checked: {exc}", "terraform plan -detailed-exitcode",
                     str(exc), "make the landing zone's working directory plannable")]


def _plan(ctx: Any, make: Any) -> Result:
    from orchestrator.catalog.manifest import platform_variables
    from orchestrator.steps.terraform import TerraformStack, write_platform_module

    module, work_dir = ctx.site.platform
    backend = ctx.backend.for_platform() if ctx.backend is not None else None
    stack = TerraformStack(work_dir, ctx.site.terraform_env(), backend)
    if write_platform_module(work_dir, module) or not stack.initialized:
        stack.init()
    asked = f"terraform plan -detailed-exitcode in {work_dir} with {ctx.manifest.id}'s values"
    if not stack.resources():
        return make(Outcome.INCONCLUSIVE, f"not checked: the landing zone in {work_dir} has no state "
                                          f"(nothing applied to compare with)", asked, "no state",
                    "apply the release's landing zone first")
    diff = stack.drift(platform_variables(ctx.manifest))
    if diff is None:
        return make(Outcome.PASS, f"no drift: the landing zone is as {ctx.manifest.id} states",
                    asked, "exit 0: no changes")
    lines = diff.splitlines()
    summary = next((line for line in lines if line.startswith("Plan: ")), "changes planned")
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"... ({len(lines) - MAX_DIFF_LINES} more lines)"]
    return make(Outcome.FAIL, f"drift: the landing zone differs from {ctx.manifest.id}: {summary}",
                asked, "exit 2:\n" + "\n".join(lines),
                "bring the landing zone to the release, or validate the release it runs")
