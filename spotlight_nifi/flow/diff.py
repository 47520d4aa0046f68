"""Semantic diff of two flow definitions: what an operator would see change on the canvas.

Components are matched by their stable `identifier`, so a renamed component is a change, not a
remove and an add. Positions are layout, not meaning, and are left out. Values of sensitive
properties and sensitive parameters are masked, whatever they hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

MASK = "********"
_COMPONENT_LISTS = {
    "processors": "processor",
    "controllerServices": "controller service",
    "funnels": "funnel",
    "inputPorts": "input port",
    "outputPorts": "output port",
    "labels": "label",
    "connections": "connection",
}
_IGNORED = {"position", "properties", "propertyDescriptors", "identifier", "instanceIdentifier", "groupIdentifier",
            "processGroups", "bends", "componentType", *_COMPONENT_LISTS}


@dataclass(frozen=True)
class Change:
    action: str
    kind: str
    path: str
    details: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.action]
        head = f"{mark} {self.kind} `{self.path}`"
        return [head] + [f"    {d}" for d in self.details]


@dataclass
class FlowDiff:
    changes: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def text(self) -> str:
        if not self.changes:
            return "no changes"
        return "\n".join(line for change in self.changes for line in change.lines())


def _components(snapshot: Mapping[str, Any]) -> dict[str, tuple[str, str, Mapping[str, Any]]]:
    found: dict[str, tuple[str, str, Mapping[str, Any]]] = {}

    def walk(group: Mapping[str, Any], prefix: str) -> None:
        path = f"{prefix}/{group['name']}" if prefix else group["name"]
        found[group["identifier"]] = ("process group", path, group)
        names = {c["identifier"]: c.get("name", "") for key in _COMPONENT_LISTS for c in group.get(key, [])}
        for key, kind in _COMPONENT_LISTS.items():
            for component in group.get(key, []):
                name = component.get("name") or ""
                if key == "connections":
                    src, dst = component["source"], component["destination"]
                    name = (f"{names.get(src['id'], src.get('name', ''))} → {names.get(dst['id'], dst.get('name', ''))}"
                            + (f" ({name})" if name else ""))
                found[component["identifier"]] = (kind, f"{path}/{name}", component)
        for child in group.get("processGroups", []):
            walk(child, path)

    walk(snapshot["flowContents"], "")
    return found


def _show(value: Any) -> str:
    return "unset" if value is None else f"`{value}`"


def _sensitive(component: Mapping[str, Any], key: str) -> bool:
    return bool((component.get("propertyDescriptors") or {}).get(key, {}).get("sensitive"))


def _component_details(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    details: list[str] = []
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    for key in sorted(set(old_props) | set(new_props)):
        before, after = old_props.get(key), new_props.get(key)
        if before != after:
            if _sensitive(old, key) or _sensitive(new, key):
                before, after = (MASK if before is not None else None), (MASK if after is not None else None)
                if before == after:
                    details.append(f"property `{key}`: sensitive value changed")
                    continue
            details.append(f"property `{key}`: {_show(before)} → {_show(after)}")
    for key in sorted((set(old) | set(new)) - _IGNORED):
        if old.get(key) != new.get(key):
            details.append(f"{key}: {_show(old.get(key))} → {_show(new.get(key))}")
    return details


def _parameter_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    old_ctx, new_ctx = old.get("parameterContexts") or {}, new.get("parameterContexts") or {}
    for name in sorted(set(old_ctx) | set(new_ctx)):
        if name not in old_ctx or name not in new_ctx:
            yield Change("added" if name in new_ctx else "removed", "parameter context", name)
            continue
        before = {p["name"]: p for p in old_ctx[name].get("parameters", [])}
        after = {p["name"]: p for p in new_ctx[name].get("parameters", [])}
        details = []
        for key in sorted(set(before) | set(after)):
            a, b = before.get(key), after.get(key)
            if a is None or b is None:
                details.append(f"parameter `{key}` {'added' if a is None else 'removed'}")
            elif a != b:
                masked = a.get("sensitive") or b.get("sensitive")
                shown = ("sensitive value or description changed" if masked
                         else f"{_show(a.get('value'))} → {_show(b.get('value'))}")
                details.append(f"parameter `{key}`: {shown}")
        if details:
            yield Change("changed", "parameter context", name, tuple(details))


def diff_flows(old: Mapping[str, Any], new: Mapping[str, Any]) -> FlowDiff:
    """Every component added, removed or changed from `old` to `new`, in path order."""
    before, after = _components(old), _components(new)
    changes: list[Change] = []
    for identifier in set(before) | set(after):
        if identifier not in before:
            kind, path, _ = after[identifier]
            changes.append(Change("added", kind, path))
        elif identifier not in after:
            kind, path, _ = before[identifier]
            changes.append(Change("removed", kind, path))
        else:
            kind, path, component = after[identifier]
            details = _component_details(before[identifier][2], component)
            if before[identifier][1] != path:
                details.insert(0, f"renamed from `{before[identifier][1]}`")
            if details:
                changes.append(Change("changed", kind, path, tuple(details)))
    changes.sort(key=lambda c: (c.path, c.kind, c.action))
    changes.extend(_parameter_changes(old, new))
    return FlowDiff(changes)
