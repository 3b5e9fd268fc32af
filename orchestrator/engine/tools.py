"""The engine's handles on the adapters: a Terraform stack and a child-process watch, both tied to
a run, so every tool process is recorded in the journal and honours a stop request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator import liveness
from orchestrator.catalog.models import Service
from orchestrator.engine.context import EngineContext


def child_watch(ctx: EngineContext, run_id: str, cancel_on_first_stop: bool) -> Any:
    """A ChildWatch that records each tool process of ``run_id`` in the journal before it runs, and
    cancels it on the first stop request (Ansible) or only on an urgent one (Terraform)."""
    from orchestrator.steps.processes import ChildWatch

    def started(spawned: Any) -> int:
        return ctx.journal.add_process(run_id, spawned.pid, liveness.process_start(spawned.pid),
                                       spawned.what.split()[0], spawned.what, spawned.pgid, spawned.token)

    def cancel() -> bool:
        return ctx.stop.requested if cancel_on_first_stop else ctx.stop.urgent

    return ChildWatch(started=started, ended=ctx.journal.remove_process, cancel=cancel)


def stack_for(ctx: EngineContext, service: Service, run_id: str, init: bool = True) -> Any:
    """The service's Terraform stack on the site's backend, with the site's module for its
    disposition; written and initialised as needed unless ``init`` is False."""
    from orchestrator.steps.terraform import TerraformEnv, TerraformStack, write_root_module, write_track_root

    directory = ctx.site.stack_dir(service.id)
    env = ctx.site.terraform_env()
    if ctx.track is not None:  # the cloud's credentials, for terraform's environment alone
        env = TerraformEnv(env.cli_config, env.home, {**env.secrets, **ctx.track.credentials})
    stack = TerraformStack(directory, env, ctx.backend,
                           watch=child_watch(ctx, run_id, cancel_on_first_stop=False))
    if init:
        module = ctx.site.module_for(service.disposition.value)
        if ctx.track is not None:
            changed = write_track_root(directory, module, sorted(ctx.track.variables))
        else:
            changed = write_root_module(directory, module, list(ctx.site.variables))
        if changed or not stack.initialized:
            stack.init()
    return stack


def tf_variables(ctx: EngineContext, service: Service) -> dict[str, Any]:
    """The module's variables: the engine's own, then the site's extra ones (a test track's: the
    ones its run recorded when it began)."""
    if ctx.track is not None:
        return dict(ctx.track.variables)
    return {"service": service.id, "hosts": list(service.hosts.target),
            "release": service.min_release or "none", **ctx.site.terraform_variables(service.id)}


def terraform_planner(ctx: EngineContext) -> Callable[[Service], list[dict[str, Any]]]:
    """What the checks plan with: the changes the service's stack would make (PRE-TF-001)."""
    def planned(service: Service) -> list[dict[str, Any]]:
        return stack_for(ctx, service, run_id="check").planned_changes(tf_variables(ctx, service))
    return planned
