"""A flow snapshot as a flow registry stores it, and the digest that says whether two are the same.

NiFi's Git flow registry clients (`AbstractGitFlowRegistryClient`, `JacksonFlowSnapshotSerializer`
in apache/nifi) store `<bucket>/<flow id>.json` holding a `RegisteredFlowSnapshot` normalized so
that two saves of the same flow are byte-identical: the top-level group's id is the constant
`flow-contents-group` (its children point at it) at position (0, 0); components are sorted by
identifier, parameters by name, string sets alphabetically (but not inherited contexts or
prioritizers, whose order means something); `instanceIdentifier`, `instanceGroupId` and null
members are dropped. `canonical` applies exactly that, so our files are what NiFi itself writes.

Only the flow's content counts when comparing versions: `flow`, `snapshotMetadata`, `bucket` and
`latest` carry timestamps, authors and server ids that change on every save.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

CONTENT_KEYS = ("externalControllerServices", "flowContents", "flowEncodingVersion", "parameterContexts",
                "parameterProviders")
ROOT_GROUP_ID = "flow-contents-group"
_UNSORTED_STRING_LISTS = {"inheritedParameterContexts", "prioritizers"}
_DROPPED = {"instanceIdentifier", "instanceGroupId"}


def flow_id(name: str) -> str:
    """The flow's id and file name in a Git registry, as NiFi's `generateFlowId` derives it."""
    dashed = re.sub(r"\s", "-", name.strip())
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-zA-Z0-9-]", "", dashed))


def _normalize(value: Any, key: str = "") -> Any:
    """Sorted members and collections, nulls and instance ids dropped (Jackson's settings in NiFi)."""
    if isinstance(value, dict):
        return {k: _normalize(v, k) for k, v in sorted(value.items()) if v is not None and k not in _DROPPED}
    if not isinstance(value, list):
        return value
    items = [_normalize(v) for v in value]
    if items and all(isinstance(v, str) for v in items) and key not in _UNSORTED_STRING_LISTS:
        return sorted(items)
    if items and all(isinstance(v, dict) and "identifier" in v and "componentType" in v for v in items):
        return sorted(items, key=lambda v: v["identifier"])
    if key == "parameters" and all(isinstance(v, dict) and "name" in v for v in items):
        return sorted(items, key=lambda v: v["name"])
    return items


def _replace_root_id(group: dict[str, Any]) -> None:
    original = group["identifier"]
    group["identifier"] = ROOT_GROUP_ID
    group["position"] = {"x": 0.0, "y": 0.0}
    group.pop("versionedFlowCoordinates", None)
    for key in ("processGroups", "remoteProcessGroups", "processors", "funnels", "labels", "inputPorts",
                "outputPorts", "controllerServices", "connections"):
        for component in group.get(key) or []:
            component["groupIdentifier"] = ROOT_GROUP_ID
    for connection in group.get("connections") or []:
        for end in ("source", "destination"):
            if connection.get(end, {}).get("groupId") == original:
                connection[end]["groupId"] = ROOT_GROUP_ID


def canonical(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The content of `snapshot` normalized as NiFi's Git registry client stores it."""
    content = copy.deepcopy({k: snapshot[k] for k in CONTENT_KEYS if k in snapshot})
    if "flowContents" in content:
        _replace_root_id(content["flowContents"])
    for context in (content.get("parameterContexts") or {}).values():
        for parameter in context.get("parameters") or []:
            if parameter.get("sensitive"):
                parameter.pop("value", None)
    return _normalize(content)


def digest(snapshot: Mapping[str, Any]) -> str:
    """`sha256:<hex>` of the canonical content: equal digests, same flow on the canvas."""
    text = json.dumps(canonical(snapshot), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def git_document(snapshot: Mapping[str, Any], name: str, author: str, timestamp_ms: int,
                 registered: Mapping[str, Any] | None) -> dict[str, Any]:
    """The whole flow file: canonical content plus the `flow` and `snapshotMetadata` NiFi keeps.

    `registered` is the `flow` member of the previous version: NiFi keeps it unchanged on save.
    """
    identifier = flow_id(name)
    flow = dict(registered) if registered else {
        "createdTimestamp": timestamp_ms, "identifier": identifier, "lastModifiedTimestamp": timestamp_ms,
        "name": name, "versionCount": 0,
    }
    document = {**canonical(snapshot), "flow": flow, "latest": False,
                "snapshotMetadata": {"author": author, "flowIdentifier": identifier, "timestamp": timestamp_ms}}
    return _normalize(document)
