"""What migrating one service takes, step by step, chosen by its disposition. Steps are data.

Each step says its kind (terraform, ansible, gate), the playbook or stack, which host groups it
runs on, whether it changes anything, how it is undone, whether completing it passes the point of
no return, and its retry policy and timeout. The engine runs the steps of a wave phase by phase:
one Ansible run per phase over all hosts of the wave, Terraform stacks in parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import cast

from orchestrator.catalog.models import Disposition, Service, StepPolicy

LEDGER_DIR = "var/lib/logius-migrate/ledger"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 1
    wait_seconds: float = 0.0


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # terraform | ansible | gate
    does: str
    playbook: str | None = None
    runs_on: tuple[str, ...] = ()  # host groups: legacy, lpc, gateway
    ledger_on: tuple[str, ...] = ()  # groups whose ledger records an application
    mutating: bool = True
    undo: str = "none"
    point_of_no_return: bool = False
    retry: RetryPolicy = RetryPolicy()
    timeout_seconds: int = 600
    wave_level: bool = False  # one execution for the whole wave (the approval gate)
    deferred: bool = False  # shown in the runbook, run later (not by `wave run`)


RESTORE_FILES = "restore recorded files"
IDEMPOTENT = RetryPolicy(attempts=2, wait_seconds=1.0)

PROVISION = Step("provision", "terraform", "build the LPC landing zone (terraform apply)",
                 mutating=True, undo="destroy or re-apply, restore state",
                 retry=RetryPolicy(attempts=3, wait_seconds=2.0),
                 timeout_seconds=900)
PREPARE = Step("prepare-target", "ansible", "install directories and configuration on the LPC hosts",
               "prepare-target.yml", ("lpc",), ("lpc",), undo=RESTORE_FILES, retry=IDEMPOTENT)
REPLICATE = Step("replicate-data", "ansible", "copy the data stores from legacy to LPC",
                 "replicate-data.yml", ("legacy", "lpc"), ("lpc",), undo=RESTORE_FILES,
                 retry=IDEMPOTENT, timeout_seconds=3600)
FREEZE = Step("freeze", "ansible", "put the legacy service in read-only mode", "freeze.yml",
              ("legacy",), ("legacy",), undo=RESTORE_FILES, retry=IDEMPOTENT)
FINAL_SYNC = Step("final-sync", "ansible", "copy what changed before the freeze", "replicate-data.yml",
                  ("legacy", "lpc"), ("lpc",), undo=RESTORE_FILES, retry=IDEMPOTENT,
                  timeout_seconds=3600)
ARCHIVE = Step("archive", "ansible", "archive what the retired service has on its legacy hosts",
               "archive.yml", ("legacy",), ("legacy",), undo=RESTORE_FILES, retry=IDEMPOTENT)
GATE = Step("approve", "gate", "a person approves the cutover of the wave (--approve or the prompt)",
            mutating=False, wave_level=True)
CUTOVER = Step("cutover", "ansible", "switch the gateway route to the LPC hosts", "cutover.yml",
               ("gateway",), ("gateway",), undo=RESTORE_FILES, point_of_no_return=True)
VERIFY = Step("verify", "ansible", "check configuration and routing on LPC (read-only)", "verify.yml",
              ("lpc", "gateway"), (), mutating=False, retry=IDEMPOTENT)
DECOMMISSION = Step("decommission", "ansible", "remove the service from legacy and drop its route",
                    "decommission.yml", ("legacy", "gateway"), ("legacy", "gateway"),
                    undo=RESTORE_FILES, point_of_no_return=True)
DECOMMISSION_LATER = Step(DECOMMISSION.name, DECOMMISSION.kind,
                          "remove the service from legacy after the hypercare period",
                          DECOMMISSION.playbook, DECOMMISSION.runs_on, DECOMMISSION.ledger_on,
                          undo=RESTORE_FILES, point_of_no_return=True, deferred=True)

#: The order of phases across every disposition.
PHASES = ("provision", "prepare-target", "replicate-data", "freeze", "final-sync", "archive",
          "approve", "cutover", "verify", "decommission")


#: The Azure test track of a rebuild (docs/azure-test-track.md), on its own site: the test VMs
#: stand where a migration's LPC hosts would (the group ``lpc`` of the track's own inventory).
AZ_PROVISION = Step("az-provision", "guarded-terraform",
                    "plan the Azure test environment, hold the plan to the guardrails AZ-GRD-*, apply it",
                    undo="terraform destroy (az-destroy)", retry=RetryPolicy(attempts=2, wait_seconds=2.0),
                    timeout_seconds=1800)
AZ_DEPLOY = Step("az-deploy", "ansible", "deploy the rebuild and its synthetic data set on the test VMs",
                 "deploy-rebuild.yml", ("lpc",), ("lpc",), undo=RESTORE_FILES, retry=IDEMPOTENT)
AZ_ACCEPTANCE = Step("az-acceptance", "ansible", "run the rebuild's acceptance tests (JUnit XML)",
                     "acceptance-tests.yml", ("lpc",), (), mutating=False)
AZ_REPORT = Step("az-report", "track-report", "write the track's report (Markdown, JSON, the JUnit)",
                 mutating=False)
AZ_DESTROY = Step("az-destroy", "terraform-destroy", "destroy the Azure test environment",
                  undo="none: a destroyed environment is provisioned again by a new run",
                  point_of_no_return=True, retry=RetryPolicy(attempts=2, wait_seconds=5.0),
                  timeout_seconds=1800)
AZURE_TEST_STEPS = (AZ_PROVISION, AZ_DEPLOY, AZ_ACCEPTANCE, AZ_REPORT, AZ_DESTROY)
TRACK_PHASES = tuple(step.name for step in AZURE_TEST_STEPS)
#: What each track step is to the guardrails (AZ-GRD-006, AZ-GRD-007).
TRACK_KINDS = {"az-provision": "provision", "az-deploy": "deploy", "az-acceptance": "test",
               "az-report": "report", "az-destroy": "destroy"}


@dataclass(frozen=True)
class Runbook:
    """What a run goes through: its phases in order, each service's steps, and whether the
    preconditions (PRE-*) gate a service before its first change."""

    name: str
    phases: tuple[str, ...]
    steps: Callable[[Service], tuple[Step, ...]]
    preconditions: bool = True


def azure_test_steps(service: Service) -> tuple[Step, ...]:
    return AZURE_TEST_STEPS


def step_named(service: Service, name: str) -> Step:
    """The step ``name`` of ``service``'s migration or of its test track."""
    return next(s for s in (*runbook_for(service), *AZURE_TEST_STEPS) if s.name == name)


def seq_of(step: Step) -> int:
    """A step's place in its run, as the journal orders executions."""
    return (*PHASES, *TRACK_PHASES).index(step.name)


def runbook_for(service: Service) -> tuple[Step, ...]:
    """The steps that migrate (or retire) ``service``, in order, each under the service's own
    step policy where the catalog gives one."""
    if service.disposition is Disposition.RETIRE:
        steps: tuple[Step, ...] = (FREEZE, ARCHIVE, GATE, DECOMMISSION)
    elif service.disposition is Disposition.NEW_BUILD or not service.hosts.legacy:
        steps = (PROVISION, PREPARE, GATE, CUTOVER, VERIFY)
    else:
        steps = (PROVISION, PREPARE, REPLICATE, FREEZE, FINAL_SYNC, GATE, CUTOVER, VERIFY, DECOMMISSION_LATER)
    if not service.step_policy:
        return steps
    policies = cast("Mapping[str, StepPolicy]", service.step_policy)  # keyed by step name
    return tuple(_with_policy(step, policies.get(step.name)) for step in steps)


def _with_policy(step: Step, policy: StepPolicy | None) -> Step:
    if policy is None:
        return step
    wait = step.retry.wait_seconds if policy.wait_seconds is None else policy.wait_seconds
    retry = RetryPolicy(attempts=policy.attempts or step.retry.attempts, wait_seconds=wait)
    return replace(step, retry=retry, timeout_seconds=policy.timeout_seconds or step.timeout_seconds)


def hosts_of(service: Service, groups: tuple[str, ...]) -> list[str]:
    """The service's hosts in the given groups (the gateway is shared, named ``gateway``)."""
    hosts: list[str] = []
    for group in groups:
        if group == "legacy":
            hosts += service.hosts.legacy
        elif group == "lpc":
            hosts += service.hosts.target
        elif group == "gateway":
            hosts.append("gateway")
    return hosts


def touched_paths(service: Service, group: str) -> list[str]:
    """Every path (relative to a host's root) that any step of ``service`` may change on a host of
    ``group``. Rollback points capture all of them, so two points never partly overlap."""
    sid = service.id
    ledger = f"{LEDGER_DIR}/{sid}"
    if group == "gateway":
        return [f"etc/gateway/routes/{sid}.conf", ledger]
    paths = [f"etc/{sid}", f"srv/{sid}", f"var/lib/{sid}", ledger]
    if group == "legacy":
        paths.append(f"var/archive/{sid}")
    return paths


def group_of(service: Service, host: str) -> str:
    if host == "gateway":
        return "gateway"
    return "legacy" if host in service.hosts.legacy else "lpc"


MIGRATION = Runbook("migration", PHASES, runbook_for)
AZURE_TEST = Runbook("azure-test", TRACK_PHASES, azure_test_steps, preconditions=False)
