"""`push` and `promote`: new flow versions, only where the content changed, never over someone else's.

Both read each flow's latest version, then decide per flow:
- same content digest: nothing is written, the report says which version already holds it;
- otherwise the new version goes on top, unless the latest one's recorded source is not in
  the new version's own source (`lineage.refusal`): then the whole push is refused, naming who
  wrote that version and when, unless `force` (the other version stays in the history).
If another writer gets in between the read and the write, the registry refuses the write
(`RegistryMoved`) and everything is read and decided again, so a racing push ends as unchanged,
on top, or refused, and no version is lost.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.flow.build import check
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.release import PINNED, Release
from spotlight_nifi.registry import trailers
from spotlight_nifi.registry.environments import Environment, open_registry
from spotlight_nifi.registry.errors import RegistryConflict, RegistryError, RegistryMoved
from spotlight_nifi.registry.interface import FlowRegistry, FlowVersion, Publication
from spotlight_nifi.registry.lineage import Source, current_source, refusal
from spotlight_nifi.registry.parameters import for_environment
from spotlight_nifi.registry.snapshot import digest

ATTEMPTS = 3
FIX = ("get their change into your checkout (`git pull`) and push again, or pass `--force` to put yours on top "
       "(theirs stays in the history)")


@dataclass(frozen=True)
class Outcome:
    """One flow's result: the version that now holds its content, and whether we wrote it."""

    flow: str
    version: FlowVersion
    created: bool


@dataclass
class Report:
    environment: str
    registry: str
    outcomes: list[Outcome] = field(default_factory=list)


def author_of(repo: Path, explicit: str | None = None) -> str:
    """`Name <email>`: the argument, else the project checkout's `git config user.name/user.email`."""
    if explicit:
        return explicit

    def config(key: str) -> str:
        found = subprocess.run(["git", "-C", str(repo), "config", key], capture_output=True, text=True, check=False)
        return found.stdout.strip()

    name, email = config("user.name"), config("user.email")
    if not name:
        raise ConfigError("author", "no author for the new versions: pass `--author 'Name <email>'` or set "
                                    "`git config user.name` and `git config user.email`")
    return f"{name} <{email}>"


def _plan(registry: FlowRegistry, snapshots: Mapping[str, dict[str, Any]], source: Source, author: str, repo: Path,
          force: bool) -> tuple[list[Publication], list[Outcome], list[str]]:
    publications, unchanged, conflicts = [], [], []
    versions = registry.latest(list(snapshots))
    for flow, snapshot in snapshots.items():
        latest = versions.get(flow)
        if latest is not None and latest.digest == digest(snapshot):
            unchanged.append(Outcome(flow, latest, created=False))
            continue
        if latest is not None and not force:
            why = refusal(latest.source, latest.author, source, author, repo)
            if why:
                conflicts.append(f"flow `{flow}` is at {latest.describe()}, which {why}")
                continue
        publications.append(Publication(flow, snapshot, latest))
    return publications, unchanged, conflicts


def write(registry: FlowRegistry, snapshots: Mapping[str, dict[str, Any]], *, message: str, author: str,
          source: Source, repo: Path, force: bool = False) -> Report:
    """New versions of the changed flows in one publication, decided again whenever another writer got in first."""
    for _ in range(ATTEMPTS):
        registry.refresh()
        publications, unchanged, conflicts = _plan(registry, snapshots, source, author, repo, force)
        if conflicts:
            raise RegistryConflict(registry.environment, registry.description, conflicts, FIX)
        report = Report(registry.environment, registry.description, unchanged)
        if not publications:
            return report
        text = trailers.with_trailers(message, {**source.trailers(),
                                                trailers.FLOWS: ", ".join(p.flow for p in publications)})
        try:
            written = registry.publish(publications, text, author)
        except RegistryMoved:
            continue
        report.outcomes += [Outcome(flow, version, created=True) for flow, version in written.items()]
        report.outcomes.sort(key=lambda o: o.flow)
        return report
    raise RegistryMoved(registry.environment, registry.description,
                        f"other pushes got in first {ATTEMPTS} times in a row: push again")


def push_flows(flows_dir: Path, manifest: RuntimeManifest, selected: Sequence[str], environment: Environment, *,
               message: str, cache: Path, author: str | None = None, force: bool = False,
               strict: bool = False, target: Release = PINNED) -> Report:
    """Build the selected flows for `target` and validate them, then write the changed ones to the registry."""
    built = check(flows_dir, manifest, selected, strict=strict, target=target)
    snapshots = {name: json.loads(text) for name, text in built.flows.items()}
    return write(open_registry(environment, cache), snapshots, message=message, author=author_of(flows_dir, author),
                 source=current_source(flows_dir), repo=flows_dir, force=force)


def promote(flow: str, origin: Environment, target: Environment, *, cache: Path, repo: Path,
            message: str | None = None, author: str | None = None, force: bool = False) -> Report:
    """The origin's latest version of `flow`, unchanged but for the target's parameter values, on top of the target."""
    if origin.name == target.name:
        raise ConfigError("--to", f"promote copies between two environments: `--from` and `--to` are both "
                                  f"`{origin.name}`")
    source_registry = open_registry(origin, cache)
    source_registry.refresh()
    version = source_registry.latest([flow]).get(flow)
    if version is None:
        raise RegistryError(origin.name, source_registry.description,
                            f"flow `{flow}` has no version here: push it first "
                            f"(`spotlight-nifi push \"{flow}\" --env {origin.name} -m ...`)")
    stored = source_registry.snapshot(flow, version.version)
    name = (stored.get("flow") or {}).get("name") or flow
    snapshot = for_environment(stored, Settings.load(target.env_file), target.name)
    summary = message or f"Promote `{name}` from {origin.name} {version.describe()}"
    text = trailers.with_trailers(summary, {trailers.PROMOTED_FROM: f"{origin.name} {version.version}"})
    return write(open_registry(target, cache), {name: snapshot}, message=text, author=author_of(repo, author),
                 source=version.source or Source(None, True), repo=repo, force=force)
