"""Putting a built flow definition on a NiFi canvas and bringing it up.

Order matters and is NiFi's: parameters first (a component referencing a missing value is
invalid), then controller services enabled, then processors started. Every parameter value is
resolved before NiFi is touched, so a missing secret stops the deploy with nothing uploaded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from spotlight_nifi.canvas.client import ComponentState, NiFi
from spotlight_nifi.canvas.parameters import parameter_values
from spotlight_nifi.canvas.record import DeployRecord
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ServiceError


@dataclass
class Deployment:
    """One flow on one canvas: its process group and the state of its components after the deploy;
    for a deploy from a registry also what was done, the version, and the parameters it set."""

    flow: str
    group_id: str
    url: str
    components: list[ComponentState] = field(default_factory=list)
    action: str = "create"
    record: DeployRecord | None = None
    parameters: list[str] = field(default_factory=list)

    def invalid(self) -> list[ComponentState]:
        return [c for c in self.components if c.validation != "VALID"]

    def ghosts(self) -> list[ComponentState]:
        """Components whose extension this NiFi lacks (e.g. Kafka's on the local NiFi): they cannot run."""
        return [c for c in self.components if c.missing_extension]

    def problems(self) -> list[ComponentState]:
        """Components that have their extension but are invalid, or valid but not running/enabled."""
        return [c for c in self.components if not c.missing_extension and (c.validation != "VALID" or not c.up)]


def deploy_definition(nifi: NiFi, definition: str, settings: Settings, *, environment: str | None = None,
                      start: bool = True, settle_timeout: float = 240.0) -> Deployment:
    """Upload `definition` as a new process group, fill its parameters from `settings`, enable its
    services and (with `start`) start its processors; the components' states once settled."""
    document = json.loads(definition)
    name = document["flowContents"]["name"]
    values = parameter_values(document, settings, environment=environment)
    if nifi.child_group(name) is not None:
        raise ServiceError("nifi", f"flow `{name}` is already on the canvas at `{nifi.url}`: remove its process "
                                   "group first (in-place upgrades are `spotlight-nifi deploy`'s)")
    group = nifi.upload(definition)
    by_context: dict[str, dict[str, tuple[str | None, bool]]] = defaultdict(dict)
    for value in values:
        by_context[value.context][value.name] = (value.value, value.sensitive)
    for context, params in sorted(by_context.items()):
        nifi.set_parameters(context, params)
    nifi.enable_services(group)
    deployment = Deployment(name, group, nifi.url, nifi.wait_settled(group, settle_timeout))
    if start:
        nifi.start(group)
        deployment.components = nifi.components(group)
    return deployment
