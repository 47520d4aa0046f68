"""Compile a `Flow` into NiFi's flow-definition JSON (`RegisteredFlowSnapshot`).

Pure: no I/O, no manifest. The output is what NiFi's "Download flow definition" writes
(flowContents, externalControllerServices, parameterContexts, parameterProviders,
flowEncodingVersion, latest), with:
- a stable `identifier` per component: uuid5 of the flow name and the component's path of
  names, so a new version of a flow is an in-place change on the canvas, never a replace;
- sorted keys, fixed separators and positions from `layout`, so the bytes are identical on
  every build and every machine;
- sensitive parameters without values; sensitive properties only as `#{parameter}` references;
- NiFi's own bundles, property keys and values as the target release has them (see `release`).
Structural mistakes (duplicate names, dangling connections, a service out of scope) raise
`FlowDefinitionError` naming the flow and the component's path.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spotlight_nifi.errors import FlowDefinitionError
from spotlight_nifi.flow.layout import Edge, layout
from spotlight_nifi.flow.model import (
    Bundle,
    Component,
    Connection,
    ControllerService,
    Endpoint,
    Extension,
    Flow,
    Funnel,
    Label,
    Parameter,
    ParameterContext,
    Port,
    ProcessGroup,
    Processor,
    endpoint_name,
)
from spotlight_nifi.flow.release import PINNED, Release

NAMESPACE = uuid.UUID("5f0c6d2e-7a53-4c38-9a8e-2b8e1f0c9d41")
FLOW_ENCODING_VERSION = "1.0"

_KIND_TAG = {Processor: "processor", ControllerService: "service", Funnel: "funnel", Port: "port",
             Label: "label", ProcessGroup: "group"}


def stable_id(flow: str, path: Iterable[str], kind: str) -> str:
    """The identifier of a component: uuid5 of the flow and its path, never random."""
    return str(uuid.uuid5(NAMESPACE, f"{flow}\x1f{kind}\x1f" + "\x1f".join(path)))


@dataclass(frozen=True)
class Placed:
    """A component with its path and identifier, found while walking the flow."""

    path: tuple[str, ...]
    identifier: str
    group_id: str


class _Index:
    """Identifiers and paths of every component; checks uniqueness of names per group."""

    def __init__(self, flow: Flow) -> None:
        self.by_object: dict[int, Placed] = {}
        for path, group in flow.walk():
            if id(group) in self.by_object:
                raise FlowDefinitionError(
                    flow.name, "/".join(path),
                    f"the same process group object is also added at `{'/'.join(self.by_object[id(group)].path)}`; "
                    "create one per place (call the function that builds it again)",
                )
            group_id = stable_id(flow.name, path, "group")
            self.by_object[id(group)] = Placed(path, group_id, "")
            seen: dict[str, str] = {}
            members: list[Component] = [*group.processors, *group.services, *group.funnels, *group.ports,
                                        *group.labels, *group.groups]
            for component in members:
                kind = _kind_tag(component)
                if not component.name:
                    raise FlowDefinitionError(flow.name, "/".join(path), f"a {kind} has an empty name")
                if component.name in seen:
                    raise FlowDefinitionError(
                        flow.name, "/".join((*path, component.name)),
                        f"duplicate name: a {seen[component.name]} and a {kind} are both called "
                        f"`{component.name}`; names must be unique within a process group",
                    )
                seen[component.name] = kind
                if id(component) in self.by_object and not isinstance(component, ProcessGroup):
                    other = self.by_object[id(component)]
                    raise FlowDefinitionError(
                        flow.name, "/".join((*path, component.name)),
                        f"the same {kind} object is also added at `{'/'.join(other.path)}`; create one per group",
                    )
                if not isinstance(component, ProcessGroup):
                    child_path = (*path, component.name)
                    self.by_object[id(component)] = Placed(child_path, stable_id(flow.name, child_path, kind), group_id)

    def placed(self, component: Component) -> Placed | None:
        return self.by_object.get(id(component))


def _kind_tag(component: Component) -> str:
    for cls, tag in _KIND_TAG.items():
        if isinstance(component, cls):
            return tag
    raise TypeError(type(component).__name__)


def resolve_endpoint(flow: Flow, group: ProcessGroup, path: tuple[str, ...], endpoint: Endpoint,
                     index: _Index, side: str) -> Processor | Funnel | Port:
    """The component a connection endpoint names, which must be in `group` or be a child group's port."""
    where = "/".join(path)
    if isinstance(endpoint, str):
        found = _by_name(group, endpoint)
        if found is None:
            known = sorted(c.name for c in [*group.processors, *group.funnels, *group.ports])
            raise FlowDefinitionError(
                flow.name, where,
                f"connection {side} `{endpoint}` does not exist in this group (components: {', '.join(known) or 'none'})",
            )
        return found
    placed = index.placed(endpoint)
    local = placed is not None and placed.path[:-1] == path
    child_port = (placed is not None and isinstance(endpoint, Port) and placed.path[:-2] == path)
    if placed is None or not (local or child_port):
        raise FlowDefinitionError(
            flow.name, where,
            f"connection {side} `{endpoint_name(endpoint)}` is not a component of this group"
            + ("" if placed is None else f" (it is at `{'/'.join(placed.path)}`)")
            + ": add it to the group, or connect through ports",
        )
    return endpoint


def _by_name(group: ProcessGroup, name: str) -> Processor | Funnel | Port | None:
    for component in [*group.processors, *group.funnels, *group.ports]:
        if component.name == name:
            return component
    if "/" in name:
        child_name, port_name = name.split("/", 1)
        for child in group.groups:
            if child.name == child_name:
                return next((p for p in child.ports if p.name == port_name), None)
    return None


def _connectable_type(component: Processor | Funnel | Port) -> str:
    if isinstance(component, Processor):
        return "PROCESSOR"
    if isinstance(component, Funnel):
        return "FUNNEL"
    return component.kind


def _bundle(bundle: Bundle) -> dict[str, str]:
    return {"group": bundle.group, "artifact": bundle.artifact, "version": bundle.version}


class Compiler:
    """Turns one `Flow` into a flow-definition dict."""

    def __init__(self, flow: Flow, target: Release = PINNED) -> None:
        self.flow = flow
        self.target = target
        self.index = _Index(flow)

    def snapshot(self) -> dict[str, Any]:
        contexts = self.flow.parameter_contexts()
        return {
            "externalControllerServices": {},
            "flowContents": self._group(self.flow, (self.flow.name,), None, (0.0, 0.0)),
            "flowEncodingVersion": FLOW_ENCODING_VERSION,
            "latest": False,
            "parameterContexts": {name: _context(ctx) for name, ctx in sorted(contexts.items())},
            "parameterProviders": {},
        }

    def _group(self, group: ProcessGroup, path: tuple[str, ...], parent_id: str | None,
               position: tuple[float, float]) -> dict[str, Any]:
        group_id = self.index.by_object[id(group)].identifier
        resolved = [self._resolve(group, path, c) for c in group.connections]
        edges = [Edge(_owner(src, group), _owner(dst, group)) for _, src, dst in resolved]
        positions = layout(group, edges)
        body: dict[str, Any] = {
            "identifier": group_id,
            "name": group.name,
            "comments": group.comments,
            "componentType": "PROCESS_GROUP",
            "position": _position(position),
            "processors": [self._processor(p, positions[id(p)]) for p in group.processors],
            "controllerServices": [self._service(s, path) for s in group.services],
            "funnels": [self._funnel(f, positions[id(f)]) for f in group.funnels],
            "inputPorts": [self._port(p, positions[id(p)]) for p in group.ports if p.kind == "INPUT_PORT"],
            "outputPorts": [self._port(p, positions[id(p)]) for p in group.ports if p.kind == "OUTPUT_PORT"],
            "labels": [self._label(label, positions[id(label)]) for label in group.labels],
            "processGroups": [
                self._group(child, (*path, child.name), group_id, positions[id(child)]) for child in group.groups
            ],
            "remoteProcessGroups": [],
            "connections": [self._connection(c, src, dst, path, group_id) for c, src, dst in resolved],
            "flowFileConcurrency": group.flowfile_concurrency,
            "flowFileOutboundPolicy": group.outbound_policy,
            "defaultBackPressureObjectThreshold": group.default_back_pressure_objects,
            "defaultBackPressureDataSizeThreshold": group.default_back_pressure_size,
            "defaultFlowFileExpiration": group.default_expiration,
            "executionEngine": group.execution_engine,
            "scheduledState": "ENABLED",
            "statelessFlowTimeout": "1 min",
            "maxConcurrentTasks": 1,
        }
        if parent_id is not None:
            body["groupIdentifier"] = parent_id
        if group.parameter_context is not None:
            body["parameterContextName"] = group.parameter_context.name
        return body

    def _resolve(self, group: ProcessGroup, path: tuple[str, ...], connection: Connection):
        source = resolve_endpoint(self.flow, group, path, connection.source, self.index, "source")
        destination = resolve_endpoint(self.flow, group, path, connection.destination, self.index, "destination")
        if isinstance(source, Processor) and not connection.relationships:
            raise FlowDefinitionError(
                self.flow.name, "/".join((*path, source.name)),
                f"connection to `{destination.name}` selects no relationship; name at least one (e.g. \"success\")",
            )
        return connection, source, destination

    def _common(self, component: Component, position: tuple[float, float], kind: str) -> dict[str, Any]:
        placed = self.index.by_object[id(component)]
        return {
            "identifier": placed.identifier,
            "groupIdentifier": placed.group_id,
            "name": component.name,
            "comments": component.comments,
            "componentType": kind,
            "position": _position(position),
        }

    def _properties(self, extension: Extension, path: tuple[str, ...]) -> tuple[dict, dict]:
        values: dict[str, str | None] = {}
        descriptors: dict[str, dict[str, Any]] = {}
        for key, value in extension.properties.items():
            # `key` is the pinned release's name, which since NIFI-15164 is also the display name.
            target_key = self.target.key(extension.type, extension.bundle, key)
            if isinstance(value, ControllerService):
                placed = self.index.placed(value)
                if placed is None or placed.path[:-1] != path[: len(placed.path) - 1]:
                    raise FlowDefinitionError(
                        self.flow.name, "/".join((*path, extension.name)),
                        f"property `{key}` names controller service `{value.name}`, which is not in this "
                        "group or a group above it: add the service to the group or an ancestor",
                    )
                values[target_key] = placed.identifier
            else:
                values[target_key] = self.target.value(extension.type, extension.bundle, key, value)
            descriptors[target_key] = {
                "name": target_key,
                "displayName": key,
                "identifiesControllerService": isinstance(value, ControllerService),
                "sensitive": key in extension.sensitive,
                "dynamic": False,
            }
        return values, descriptors

    def _processor(self, processor: Processor, position: tuple[float, float]) -> dict[str, Any]:
        placed = self.index.by_object[id(processor)]
        properties, descriptors = self._properties(processor, placed.path[:-1])
        return {
            **self._common(processor, position, "PROCESSOR"),
            "type": processor.type,
            "bundle": _bundle(self.target.bundle(processor.bundle)),
            "properties": properties,
            "propertyDescriptors": descriptors,
            "style": {},
            "schedulingPeriod": processor.scheduling_period,
            "schedulingStrategy": processor.scheduling_strategy,
            "executionNode": "ALL",
            "concurrentlySchedulableTaskCount": processor.concurrent_tasks,
            "runDurationMillis": processor.run_duration_millis,
            "penaltyDuration": processor.penalty_duration,
            "yieldDuration": processor.yield_duration,
            "bulletinLevel": processor.bulletin_level,
            "autoTerminatedRelationships": sorted(processor.auto_terminate),
            "retryCount": processor.retry_count,
            "retriedRelationships": sorted(processor.retried_relationships),
            "backoffMechanism": processor.backoff_mechanism,
            "maxBackoffPeriod": processor.max_backoff_period,
            "scheduledState": processor.state,
        }

    def _service(self, service: ControllerService, group_path: tuple[str, ...]) -> dict[str, Any]:
        properties, descriptors = self._properties(service, group_path)
        return {
            **self._common(service, (0.0, 0.0), "CONTROLLER_SERVICE"),
            "type": service.type,
            "bundle": _bundle(self.target.bundle(service.bundle)),
            "controllerServiceApis": [{"type": api, "bundle": _bundle(self.target.bundle(b))}
                                      for api, b in service.apis],
            "properties": properties,
            "propertyDescriptors": descriptors,
            "bulletinLevel": service.bulletin_level,
            "scheduledState": service.state,
        }

    def _funnel(self, funnel: Funnel, position: tuple[float, float]) -> dict[str, Any]:
        return self._common(funnel, position, "FUNNEL")

    def _port(self, port: Port, position: tuple[float, float]) -> dict[str, Any]:
        return {
            **self._common(port, position, port.kind),
            "type": port.kind,
            "concurrentlySchedulableTaskCount": port.concurrent_tasks,
            "scheduledState": "ENABLED",
            "allowRemoteAccess": False,
            "portFunction": "STANDARD",
        }

    def _label(self, label: Label, position: tuple[float, float]) -> dict[str, Any]:
        return {
            **self._common(label, position, "LABEL"),
            "label": label.text,
            "width": label.width,
            "height": label.height,
            "style": {"font-size": "14px"},
            "zIndex": 0,
        }

    def _connection(self, connection: Connection, source: Processor | Funnel | Port,
                    destination: Processor | Funnel | Port, path: tuple[str, ...], group_id: str) -> dict[str, Any]:
        src, dst = self.index.by_object[id(source)], self.index.by_object[id(destination)]
        key = ("connection", *src.path, "->", *dst.path, connection.name)
        return {
            "identifier": stable_id(self.flow.name, (*path, *key), "connection"),
            "groupIdentifier": group_id,
            "name": connection.name,
            "comments": connection.comments,
            "componentType": "CONNECTION",
            "source": _connectable(source, src),
            "destination": _connectable(destination, dst),
            "selectedRelationships": sorted(connection.relationships),
            "backPressureObjectThreshold": connection.back_pressure_objects,
            "backPressureDataSizeThreshold": connection.back_pressure_size,
            "flowFileExpiration": connection.expiration,
            "prioritizers": list(connection.prioritizers),
            "loadBalanceStrategy": connection.load_balance,
            "partitioningAttribute": connection.partitioning_attribute,
            "loadBalanceCompression": "DO_NOT_COMPRESS",
            "labelIndex": 1,
            "zIndex": 0,
            "bends": [],
        }


def _owner(endpoint: Processor | Funnel | Port, group: ProcessGroup) -> Processor | Funnel | Port | ProcessGroup:
    """The node of `group` an endpoint is drawn as: a child group's port is drawn as that group."""
    if isinstance(endpoint, Port) and endpoint not in group.ports:
        return next(child for child in group.groups if endpoint in child.ports)
    return endpoint


def _connectable(component: Processor | Funnel | Port, placed: Placed) -> dict[str, Any]:
    return {"id": placed.identifier, "type": _connectable_type(component), "groupId": placed.group_id,
            "name": component.name, "comments": ""}


def _position(position: tuple[float, float]) -> dict[str, float]:
    return {"x": float(position[0]), "y": float(position[1])}


def _context(context: ParameterContext) -> dict[str, Any]:
    return {
        "name": context.name,
        "description": context.description,
        "componentType": "PARAMETER_CONTEXT",
        "inheritedParameterContexts": list(context.inherits),
        "parameters": [_parameter(p) for p in sorted(context.parameters, key=lambda p: p.name)],
    }


def _parameter(parameter: Parameter) -> dict[str, Any]:
    """A parameter as NiFi writes it: a sensitive one, or one without a value, has no `value` key."""
    body: dict[str, Any] = {
        "name": parameter.name,
        "description": _describe_parameter(parameter.description, parameter.env),
        "sensitive": parameter.sensitive,
        "provided": False,
    }
    if parameter.value is not None and not parameter.sensitive:
        body["value"] = parameter.value
    return body


_ENV_SOURCE = "Filled from .env key {} at deploy time."
_ENV_SOURCE_PATTERN = re.compile(re.escape(_ENV_SOURCE).replace(r"\{\}", r"([A-Za-z_][A-Za-z0-9_]*)"))


def _describe_parameter(description: str, env: str | None) -> str:
    if env is None:
        return description
    return f"{description} {_ENV_SOURCE.format(env)}".strip()


def parameter_env_key(description: str) -> str | None:
    """The `.env` key a compiled parameter's description names (deploy fills the parameter from it)."""
    found = _ENV_SOURCE_PATTERN.search(description or "")
    return found.group(1) if found else None


def compile_flow(flow: Flow, target: Release = PINNED) -> dict[str, Any]:
    """The flow-definition dict of `flow` for the `target` NiFi release (default: the pinned one);
    raises FlowDefinitionError on structural mistakes."""
    return Compiler(flow, target).snapshot()


def to_json(snapshot: dict[str, Any]) -> str:
    """Canonical JSON text: sorted keys, two-space indent, trailing newline, byte-stable."""
    return json.dumps(snapshot, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
