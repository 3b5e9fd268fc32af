"""The approval gate before cutover: a wave-level step, done once approved (by ``--approve`` or
at the prompt); without an approval the run stops there, waiting, with nothing past it run."""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.catalog.models import Service
from orchestrator.engine.executors.base import WAVE_SERVICE, Change, RunScope, Work, seq
from orchestrator.errors import AwaitingApproval


class ApprovalGate:
    def __init__(self, scope: RunScope, approve: bool, approver: Callable[[str], bool] | None,
                 active: Callable[[], list[Service]]) -> None:
        self.scope, self.approve, self.approver, self.active = scope, approve, approver, active

    def _question(self) -> str:
        return (f"Wave {self.scope.wave}: approve the cutover of "
                f"{', '.join(s.id for s in self.active())}?")

    def plan(self, work: Work) -> list[Change]:
        if self.scope.done(WAVE_SERVICE, work.step):
            return []
        return [Change(WAVE_SERVICE, work.step.name, self._question(), "gate")]

    def apply(self, work: Work) -> None:
        scope, step = self.scope, work.step
        ctx = scope.ctx
        if scope.done(WAVE_SERVICE, step):
            return
        if self.approve:
            how = f"approved with --approve by {ctx.owner}"
        elif self.approver is not None and self._ask(self.approver, self._question()):
            how = f"approved at the prompt by {ctx.owner}"
        else:
            raise AwaitingApproval(
                f"wave {scope.wave} stopped at the approval gate before cutover (nothing past it "
                f"ran); continue with: logius-migrate wave resume {scope.wave} --approve")
        ctx.stop.check("at the approval gate, before cutover")
        self._decide(how)
        ctx.journal.begin_step(scope.run_id, WAVE_SERVICE, step.name, seq(step))
        ctx.journal.finish_step(scope.key(WAVE_SERVICE, step), "done", output=how)
        ctx.journal.log(scope.run_id, "gate", how)
        ctx.progress.on_step(WAVE_SERVICE, step.name, "done")

    def _decide(self, how: str) -> None:
        """The approval as a cutover-approval decision of the operator (signed with the run's
        signer), in the journal before the gate's step is done."""
        from orchestrator.journal import decisions

        scope, ctx = self.scope, self.scope.ctx
        services = ",".join(s.id for s in self.active())
        decision = decisions.make(decisions.policy_of(ctx.site), "cutover-approval",
                                  f"wave {scope.wave} run {scope.run_id}", ctx.owner.rsplit("@", 1)[0],
                                  how, {"run": scope.run_id, "services": services}, ctx.signer, typed=False)
        with ctx.journal.engine.begin() as connection:
            decisions.write(connection, decision)

    def _ask(self, approver: Callable[[str], bool], question: str) -> bool:
        """The person's answer; a stop request at the prompt ends it at once (Interrupted)."""
        with self.scope.ctx.stop.waiting("at the approval prompt, before cutover"):
            return approver(question)
