"""What a deploy leaves on the canvas to say which version it put there.

The record lives in the comments of the flow's process group, as trailers under a fixed line
(NiFi shows them to operators, and any NiFi client can read them back). It travels inside the
snapshot that replaces the group, so the record and the content change in one NiFi request: a
rolled-back upgrade also keeps the old record.
"""

from __future__ import annotations

from dataclasses import dataclass

from spotlight_nifi.registry import trailers

MARK = "Deployed by spotlight-nifi; the lines below say what (do not edit them)."
FLOW = "Spotlight-Flow"
ENVIRONMENT = "Spotlight-Environment"
VERSION = "Spotlight-Version"
REGISTRY = "Spotlight-Registry"
DIGEST = trailers.CONTENT_DIGEST


@dataclass(frozen=True)
class DeployRecord:
    """One deployed version: which flow, from which environment's registry, with which content."""

    flow: str
    environment: str
    version: str
    registry: str
    digest: str

    def describe(self) -> str:
        return f"version `{self.version[:12]}` from `{self.environment}`"


def attach(comments: str | None, record: DeployRecord) -> str:
    """`comments` (the flow's own, kept first) followed by the record."""
    fields = {FLOW: record.flow, ENVIRONMENT: record.environment, VERSION: record.version,
              REGISTRY: record.registry, DIGEST: record.digest}
    own = (comments or "").strip()
    return (own + "\n\n" if own else "") + trailers.compose(MARK, fields)


def detach(comments: str | None) -> tuple[str, DeployRecord | None]:
    """The flow's own comments and the record, if the comments hold a complete one."""
    own, mark, tail = (comments or "").rpartition(MARK)
    if not mark:
        return (comments or "").strip(), None
    found = trailers.parse(MARK + tail)
    keys = (FLOW, ENVIRONMENT, VERSION, REGISTRY, DIGEST)
    if not all(found.get(key) for key in keys):
        return (comments or "").strip(), None
    return own.strip(), DeployRecord(*(found[key] for key in keys))
