"""`deploy`: flow versions from an environment's flow registry onto its NiFi canvas, in place.

Everything is decided first (`plan`): nothing touches the canvas until every flow's version is
read and valid, every parameter resolved, and no flow has local changes or queued data to lose.
Then, flow by flow:
1. parameters of contexts that already exist are set from `.env` (so the new version starts
   with them; new contexts come with the new version and are set right after it);
2. a new flow is uploaded as a process group; an existing one is replaced in place through
   NiFi's replace request (components keep their ids, queues keep their FlowFiles); NiFi applies
   it whole or rolls it back, so a refused replace leaves the previous version running;
3. controller services are enabled (NiFi's bulk enable follows their dependencies), then
   processors started.
Once every flow is on the canvas, the deploy waits for them together (Python processors load
their code in the meantime) until each component is RUNNING/ENABLED, or says which is not and why.
The version, environment, registry and content digest are recorded in the group's comments,
inside the snapshot NiFi applies, so `status` reads back what the canvas runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from spotlight_nifi.canvas.deploy import Deployment
from spotlight_nifi.canvas.environment import Canvas, open_canvas
from spotlight_nifi.canvas.errors import NotRunning
from spotlight_nifi.canvas.plan import Plan, plan_flows
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.loader import discover
from spotlight_nifi.registry import Environment, open_registry


def _set_parameters(canvas: Canvas, plan: Plan, contexts: set[str], *, existing: bool) -> list[str]:
    return [name for context, values in sorted(plan.parameters.items()) if (context in contexts) == existing
            for name in canvas.nifi.set_parameters(context, values)]


def _put(canvas: Canvas, plan: Plan) -> str:
    """The flow's group holding the planned version: uploaded, replaced in place, or left as it is."""
    nifi = canvas.nifi
    if plan.group_id is None:
        return nifi.upload(json.dumps(plan.snapshot))
    if plan.action == "upgrade":
        for queue in plan.drop:
            nifi.drop(queue)
        refused = nifi.replace(plan.group_id, plan.snapshot)
        if refused:
            nifi.start(plan.group_id)
            raise canvas.error(plan.flow, f"NiFi refused {plan.record.describe()} and rolled back, the previous "
                                          f"version is still running: {refused}")
    return plan.group_id


def _apply(canvas: Canvas, plan: Plan) -> tuple[str, list[str]]:
    """The planned version on the canvas, its services enabled and its processors asked to start;
    the group's id and the parameters set."""
    nifi = canvas.nifi
    contexts = nifi.contexts()
    changed = _set_parameters(canvas, plan, contexts, existing=True)
    group_id = _put(canvas, plan)
    changed += _set_parameters(canvas, plan, contexts, existing=False)
    nifi.enable_services(group_id)
    nifi.start(group_id)
    return group_id, sorted(set(changed))


def deploy(flows_dir: Path, selected: Sequence[str], environment: Environment, settings: Settings, *, cache: Path,
           version: str | None = None, force: bool = False, drop_queued: bool = False,
           settle_timeout: float = 300.0, progress: Callable[[Deployment], None] = lambda _: None,
           notice: Callable[[str], None] = lambda _: None) -> list[Deployment]:
    """Deploy the selected flows (all of `flows_dir` when none) of `environment`'s registry to its NiFi;
    `progress` sees each flow as it comes up, `notice` what else was done. Components that do not come
    up are a `NotRunning` at the end."""
    flows = [loaded.flow.name for loaded in discover(flows_dir, selected)]
    canvas = open_canvas(environment.name, settings, cache)
    granted = canvas.nifi.claim_root()
    if granted:
        notice(f"granted `{granted}` read and write on the root process group of {canvas.nifi.url} "
               "(a new secured NiFi gives its initial admin none there)")
    registry = open_registry(environment, cache)
    registry.refresh()
    plans = plan_flows(canvas, registry, flows, settings, version=version, force=force, drop_queued=drop_queued)
    applied = [(plan, *_apply(canvas, plan)) for plan in plans]
    deployments = []
    for plan, group_id, changed in applied:
        states = canvas.nifi.wait_settled(group_id, settle_timeout, running=True)
        deployments.append(Deployment(plan.flow, group_id, canvas.nifi.url, states, plan.action, plan.record, changed))
        progress(deployments[-1])
    problems = [(d.flow, c) for d in deployments for c in d.problems()]
    if problems:
        listed = "; ".join(f"flow `{flow}`: {c.line()}" for flow, c in problems)
        raise NotRunning(environment.name, canvas.nifi.url, None,
                         f"deployed, but not running: {listed}: fix the cause (NiFi's bulletins on each "
                         "component say more) and deploy again")
    return deployments
