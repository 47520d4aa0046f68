"""Which flows a canvas holds, the version each records, and what was changed on it by hand since.

A flow's process group sits directly under the root; it is found by the flow its deploy record
names, else by its name (a group uploaded without a record, e.g. by hand). Local changes are
the semantic diff from the recorded version, read back from the environment's registry, to
NiFi's export of the group as it is now.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from spotlight_nifi.canvas.drift import drift
from spotlight_nifi.canvas.environment import Canvas
from spotlight_nifi.canvas.record import DeployRecord, detach
from spotlight_nifi.flow.diff import FlowDiff
from spotlight_nifi.registry import FlowRegistry, RegistryError


@dataclass(frozen=True)
class Placed:
    """A flow's process group on the canvas and its deploy record (None: not put there by a deploy)."""

    flow: str
    group: Any
    record: DeployRecord | None


def placed(canvas: Canvas, flows: Collection[str]) -> dict[str, Placed]:
    """The groups of `flows` and of every recorded flow, by flow; two groups of one flow is an error."""
    found: dict[str, Placed] = {}
    for group in canvas.nifi.groups():
        record = detach(group.component.comments)[1]
        flow = record.flow if record else group.component.name
        if record is None and flow not in flows:
            continue
        if flow in found:
            raise canvas.error(flow, f"process groups `{group.id}` and `{found[flow].group.id}` both hold it: "
                                     "remove the one that should not be there")
        found[flow] = Placed(flow, group, record)
    return found


def local_changes(canvas: Canvas, registry: FlowRegistry, placed: Placed) -> FlowDiff | str:
    """The changes made on the canvas since the recorded version, or why they cannot be told."""
    if placed.record is None:
        return "its process group records no deployed version (it was not put there by `spotlight-nifi deploy`)"
    try:
        deployed = registry.snapshot(placed.flow, placed.record.version)
    except RegistryError as error:
        return f"the deployed {placed.record.describe()} cannot be read from `{registry.environment}`'s registry ({error})"
    return drift(deployed, canvas.nifi.export(placed.group.id), canvas.manifest)
