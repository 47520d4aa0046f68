"""Everything a deploy decides before it touches the canvas.

For every flow: the version (the registry's latest, or the one asked for), read from the
environment's registry and validated against the target NiFi's manifest; every parameter value
resolved (a missing secret stops here); then the flow's process group, if it has one: its local
changes (refused unless `force`) and the connections the new version removes that still hold
FlowFiles (refused unless `drop_queued`, since NiFi will not remove a connection with data).
Only when every flow passes does `rollout` change anything, so a refused deploy leaves the
canvas as it was.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from spotlight_nifi.canvas.client import Queue
from spotlight_nifi.canvas.environment import Canvas
from spotlight_nifi.canvas.errors import LocalChanges
from spotlight_nifi.canvas.inventory import Placed, local_changes, placed
from spotlight_nifi.canvas.parameters import parameter_values
from spotlight_nifi.canvas.record import DeployRecord, attach
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.flow.validate import ValidationFailed, validate
from spotlight_nifi.registry import FlowRegistry, FlowVersion, RegistryError
from spotlight_nifi.registry.snapshot import CONTENT_KEYS, digest

Action = Literal["create", "upgrade", "unchanged"]
Parameters = dict[str, dict[str, tuple[str | None, bool]]]


@dataclass
class Plan:
    """One flow's deploy: what goes on the canvas, where, with which parameter values."""

    flow: str
    action: Action
    record: DeployRecord
    snapshot: dict[str, Any]
    parameters: Parameters
    group_id: str | None = None
    drop: list[Queue] = field(default_factory=list)


def _connections(group: Mapping[str, Any]) -> Iterator[str]:
    yield from (c["identifier"] for c in group.get("connections") or [])
    for child in group.get("processGroups") or []:
        yield from _connections(child)


def choose_version(flow: str, latest: FlowVersion | None, wanted: str | None, registry: FlowRegistry) -> str:
    """`wanted` (the latest when it is a prefix of it: Git SHAs are shown short), else the latest."""
    if wanted is None and latest is None:
        raise RegistryError(registry.environment, registry.description,
                            f"flow `{flow}` has no version here: push it first "
                            f"(`spotlight-nifi push \"{flow}\" --env {registry.environment} -m ...`)")
    if latest is not None and (wanted is None or latest.version.startswith(wanted)):
        return latest.version
    return str(wanted)


def _parameters(flow: str, snapshot: Mapping[str, Any], settings: Settings, environment: str) -> Parameters:
    by_context: Parameters = defaultdict(dict)
    try:
        values = parameter_values(snapshot, settings, environment=environment)
    except ConfigError as error:
        raise ConfigError(error.variable, f"flow `{flow}`: {error}") from None
    for value in values:
        by_context[value.context][value.name] = (value.value, value.sensitive)
    return dict(by_context)


def _content(snapshot: Mapping[str, Any], record: DeployRecord) -> dict[str, Any]:
    """What NiFi gets: the flow's content (no registry metadata), the record in its top group's comments."""
    content = copy.deepcopy({k: snapshot[k] for k in CONTENT_KEYS if k in snapshot})
    content["flowContents"]["comments"] = attach(content["flowContents"].get("comments"), record)
    return content


def _on_canvas(canvas: Canvas, registry: FlowRegistry, plan: Plan, found: Placed, *, force: bool,
               drop_queued: bool) -> None:
    """Refuse local changes and queued data that would be lost; decide between upgrade and nothing to do."""
    changes = local_changes(canvas, registry, found)
    if isinstance(changes, str) and not force:
        raise canvas.error(plan.flow, f"{changes}, so changes made on the canvas cannot be told; nothing was "
                                      f"deployed: pass `--force` to replace it with {plan.record.describe()}")
    if not isinstance(changes, str) and changes and not force:
        raise LocalChanges(canvas.environment, canvas.nifi.url, plan.flow, changes.text(),
                           "put the change into the flow's code and push it, or pass `--force` to replace it "
                           f"with {plan.record.describe()}")
    plan.group_id = found.group.id
    if found.record == plan.record and not isinstance(changes, str) and not changes:
        plan.action = "unchanged"
        return
    plan.action = "upgrade"
    kept = set(_connections(plan.snapshot["flowContents"]))
    plan.drop = [q for q in canvas.nifi.queues(found.group.id) if q.queued and q.identifier not in kept]
    if plan.drop and not drop_queued:
        held = ", ".join(f"`{q.path}` ({q.queued} FlowFiles)" for q in plan.drop)
        raise canvas.error(plan.flow, f"{plan.record.describe()} removes connections that still hold FlowFiles: "
                                      f"{held}; nothing was deployed: let them drain first, or pass "
                                      "`--drop-queued` to drop those FlowFiles")


def plan_flows(canvas: Canvas, registry: FlowRegistry, flows: Sequence[str], settings: Settings, *,
               version: str | None = None, force: bool = False, drop_queued: bool = False) -> list[Plan]:
    """A plan per flow, or the first reason not to deploy at all (every flow's validation issues at once)."""
    latest = registry.latest(flows)
    chosen = {flow: choose_version(flow, latest.get(flow), version, registry) for flow in flows}
    snapshots = {flow: registry.snapshot(flow, chosen[flow]) for flow in flows}
    issues = [issue for flow in flows for issue in validate(flow, snapshots[flow], canvas.manifest).issues]
    if issues:
        raise ValidationFailed(issues)
    on_canvas = placed(canvas, flows)
    plans = []
    for flow in flows:
        known = latest.get(flow)
        content_digest = known.digest if known and known.version == chosen[flow] and known.digest \
            else digest(snapshots[flow])
        record = DeployRecord(flow, canvas.environment, chosen[flow], registry.description, content_digest)
        plan = Plan(flow, "create", record, _content(snapshots[flow], record),
                    _parameters(flow, snapshots[flow], settings, canvas.environment))
        if flow in on_canvas:
            _on_canvas(canvas, registry, plan, on_canvas[flow], force=force, drop_queued=drop_queued)
        plans.append(plan)
    return plans
