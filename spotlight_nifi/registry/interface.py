"""What push and promote need from a flow registry, whatever stores the versions.

A registry holds, per environment, a line of immutable versions per flow. `latest` reads the
newest one of each flow asked for (a flow without versions is left out), `snapshot` the content
of one, and `publish` appends new versions on top of the ones read (`Publication.previous`):
when another writer got there first it raises `RegistryMoved` and writes nothing for that flow,
so no version is ever lost or overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from spotlight_nifi.registry.lineage import Source


@dataclass(frozen=True)
class FlowVersion:
    """One stored version: who wrote it, when, from which source, with which content digest."""

    flow: str
    version: str
    author: str
    timestamp: datetime
    message: str
    source: Source | None
    digest: str | None

    def describe(self) -> str:
        when = self.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"version `{self.version[:12]}` by `{self.author}` at {when}"


@dataclass(frozen=True)
class Publication:
    """A new version of `flow` to append on top of `previous` (None: the flow is new)."""

    flow: str
    snapshot: dict[str, Any]
    previous: FlowVersion | None


class FlowRegistry(Protocol):
    """One environment's place in a Git repository or a NiFi Registry server."""

    environment: str
    description: str

    def refresh(self) -> None: ...
    def latest(self, flows: Sequence[str]) -> dict[str, FlowVersion]: ...
    def snapshot(self, flow: str, version: str) -> dict[str, Any]: ...
    def publish(self, publications: Sequence[Publication], message: str, author: str) -> dict[str, FlowVersion]: ...
