"""What differs between a flow on the canvas and a flow definition, in our semantic diff.

NiFi's export of a process group says the same flow in other words than the definition it was
made from, so both sides are brought to one form before `diff_flows` compares them:
- the registry's canonical form (`registry.snapshot.canonical`: the top group's id, sorted lists,
  no instance ids, no nulls);
- a property left unset has its default value (NiFi writes every property with its effective
  value, a definition only those it sets): defaults come from the target NiFi's runtime manifest;
- run state (`scheduledState`) and empty comments are not content; a label is named by its
  text (NiFi labels have no name); the deploy record is taken out of the top group's comments;
- a component whose extension the NiFi lacks (a ghost, e.g. Kafka's on the local NiFi) is
  compared without its properties and service APIs, which NiFi cannot export for it;
- parameter contexts are left out: their values belong to the environment (every deploy sets
  them from `.env`), and contexts are shared by flows; a change to which parameter a component
  uses still shows as a property change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spotlight_nifi.canvas.record import detach
from spotlight_nifi.flow.diff import FlowDiff, diff_flows
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.model import Bundle
from spotlight_nifi.registry.snapshot import canonical

_UNKNOWN_WITHOUT_EXTENSION = ("properties", "propertyDescriptors", "controllerServiceApis")
"""What NiFi cannot export for a ghost (a component whose NAR it lacks): it hides every property as sensitive."""
_COMPONENT_LISTS = ("processors", "controllerServices", "funnels", "inputPorts", "outputPorts", "labels",
                    "connections", "remoteProcessGroups")


def _properties(component: dict[str, Any], manifest: RuntimeManifest) -> None:
    """Defaults filled in; a component whose extension the NiFi lacks is compared without its properties."""
    bundle = component.get("bundle")
    if not bundle or not component.get("type"):
        return
    spec = manifest.find(component["type"], Bundle(bundle["group"], bundle["artifact"], bundle["version"]))
    if spec is None:
        for key in _UNKNOWN_WITHOUT_EXTENSION:
            component.pop(key, None)
        return
    defaults = {key: p.default_value for key, p in spec.properties.items() if p.default_value is not None}
    component["properties"] = {**defaults, **(component.get("properties") or {})}


def _group(group: dict[str, Any], manifest: RuntimeManifest) -> None:
    group.pop("scheduledState", None)
    for key in _COMPONENT_LISTS:
        for component in group.get(key) or []:
            component.pop("scheduledState", None)
            if component.get("comments") == "":
                component.pop("comments")
            if key == "labels":
                component["name"] = (component.get("label") or "").split("\n")[0][:40]
            _properties(component, manifest)
    for child in group.get("processGroups") or []:
        _group(child, manifest)


def comparable(snapshot: Mapping[str, Any], manifest: RuntimeManifest) -> dict[str, Any]:
    """`snapshot` (a definition or NiFi's export of a group) in the one form both are compared in."""
    content = canonical(snapshot)
    content.pop("parameterContexts", None)
    top = content["flowContents"]
    top["comments"] = detach(top.get("comments"))[0]
    if not top["comments"]:
        top.pop("comments")
    _group(top, manifest)
    return content


def drift(old: Mapping[str, Any], new: Mapping[str, Any], manifest: RuntimeManifest) -> FlowDiff:
    """What changed from `old` to `new` (either a definition or a canvas export), secrets masked."""
    return diff_flows(comparable(old, manifest), comparable(new, manifest))
