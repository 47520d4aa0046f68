"""`status` and `diff` against an environment: a flow in code, in its registry, and on its canvas.

Code is compiled now for the environment's NiFi release (only its content matters here, so it
is not validated); content digests tell whether code and registry hold the same flow, the deploy
record which version the canvas runs. Diffs go from the registry or the canvas to the code:
what a push, or a push and deploy, would change. Secrets are masked by `diff_flows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from spotlight_nifi.canvas.drift import drift
from spotlight_nifi.canvas.environment import open_canvas
from spotlight_nifi.canvas.inventory import local_changes, placed
from spotlight_nifi.canvas.plan import choose_version
from spotlight_nifi.canvas.record import DeployRecord
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import FlowLoadError
from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.diff import FlowDiff, diff_flows
from spotlight_nifi.flow.loader import discover
from spotlight_nifi.flow.release import Release
from spotlight_nifi.registry import Environment, FlowVersion, open_registry
from spotlight_nifi.registry.snapshot import canonical, digest

Against = Literal["registry", "canvas"]


@dataclass(frozen=True)
class FlowStatus:
    """One flow in an environment; `local_changes` is None when the flow is not on the canvas, and a
    sentence when they cannot be told."""

    flow: str
    code: str | None
    registry: FlowVersion | None
    canvas: DeployRecord | None
    on_canvas: bool
    local_changes: FlowDiff | str | None

    def report(self) -> str:
        """Code, registry, canvas and local changes in a few words each, then the local changes."""
        latest = self.registry
        code = ("not in code" if self.code is None else "not pushed" if latest is None
                else "same as the registry's latest" if self.code == latest.digest
                else "changed since the registry's latest: push it")
        canvas = ("not deployed" if not self.on_canvas else "a process group not put there by a deploy"
                  if self.canvas is None else self.canvas.describe()
                  + (" (the latest)" if latest and self.canvas.version == latest.version else " (not the latest)"))
        changes = self.local_changes
        local = ("" if changes is None else f"unknown: {changes}" if isinstance(changes, str)
                 else f"{len(changes.changes)} component(s) changed, deployed version → canvas:\n{changes.text()}"
                 if changes else "none")
        return "\n".join([f"`{self.flow}`", f"  code: {code}",
                          f"  registry: {latest.describe() if latest else 'no version'}", f"  canvas: {canvas}"]
                         + ([f"  local changes: {local}"] if local else []))


def _built(flows_dir: Path, selected: Sequence[str], target: Release) -> dict[str, dict[str, Any]]:
    return {loaded.flow.name: compile_flow(loaded.flow, target) for loaded in discover(flows_dir, selected)}


def status(flows_dir: Path, environment: Environment, settings: Settings, *, cache: Path,
           target: Release) -> list[FlowStatus]:
    """Every flow of the code, and every flow a deploy put on the canvas, by name."""
    code = {name: digest(snapshot) for name, snapshot in _built(flows_dir, (), target).items()}
    canvas = open_canvas(environment.name, settings, cache)
    on_canvas = placed(canvas, code)
    registry = open_registry(environment, cache)
    registry.refresh()
    names = sorted(set(code) | set(on_canvas))
    latest = registry.latest(names)
    return [FlowStatus(name, code.get(name), latest.get(name),
                       on_canvas[name].record if name in on_canvas else None, name in on_canvas,
                       local_changes(canvas, registry, on_canvas[name]) if name in on_canvas else None)
            for name in names]


def compare(flows_dir: Path, flow: str, environment: Environment, settings: Settings, *, cache: Path,
            target: Release, against: Against, version: str | None = None) -> FlowDiff:
    """What changes from the registry's version (latest, or `version`) or the canvas to the code of `flow`."""
    built = _built(flows_dir, [flow], target)
    if len(built) != 1:
        raise FlowLoadError(flow, "", f"names {len(built)} flows ({', '.join(sorted(built))}): give one flow's name")
    name, code = next(iter(built.items()))
    if against == "registry":
        registry = open_registry(environment, cache)
        registry.refresh()
        chosen = choose_version(name, registry.latest([name]).get(name), version, registry)
        return diff_flows(canonical(registry.snapshot(name, chosen)), canonical(code))
    canvas = open_canvas(environment.name, settings, cache)
    found = placed(canvas, [name]).get(name)
    if found is None:
        raise canvas.error(name, f"not on the canvas: deploy it first (`spotlight-nifi deploy \"{name}\" "
                                 f"--env {environment.name}`)")
    return drift(canvas.nifi.export(found.group.id), code, canvas.manifest)
