"""What a phase's playbook would do, task by task and host by host, told from its check-mode run
(``--check --diff``): change (with the diff), no-change, unknown (and why) or fail.

Check mode cannot see the changes earlier tasks would have made, so its own answers are not taken
at face value. A task fails in check mode, or is skipped by its condition, or reads what is not
there yet, because an earlier step's change is not made: such a result is reported unknown,
"depends on a change an earlier step would make", never "no change" and never a failure. An
earlier step is any task an earlier phase of the same rehearsal (:class:`Rehearsed`) or an earlier
task of the same run predicted as a change or an unknown. Whether a result depends on one:

- a task whose paths are known (an unchanged ``stat``, ``find``, ``slurp``) depends on an earlier
  step on the same host whose paths overlap, or whose paths are not known and is of the same
  service, or on a task of the same service that could not run in check mode (it may have done
  anything: the fetch that stages data for a copy);
- a task whose paths are not known (an ``assert``, a skipped task, a censored failure) depends on
  any of those, and on any earlier step of the same service (on its own host first; another
  host's unknowns for being unreachable excepted).

The reason names one cause: the latest the first rule finds, in the run under way before the
earlier phases; a dependant's cause is named by what that one depends on.
Ansible-runner gives no result for a skipped task outside a loop, so such a skip is told by its
module: one that cannot run in check mode (``NO_CHECK_MODE``) was skipped for that, any other by
its condition; in a loop each item says which.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

CHANGE, NO_CHANGE, UNKNOWN, FAIL = "change", "no-change", "unknown", "fail"
CANNOT_RUN = "the module cannot run in check mode"
DEPENDS = "depends on a change an earlier step would make: "
UNREACHABLE = "the host was unreachable: "
SKIPPED = "skipped"
HIDDEN = "the task hides its result (no_log)"
EVERY_TASK = "(every task)"

#: Modules skipped in check mode (whatever their arguments, or without creates/removes).
NO_CHECK_MODE = frozenset({"command", "shell", "raw", "script", "expect", "fetch", "tempfile",
                           "wait_for", "wait_for_connection"})
#: Actions that only bring other tasks in: not tasks of their own.
_STRUCTURE = frozenset({"include_tasks", "import_tasks", "include_role", "import_role", "meta"})
#: Modules whose ``src`` is on the host (elsewhere ``src`` is the controller's).
_REMOTE_SRC = frozenset({"slurp", "fetch"})


@dataclass(frozen=True)
class TaskPrediction:
    phase: str
    service: str
    host: str
    task: str
    outcome: str  # "change" | "no-change" | "unknown" | "fail"
    reason: str = ""
    diff: str = ""
    paths: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The dry-run document's ``tasks[]`` item."""
        return {"phase": self.phase, "service": self.service, "host": self.host, "task": self.task,
                "outcome": self.outcome, "reason": self.reason, "diff": self.diff,
                "paths": list(self.paths)}

    @property
    def open(self) -> bool:
        """Whether later steps may depend on it: a change, or an unknown."""
        return self.outcome in (CHANGE, UNKNOWN)

    @property
    def dependant(self) -> bool:
        return self.outcome == UNKNOWN and self.reason.startswith(DEPENDS)

    @property
    def unreachable(self) -> bool:
        return self.outcome == UNKNOWN and self.reason.startswith(UNREACHABLE)


class Rehearsed:
    """What the earlier phases of one rehearsal predicted: changes and unknowns per host and
    per service (so a later task can be told to depend on them)."""

    def __init__(self) -> None:
        self.predictions: list[TaskPrediction] = []
        self._by_host: dict[str, list[TaskPrediction]] = {}
        self._by_service: dict[str, list[TaskPrediction]] = {}

    def add(self, predictions: list[TaskPrediction]) -> None:
        for prediction in predictions:
            self.predictions.append(prediction)
            if prediction.open:
                self._by_host.setdefault(prediction.host, []).append(prediction)
                self._by_service.setdefault(prediction.service, []).append(prediction)

    def cause(self, service: str, host: str, paths: tuple[str, ...],
              later: Rehearsed | None = None) -> TaskPrediction | None:
        """The earlier change or unknown the result of a task of ``service`` on ``host`` touching
        ``paths`` (empty: not known) may depend on, by the module's rules: the latest by the first
        rule that finds one, in ``later`` (the run under way) before this rehearsal's."""
        for view in (later, self):
            rules = view._rules(service, host, paths) if view is not None else []
            found = next((p for rule in rules for p in rule), None)
            if found is not None:
                return found
        return None

    def _rules(self, service: str, host: str, paths: tuple[str, ...]) -> list[Iterator[TaskPrediction]]:
        """The module's rules in their order, each the predictions it finds, latest first (lazily)."""
        same_host = self._by_host.get(host, [])
        same_service = self._by_service.get(service, [])
        rules: list[Iterator[TaskPrediction]] = [
            (p for p in reversed(same_host) if p.paths and paths and overlap(p.paths, paths)),
            (p for p in reversed(same_host) if not p.paths and p.service == service),
            (p for p in reversed(same_service) if p.reason == CANNOT_RUN)]
        if not paths:  # an unreachable host's unknowns are no change another host waits on
            rules += [(p for p in reversed(same_host) if p.service == service),
                      (p for p in reversed(same_service) if p.host == host or not p.unreachable)]
        return rules


def overlap(ours: Iterable[str], theirs: Iterable[str]) -> bool:
    """Whether a path of one is, or lies below or above, a path of the other."""
    mine, others = [PurePosixPath(p) for p in ours], [PurePosixPath(p) for p in theirs]
    return any(a == b or a in b.parents or b in a.parents for a in mine for b in others)


def because(cause: TaskPrediction) -> str:
    """The "depends on" reason naming ``cause`` (or, when it is a dependant, its own cause)."""
    if cause.dependant:
        return cause.reason
    return f"{DEPENDS}{cause.phase} {cause.task} on {cause.host}"


_DONE = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_skipped": "skipped",
         "runner_on_unreachable": "unreachable"}


class PhasePredictor:
    """The predictions of one phase's check-mode run, from ansible-runner's events (``handle``,
    given as ``run_playbook(on_event=...)``), judged against what ``rehearsed`` holds and what
    the run predicted before. ``inventory`` is :func:`orchestrator.steps.ansible.load_inventory`'s
    (each host's ``service``, ``group``, ``host_root``); ``redact`` hides every secret value."""

    def __init__(self, phase: str, inventory: dict[str, dict[str, Any]], rehearsed: Rehearsed,
                 redact: Callable[[str], str]) -> None:
        self.phase, self.inventory, self.rehearsed, self.redact = phase, inventory, rehearsed, redact
        self._run = Rehearsed()
        self._services = {str(v["service"]) for v in inventory.values() if v.get("service")}
        self._pattern = "all"
        self._items: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._reached: set[str] = set()
        self._gone: dict[str, str] = {}  # host -> why every later task of it is unknown

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind == "playbook_on_play_start":
            self._pattern = str(data.get("pattern") or data.get("play_pattern") or "all")
        elif kind == "playbook_on_task_start":
            self._task_started(data)
        elif kind.startswith("runner_item_on_") and data.get("host"):
            self._items.setdefault((data.get("task_uuid", ""), data["host"]), []).append(
                {**(data.get("res") or {}), **({"skipped": True} if kind.endswith("skipped") else {})})
        elif kind in _DONE and data.get("host"):
            self._task_done(_DONE[kind], data, str(event.get("stdout") or ""))

    def finish(self, hosts: list[str], result: Any | None, error: str | None = None) -> list[TaskPrediction]:
        """The run's predictions, added to the rehearsal: one unknown, naming why, for each of
        ``hosts`` that never reported (``error``: why the playbook could not run at all;
        ``result``: the adapter's PlaybookResult, which tells an unreachable host)."""
        for host in hosts:
            if host not in self._reached:
                why = _not_reached(host, result, error)
                self._add(host, self._service(host, {}), EVERY_TASK, UNKNOWN, why)
        predictions = list(self._run.predictions)
        self.rehearsed.add(predictions)
        return predictions

    def _task_started(self, data: dict[str, Any]) -> None:
        if _action(data) in _STRUCTURE:
            return
        for host, why in self._gone.items():
            if self._in_play(host):
                self._add(host, self._service(host, {}), str(data.get("task") or ""), UNKNOWN, why)

    def _task_done(self, status: str, data: dict[str, Any], stdout: str) -> None:
        host, task, action = data["host"], str(data.get("task") or ""), _action(data)
        self._reached.add(host)
        if action in _STRUCTURE:
            return
        res = _uncensored_change(data.get("res") or {}, stdout)
        if status == "unreachable":
            self._gone[host] = UNREACHABLE + _message(res, "unreachable")
            self._add(host, self._service(host, res), task, UNKNOWN, self._gone[host])
            return
        items = res.get("results") if isinstance(res.get("results"), list) else None
        items = items or self._items.pop((data.get("task_uuid", ""), host), None)
        made = ([self._predict(host, task, action, _item_status(item), item) for item in items]
                if items else [self._predict(host, task, action, status, res)])
        stopped = next((p for p in made if p.outcome == UNKNOWN), None)
        if status == "failed" and not data.get("ignore_errors") and stopped is not None:
            self._gone[host] = stopped.reason  # the real run goes on where check mode stops

    def _predict(self, host: str, task: str, action: str, status: str, res: dict[str, Any]) -> TaskPrediction:
        service, paths = self._service(host, res), self._paths(host, action, res)
        if status == "ok" and "censored" in res and "changed" not in res:
            return self._add(host, service, task, UNKNOWN, HIDDEN)
        if status == "ok" and res.get("changed"):
            return self._add(host, service, task, CHANGE, diff=render_diff(res.get("diff")), paths=paths)
        if status == "skipped" and not _by_condition(res, action):
            return self._add(host, service, task, UNKNOWN, CANNOT_RUN, paths=paths)
        cause = self.rehearsed.cause(service, host, paths, later=self._run)
        if cause is not None:
            return self._add(host, service, task, UNKNOWN, because(cause), paths=paths)
        if status == "failed":
            return self._add(host, service, task, FAIL, _message(res, "failed"), paths=paths)
        return self._add(host, service, task, NO_CHANGE, SKIPPED if status == "skipped" else "", paths=paths)

    def _add(self, host: str, service: str, task: str, outcome: str, reason: str = "", diff: str = "",
             paths: tuple[str, ...] = ()) -> TaskPrediction:
        prediction = TaskPrediction(self.phase, service, host, self.redact(task), outcome,
                                    self.redact(reason), self.redact(diff), paths)
        self._run.add([prediction])
        return prediction

    def _service(self, host: str, res: dict[str, Any]) -> str:
        """The loop item's service (``item.id``, or the item when it is a service id), else the
        host's ``service``; empty for a host of no one service (the gateway's own tasks)."""
        item = res.get(str(res.get("ansible_loop_var") or "item"))
        while isinstance(item, dict) and "id" not in item and "item" in item:
            item = item["item"]  # a loop over an earlier loop's results
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return item["id"]
        if isinstance(item, str) and item in self._services:
            return item
        return str(self.inventory.get(host, {}).get("service") or "")

    def _paths(self, host: str, action: str, res: dict[str, Any]) -> tuple[str, ...]:
        """What the result says the task touches, relative to the host's root when below it."""
        args = (res.get("invocation") or {}).get("module_args") or {}
        found = [res.get("path"), args.get("path"), *_listed(args.get("paths"))]
        if action != "fetch":  # fetch's dest is on the controller
            found += [res.get("dest"), args.get("dest")]
        if action in _REMOTE_SRC or args.get("remote_src"):
            found.append(args.get("src"))
        root = str(self.inventory.get(host, {}).get("host_root") or "")
        return tuple(dict.fromkeys(_relative(p, root) for p in found if isinstance(p, str) and p))

    def _in_play(self, host: str) -> bool:
        """Whether the play under way runs on ``host`` (its pattern names it, its group or all)."""
        names = {"all", "*", host, str(self.inventory.get(host, {}).get("group", ""))}
        terms = [t for t in self._pattern.replace(",", ":").split(":") if t]
        if any(t.startswith("!") and t[1:] in names for t in terms):
            return False
        return any(t.lstrip("&") in names for t in terms if not t.startswith("!"))


def _action(data: dict[str, Any]) -> str:
    action = str(data.get("resolved_action") or data.get("task_action") or "")
    for prefix in ("ansible.builtin.", "ansible.legacy."):
        action = action.removeprefix(prefix)
    return action


def _uncensored_change(res: dict[str, Any], stdout: str) -> dict[str, Any]:
    """A no_log result, which ansible-runner gives without ``changed``, with the change Ansible's
    own line tells ("changed: [host]" or "ok: [host]"); as given when there is none."""
    if "censored" not in res or "changed" in res:
        return res
    told = stdout.strip()
    if told.startswith(("changed:", "ok:")):
        return {**res, "changed": told.startswith("changed:")}
    return res


def _item_status(res: dict[str, Any]) -> str:
    if res.get("failed") or res.get("unreachable"):
        return "failed"
    return "skipped" if res.get("skipped") else "ok"


def _by_condition(res: dict[str, Any], action: str) -> bool:
    """Whether a skip was the task's ``when`` (not check mode). A skip that gives no reason (as
    ansible-runner gives a skipped task outside a loop) is told by its module."""
    if "false_condition" in res or res.get("skip_reason") == "Conditional result was False":
        return True
    return not (res.get("msg") or res.get("skip_reason")) and action not in NO_CHECK_MODE


def _message(res: dict[str, Any], default: str) -> str:
    """The result's own message; for a loop, its first failed item's (not Ansible's summary)."""
    items = [r for r in res.get("results") or [] if isinstance(r, dict)]
    res = next((r for r in items if r.get("failed") or r.get("unreachable")), res)
    message = res.get("msg") or res.get("censored") or res.get("stderr") or default
    return str(message).strip()[:500]


def _not_reached(host: str, result: Any | None, error: str | None) -> str:
    if error:
        return f"the playbook could not run: {error}"
    outcome = getattr(result, "hosts", {}).get(host)
    if outcome is not None and outcome.unreachable:
        return UNREACHABLE + outcome.message
    reason = getattr(result, "reason", "")
    if reason:
        return f"the playbook could not run: {reason}"
    return f"the run never reached the host: {outcome.message if outcome and outcome.message else 'not run'}"


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _relative(path: str, root: str) -> str:
    """``path`` without the host's root (``host_root``) when it lies below it, else as given."""
    pure, base = PurePosixPath(path), PurePosixPath(root) if root else None
    if base is not None and (pure == base or base in pure.parents):
        return pure.relative_to(base).as_posix()
    return pure.as_posix()


# -- Ansible's diffs as text ----------------------------------------------------------------------

def render_diff(diff: Any) -> str:
    """Ansible's ``diff`` (a dict or a list of them: before/after, text or a state's fields, with
    their headers; or ``prepared`` text) as unified text; empty when nothing differs."""
    parts = diff if isinstance(diff, list) else [diff]
    return "".join(_one_diff(part) for part in parts if isinstance(part, dict))


def _one_diff(part: dict[str, Any]) -> str:
    if part.get("prepared"):
        return _lines(str(part["prepared"]))
    if part.get("before") is None and part.get("after") is None:
        return ""
    before, after = _as_text(part.get("before")), _as_text(part.get("after"))
    if before == after:
        return ""
    old = str(part.get("before_header") or part.get("after_header") or "before")
    new = str(part.get("after_header") or part.get("before_header") or "after")
    lines = difflib.unified_diff(_lines(before).splitlines(True), _lines(after).splitlines(True), old, new)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _as_text(value: Any) -> str:
    if isinstance(value, dict):
        return "".join(f"{key}: {value[key]}\n" for key in sorted(value))
    return "" if value is None else str(value)


def _lines(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
